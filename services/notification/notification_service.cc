#include "services/notification/notification_service.h"

#include "absl/strings/str_cat.h"
#include "libs/server/paging.h"
#include "libs/server/unary.h"

namespace notification {
namespace {

using mesh::server::FinishUnary;

absl::Status List(const NotificationRepository& repository,
                  const v1::ListNotificationsRequest& request,
                  v1::ListNotificationsResponse& response) {
  if (request.recipient().empty()) return absl::InvalidArgumentError("recipient is required");
  absl::StatusOr<int> page_size = mesh::server::PageSize(request.page());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<NotificationRepository::Page> page =
      repository.ListByRecipient(request.recipient(), *page_size, request.page().page_token());
  if (!page.ok()) return page.status();
  for (Notification& notification : page->notifications) {
    *response.add_notifications() = std::move(notification);
  }
  response.mutable_page()->set_next_page_token(page->next_page_token);
  return absl::OkStatus();
}

absl::Status Get(const NotificationRepository& repository,
                 const v1::GetNotificationRequest& request, v1::GetNotificationResponse& response) {
  if (request.notification_id().empty()) {
    return absl::InvalidArgumentError("notification_id is required");
  }
  absl::StatusOr<std::optional<Notification>> notification =
      repository.Get(request.notification_id());
  if (!notification.ok()) return notification.status();
  if (!notification->has_value()) {
    return absl::NotFoundError(absl::StrCat("no notification ", request.notification_id()));
  }
  *response.mutable_notification() = std::move(**notification);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* NotificationService::ListNotifications(
    grpc::CallbackServerContext* context, const v1::ListNotificationsRequest* request,
    v1::ListNotificationsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = List(*repository_, *request, *response);
  if (!status.ok()) response->Clear();
  FinishUnary(context, reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* NotificationService::GetNotification(
    grpc::CallbackServerContext* context, const v1::GetNotificationRequest* request,
    v1::GetNotificationResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FinishUnary(context, reactor, Get(*repository_, *request, *response));
  return reactor;
}

}  // namespace notification
