#include "services/notification/notification.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace notification {

std::string NotificationId(std::string_view event_id, std::string_view rule_id) {
  return absl::StrCat("ntf_", absl::string_view(event_id.data(), event_id.size()), ".",
                      absl::string_view(rule_id.data(), rule_id.size()));
}

Notification NewNotification(const Rule& rule, const Message& message,
                             const common::v1::EventEnvelope& event,
                             const std::vector<std::string>& sinks, absl::Time now) {
  Notification notification;
  notification.set_notification_id(NotificationId(event.event_id(), rule.id));
  notification.set_recipient(message.recipient);
  notification.set_channel(message.channel);
  notification.set_title(message.title);
  notification.set_body(message.body);
  notification.set_event_id(event.event_id());
  notification.set_event_type(event.event_type());
  notification.set_producer(event.producer());
  notification.set_correlation_id(event.correlation_id());
  notification.set_rule(rule.id);
  SetTime(now, notification.mutable_create_time());
  for (const std::string& sink : sinks) {
    v1::Delivery* delivery = notification.add_deliveries();
    delivery->set_sink(sink);
    delivery->set_status(v1::DELIVERY_STATUS_PENDING);
    SetTime(now, delivery->mutable_next_attempt_time());
  }
  notification.set_delivery_status(OverallStatus(notification));
  return notification;
}

v1::Delivery* FindDelivery(Notification& notification, std::string_view sink) {
  for (v1::Delivery& delivery : *notification.mutable_deliveries()) {
    if (delivery.sink() == sink) return &delivery;
  }
  return nullptr;
}

absl::Duration Backoff(int attempts, const RetryPolicy& policy) {
  absl::Duration wait = policy.initial_backoff;
  for (int i = 1; i < attempts && wait < policy.max_backoff; ++i) wait *= 2;
  return std::min(wait, policy.max_backoff);
}

absl::Status RecordAttempt(Notification& notification, std::string_view sink,
                           const absl::Status& result, absl::Time now, const RetryPolicy& policy) {
  v1::Delivery* delivery = FindDelivery(notification, sink);
  if (delivery == nullptr || delivery->status() != v1::DELIVERY_STATUS_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat("notification ", notification.notification_id(),
                     " has no pending delivery to ", absl::string_view(sink.data(), sink.size())));
  }
  delivery->set_attempts(delivery->attempts() + 1);
  if (result.ok()) {
    delivery->set_status(v1::DELIVERY_STATUS_SENT);
    delivery->clear_last_error();
    delivery->clear_next_attempt_time();
    SetTime(now, delivery->mutable_finish_time());
  } else {
    delivery->set_last_error(result.ToString());
    const bool refused = result.code() == absl::StatusCode::kInvalidArgument ||
                         result.code() == absl::StatusCode::kFailedPrecondition;
    if (refused || delivery->attempts() >= policy.max_attempts) {
      delivery->set_status(v1::DELIVERY_STATUS_FAILED);
      delivery->clear_next_attempt_time();
      SetTime(now, delivery->mutable_finish_time());
    } else {
      SetTime(now + Backoff(delivery->attempts(), policy), delivery->mutable_next_attempt_time());
    }
  }
  notification.set_delivery_status(OverallStatus(notification));
  return absl::OkStatus();
}

v1::DeliveryStatus OverallStatus(const Notification& notification) {
  bool pending = false;
  for (const v1::Delivery& delivery : notification.deliveries()) {
    if (delivery.status() == v1::DELIVERY_STATUS_FAILED) return v1::DELIVERY_STATUS_FAILED;
    if (delivery.status() != v1::DELIVERY_STATUS_SENT) pending = true;
  }
  return pending ? v1::DELIVERY_STATUS_PENDING : v1::DELIVERY_STATUS_SENT;
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

void SetTime(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t micros = absl::ToUnixMicros(time);
  timestamp->set_seconds(micros / 1000000);
  timestamp->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

}  // namespace notification
