// `meshctl dashboard get|list|watch|rebuild`: calls
// usedcar.dashboard.v1.DashboardService at --target, $DASHBOARD_TARGET or
// 127.0.0.1:${DASHBOARD_PORT:-50055}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the dashboard subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag or argument, or a malformed number; otherwise an exit code.
//
// `watch PURCHASE_ID [--count N]` prints every streamed response as JSON and
// flushes after each. It exits kExitOk once N views were printed (it then
// cancels the stream) or when the server ends the stream with OK, and
// kExitRpcFailed, printing the error, when the stream fails. Unlike every
// other command it has no deadline unless --timeout is given; a deadline that
// expires is reported as DEADLINE_EXCEEDED.
CommandResult RunDashboardCommand(const Invocation& invocation);

}  // namespace mesh::cli
