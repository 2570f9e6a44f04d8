// `meshctl deadletters list|replay --target HOST:PORT`: calls
// mesh.admin.v1.DeadLetterService, which every consuming service serves next
// to its own API. There is no default target, because the dead letters belong
// to whichever service is asked.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the deadletters subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, a missing
// --target, an unknown flag, or a missing or malformed sequence or page size;
// otherwise the exit code of the call.
CommandResult RunDeadLetterCommand(const Invocation& invocation);

}  // namespace mesh::cli
