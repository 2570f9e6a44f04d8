#include "tools/cli/dashboard_commands.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::dashboard::v1;
using Stub = pb::DashboardService::Stub;

constexpr size_t kCommandWords = 2;

absl::StatusOr<std::string> PurchaseIdOnly(
    const CommandLine& line, absl::string_view command,
    std::initializer_list<absl::string_view> flags) {
  if (absl::Status s = line.CheckFlags(command, flags); !s.ok()) return s;
  if (absl::Status s = line.CheckPositionalCount(command, kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  return line.Positional(kCommandWords, "PURCHASE_ID");
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  absl::StatusOr<std::string> purchase_id =
      PurchaseIdOnly(invocation.line, "dashboard get", {});
  if (!purchase_id.ok()) return purchase_id.status();

  pb::GetPurchaseViewRequest request;
  request.set_purchase_id(*purchase_id);
  return CallAndPrint(invocation, stub, &Stub::GetPurchaseView, request);
}

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("dashboard list",
                                       {"customer", "page-size", "page-token"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("dashboard list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> customer = line.Required("customer");
  if (!customer.ok()) return customer.status();
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListPurchaseViewsRequest request;
  request.set_customer_id(*customer);
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListPurchaseViews, request);
}

// A watch lasts as long as someone looks at it, so the usual five-second
// default would cut it short; only an explicit --timeout bounds it.
std::unique_ptr<grpc::ClientContext> NewWatchContext(
    const Invocation& invocation) {
  if (invocation.line.Has("timeout")) {
    return NewClientContext(invocation.global);
  }
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_wait_for_ready(false);
  return context;
}

CommandResult Watch(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  absl::StatusOr<std::string> purchase_id =
      PurchaseIdOnly(line, "dashboard watch", {"count"});
  if (!purchase_id.ok()) return purchase_id.status();
  absl::StatusOr<int32_t> count = line.NonNegativeInt32Or("count", 0);
  if (!count.ok()) return count.status();
  if (line.Has("count") && *count == 0) {
    return absl::InvalidArgumentError(
        "flag --count must be a positive integer, got '0'");
  }

  pb::WatchPurchaseViewRequest request;
  request.set_purchase_id(*purchase_id);
  std::unique_ptr<grpc::ClientContext> context = NewWatchContext(invocation);
  std::unique_ptr<grpc::ClientReader<pb::WatchPurchaseViewResponse>> reader =
      stub.WatchPurchaseView(context.get(), request);
  pb::WatchPurchaseViewResponse response;
  int32_t printed = 0;
  while ((*count == 0 || printed < *count) && reader->Read(&response)) {
    if (absl::Status s = PrintJson(response, invocation.out); !s.ok()) {
      context->TryCancel();
      reader->Finish();
      invocation.err << "ERROR " << s << "\n";
      return kExitRpcFailed;
    }
    // Whoever reads a pipe wants each view as it happens, not at exit.
    invocation.out.flush();
    ++printed;
  }
  if (*count > 0 && printed == *count) {
    // Hanging up is how a stream stops early; the CANCELLED that Finish then
    // reports is our own doing, not a failure.
    context->TryCancel();
    reader->Finish();
    return kExitOk;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    PrintRpcError(status, *context, invocation.err);
    return kExitRpcFailed;
  }
  return kExitOk;
}

CommandResult Rebuild(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("dashboard rebuild", {}); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("dashboard rebuild", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  return CallAndPrint(invocation, stub, &Stub::RebuildViews,
                      pb::RebuildViewsRequest());
}

}  // namespace

CommandResult RunDashboardCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand = invocation.line.Positional(
      1, "dashboard subcommand (get, list, watch, rebuild)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "get") handler = &Get;
  if (*subcommand == "list") handler = &List;
  if (*subcommand == "watch") handler = &Watch;
  if (*subcommand == "rebuild") handler = &Rebuild;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown dashboard subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::DashboardService::NewStub(Dial(ResolveTarget(
      invocation.global.target, kDashboardAddress, ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
