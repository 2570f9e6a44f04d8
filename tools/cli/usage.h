// The help text meshctl prints for --help and after a usage error.
#pragma once

#include "absl/strings/string_view.h"

namespace mesh::cli {

inline constexpr absl::string_view kUsage =
    R"(usage: meshctl [--target HOST:PORT] [--timeout 5s] <command> [args]

  health HOST:PORT [--service NAME]     prints SERVING / NOT_SERVING / UNKNOWN;
                                        exits 0 only when SERVING
  purchase request --request-id ID --customer ID --car ID --price N [--currency KRW]
  purchase cancel PURCHASE_ID [--reason TEXT]
  purchase get PURCHASE_ID
  purchase list [--customer ID] [--page-size N] [--page-token T]
  billing pay --key K --merchant M --reference R --payer P --amount N [--currency KRW]
  billing authorize --key K --merchant M --reference R --payer P --amount N [--currency KRW]
  billing capture PAYMENT_ID --key K
  billing cancel --key K [--merchant M --reference R]
  billing refund PAYMENT_ID --key K
  billing get (PAYMENT_ID | --key K)
  billing list [--merchant M] [--reference R] [--payer P] [--page-size N] [--page-token T]

Amounts and prices are integers in the currency's minor unit.
Flags take a value as "--name value" or "--name=value"; "--" ends the flags.

Targets: purchase uses $PURCHASE_TARGET or 127.0.0.1:${PURCHASE_PORT:-50052};
billing uses $BILLING_TARGET or 127.0.0.1:${BILLING_PORT:-50051};
--target overrides both.

Responses print as JSON on stdout. A failed call prints
"ERROR <CODE>: <message>" (and "retry-after: N" when the server sent it) on
stderr and exits 1; a usage error exits 2.
)";

}  // namespace mesh::cli
