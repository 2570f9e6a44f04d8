#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/cli/args.h"
#include "tools/cli/billing_commands.h"
#include "tools/cli/consign_commands.h"
#include "tools/cli/dashboard_commands.h"
#include "tools/cli/deadletter_commands.h"
#include "tools/cli/health_command.h"
#include "tools/cli/notification_commands.h"
#include "tools/cli/purchase_commands.h"
#include "tools/cli/rpc.h"
#include "tools/cli/stock_commands.h"
#include "tools/cli/usage.h"

namespace mesh::cli {
namespace {

int UsageError(const absl::Status& status) {
  std::cerr << "meshctl: " << status.message() << "\n\n" << kUsage;
  return kExitUsage;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  absl::StatusOr<CommandLine> line = CommandLine::Parse(args);
  if (!line.ok()) return UsageError(line.status());
  if (line->help() ||
      (!line->positionals().empty() && line->positionals()[0] == "help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (line->positionals().empty()) {
    return UsageError(absl::InvalidArgumentError("missing command"));
  }
  absl::StatusOr<GlobalOptions> global = ParseGlobalOptions(*line);
  if (!global.ok()) return UsageError(global.status());

  Invocation invocation{*line, *global, std::cout, std::cerr};
  const std::string& command = line->positionals()[0];
  CommandResult result = absl::InvalidArgumentError(
      absl::StrCat("unknown command '", command, "'"));
  if (command == "health") result = RunHealthCommand(invocation);
  if (command == "purchase") result = RunPurchaseCommand(invocation);
  if (command == "billing") result = RunBillingCommand(invocation);
  if (command == "consign") result = RunConsignCommand(invocation);
  if (command == "stock") result = RunStockCommand(invocation);
  if (command == "dashboard") result = RunDashboardCommand(invocation);
  if (command == "notification") result = RunNotificationCommand(invocation);
  if (command == "deadletters") result = RunDeadLetterCommand(invocation);
  if (!result.ok()) return UsageError(result.status());
  return *result;
}

}  // namespace
}  // namespace mesh::cli

int main(int argc, char** argv) { return mesh::cli::Main(argc, argv); }
