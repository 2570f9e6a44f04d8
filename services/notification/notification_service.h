// The inbound gRPC adapter of the notification context: read-only queries of
// the notification history, and the only place where absl::Status becomes
// grpc::Status. Handlers read the local store only and never block on the
// network. Thread-safe.
#pragma once

#include "notification/v1/notification.grpc.pb.h"
#include "services/notification/notification_repository.h"

namespace notification {

class NotificationService final : public v1::NotificationService::CallbackService {
 public:
  explicit NotificationService(const NotificationRepository* repository)
      : repository_(repository) {}

  // Newest first. INVALID_ARGUMENT for an empty recipient, a negative page
  // size or a foreign page token.
  grpc::ServerUnaryReactor* ListNotifications(grpc::CallbackServerContext* context,
                                              const v1::ListNotificationsRequest* request,
                                              v1::ListNotificationsResponse* response) override;
  // INVALID_ARGUMENT for an empty id, NOT_FOUND for an unknown one.
  grpc::ServerUnaryReactor* GetNotification(grpc::CallbackServerContext* context,
                                            const v1::GetNotificationRequest* request,
                                            v1::GetNotificationResponse* response) override;

 private:
  const NotificationRepository* repository_;
};

}  // namespace notification
