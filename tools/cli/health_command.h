// `meshctl health HOST:PORT [--service NAME]`: asks grpc.health.v1.Health.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Prints the serving status (SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN)
// to stdout and returns kExitOk only for SERVING, kExitRpcFailed otherwise
// (including when the call fails, which is printed to stderr). The target is
// the positional HOST:PORT, or --target when that is absent. `--service`
// names the service to check; the default, empty, is the whole server.
CommandResult RunHealthCommand(const Invocation& invocation);

}  // namespace mesh::cli
