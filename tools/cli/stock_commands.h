// `meshctl stock in|get|list`: calls usedcar.stock.v1.StockService at
// --target, $STOCK_TARGET or 127.0.0.1:${STOCK_PORT:-50054}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the stock subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag or argument, or a malformed number; otherwise the exit code of
// the call. The server checks the quantity's range and names it when wrong.
CommandResult RunStockCommand(const Invocation& invocation);

}  // namespace mesh::cli
