// `meshctl billing pay|authorize|capture|cancel|refund|get|list`: calls
// billing.v1.BillingService at --target, $BILLING_TARGET or
// 127.0.0.1:${BILLING_PORT:-50051}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the billing subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag, or a malformed number; otherwise the exit code of the call.
CommandResult RunBillingCommand(const Invocation& invocation);

}  // namespace mesh::cli
