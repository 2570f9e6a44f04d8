// The seam between a notification and the outside world (Envoy-style): a
// Channel hands one notification to one sink. Sinks here are a JSON-lines
// log file and a webhook; a KakaoTalk, e-mail or push gateway would be
// another Channel.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "notification/v1/notification.pb.h"

namespace notification {

class Channel {
 public:
  virtual ~Channel() = default;

  // The sink's name, recorded in each Delivery: "log", "webhook".
  virtual const std::string& name() const = 0;

  // Hands the notification over; delivery is at-least-once, so a sink may
  // see one notification_id twice after a crash. INVALID_ARGUMENT or
  // FAILED_PRECONDITION when the sink refuses it for good; any other error
  // is worth another try. May block up to the channel's own timeout. Called
  // from one thread at a time.
  virtual absl::Status Send(const v1::Notification& notification) = 0;
};

// The JSON object every sink receives, on one line: the notification as
// made, without its delivery bookkeeping, with proto field names
// ("notification_id", "recipient", "channel": "CHANNEL_KAKAOTALK", ...).
std::string NotificationJson(const v1::Notification& notification);

}  // namespace notification
