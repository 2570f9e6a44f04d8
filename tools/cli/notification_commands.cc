#include "tools/cli/notification_commands.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "notification/v1/notification.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::notification::v1;
using Stub = pb::NotificationService::Stub;

constexpr size_t kCommandWords = 2;

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags(
          "notification list", {"recipient", "page-size", "page-token"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("notification list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> recipient = line.Required("recipient");
  if (!recipient.ok()) return recipient.status();
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListNotificationsRequest request;
  request.set_recipient(*recipient);
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListNotifications, request);
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("notification get", {}); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("notification get", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> notification_id =
      line.Positional(kCommandWords, "NOTIFICATION_ID");
  if (!notification_id.ok()) return notification_id.status();

  pb::GetNotificationRequest request;
  request.set_notification_id(*notification_id);
  return CallAndPrint(invocation, stub, &Stub::GetNotification, request);
}

}  // namespace

CommandResult RunNotificationCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand =
      invocation.line.Positional(1, "notification subcommand (list, get)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "list") handler = &List;
  if (*subcommand == "get") handler = &Get;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown notification subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::NotificationService::NewStub(
      Dial(ResolveTarget(invocation.global.target, kNotificationAddress,
                         ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
