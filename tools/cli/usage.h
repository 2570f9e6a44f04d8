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
  consign get CONSIGNMENT_ID
  consign by-purchase PURCHASE_ID
  consign list [--customer ID] [--page-size N] [--page-token T]
  consign consigned CONSIGNMENT_ID      the car left: SCHEDULED -> CONSIGNED
  consign delivered CONSIGNMENT_ID      the buyer has it: CONSIGNED -> DELIVERED
  stock in --car ID --quantity N --key K
  stock get CAR_ID
  stock list [--page-size N] [--page-token T]
  dashboard get PURCHASE_ID
  dashboard list --customer ID [--page-size N] [--page-token T]
  dashboard watch PURCHASE_ID [--count N]
                                        prints each view as it changes, until
                                        N views, the end of the stream or
                                        Ctrl-C; no deadline unless --timeout
                                        is given (its expiry exits 1)
  dashboard rebuild                     clears the views and replays all events
  notification list --recipient ID [--page-size N] [--page-token T]
  notification get NOTIFICATION_ID
  deadletters list --target HOST:PORT [--after SEQ] [--page-size N]
  deadletters replay SEQ --target HOST:PORT
                                        the dead letters of the consuming
                                        service at --target (required)

Amounts and prices are integers in the currency's minor unit.
Flags take a value as "--name value" or "--name=value"; "--" ends the flags.

Targets: each command uses $<NAME>_TARGET, else 127.0.0.1:${<NAME>_PORT},
else 127.0.0.1:<default port>; --target overrides them all:
  billing 50051  purchase 50052  consign 50053  stock 50054
  dashboard 50055  notification 50056
e.g. purchase uses $PURCHASE_TARGET or 127.0.0.1:${PURCHASE_PORT:-50052}.
health and deadletters have no default and need a target.

Responses print as JSON on stdout. A failed call prints
"ERROR <CODE>: <message>" (and "retry-after: N" when the server sent it) on
stderr and exits 1; a usage error exits 2.
)";

}  // namespace mesh::cli
