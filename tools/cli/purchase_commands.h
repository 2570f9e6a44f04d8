// `meshctl purchase request|cancel|get|list`: calls
// usedcar.purchase.v1.PurchaseService at --target, $PURCHASE_TARGET or
// 127.0.0.1:${PURCHASE_PORT:-50052}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the purchase subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag, or a malformed number; otherwise the exit code of the call.
CommandResult RunPurchaseCommand(const Invocation& invocation);

}  // namespace mesh::cli
