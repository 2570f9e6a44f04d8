// The notification aggregate: a message made from one event by one rule, and
// the state of its hand-over to each sink. Pure: no gRPC, no RocksDB, no clock.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/v1/event.pb.h"
#include "notification/v1/notification.pb.h"
#include "services/notification/rules.h"

namespace notification {

using Notification = v1::Notification;

// How a failed hand-over is tried again.
struct RetryPolicy {
  // Tries in all, the first included; then the delivery is FAILED.
  int max_attempts = 5;
  // The wait after the first failure; it doubles after each further one.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(1);
};

// The id of the notification `rule_id` makes from event `event_id`. The same
// pair always gives the same id, which is what makes a redelivered event
// harmless.
std::string NotificationId(std::string_view event_id, std::string_view rule_id);

// A new notification: PENDING, with one PENDING delivery per sink, all due at `now`.
Notification NewNotification(const Rule& rule, const Message& message,
                             const common::v1::EventEnvelope& event,
                             const std::vector<std::string>& sinks, absl::Time now);

// The delivery to `sink`, or nullptr.
v1::Delivery* FindDelivery(Notification& notification, std::string_view sink);

// Records one try of the delivery to `sink` (which must be PENDING):
//   - OK: SENT;
//   - INVALID_ARGUMENT or FAILED_PRECONDITION (the sink refuses it for good),
//     or the policy's last try: FAILED;
//   - any other error: PENDING again, due after the backoff.
// Then recomputes delivery_status. FAILED_PRECONDITION when there is no
// pending delivery to `sink`.
absl::Status RecordAttempt(Notification& notification, std::string_view sink,
                           const absl::Status& result, absl::Time now, const RetryPolicy& policy);

// The wait before try number `attempts + 1`, after `attempts` failures.
absl::Duration Backoff(int attempts, const RetryPolicy& policy);

// SENT when every delivery was sent, FAILED when any failed, else PENDING.
v1::DeliveryStatus OverallStatus(const Notification& notification);

absl::Time ToTime(const google::protobuf::Timestamp& timestamp);
void SetTime(absl::Time time, google::protobuf::Timestamp* timestamp);

}  // namespace notification
