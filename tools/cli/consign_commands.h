// `meshctl consign get|by-purchase|list|consigned|delivered`: calls
// usedcar.consign.v1.ConsignService at --target, $CONSIGN_TARGET or
// 127.0.0.1:${CONSIGN_PORT:-50053}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the consign subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag or argument, or a malformed number; otherwise the exit code of
// the call.
CommandResult RunConsignCommand(const Invocation& invocation);

}  // namespace mesh::cli
