// `meshctl notification list|get`: calls notification.v1.NotificationService
// at --target, $NOTIFICATION_TARGET or 127.0.0.1:${NOTIFICATION_PORT:-50056}.
#pragma once

#include "tools/cli/rpc.h"

namespace mesh::cli {

// Runs the notification subcommand named by the second positional. Returns
// INVALID_ARGUMENT, before any call, for an unknown subcommand, an unknown or
// missing flag or argument, or a malformed number; otherwise the exit code of
// the call.
CommandResult RunNotificationCommand(const Invocation& invocation);

}  // namespace mesh::cli
