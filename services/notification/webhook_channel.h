// A sink that POSTs each notification's JSON (NotificationJson) to a URL,
// e.g. a KakaoTalk gateway. The request carries "Idempotency-Key: <notification_id>",
// so a receiver can drop the repeats that at-least-once delivery allows.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notification/channel.h"

namespace notification {

class WebhookChannel final : public Channel {
 public:
  // `url` is "http://host[:port][/path]" or "https://..."; INVALID_ARGUMENT
  // naming webhook_url otherwise. `timeout` bounds connecting, sending and
  // reading the answer, each.
  static absl::StatusOr<std::unique_ptr<WebhookChannel>> Create(const std::string& url,
                                                                absl::Duration timeout);

  const std::string& name() const override { return name_; }

  // OK for a 2xx answer. FAILED_PRECONDITION for a 4xx other than 408 and
  // 429 (the receiver refuses it); UNAVAILABLE for no answer, a timeout, a
  // 408, 429 or 5xx. Thread-safe: each call uses its own connection.
  absl::Status Send(const v1::Notification& notification) override;

 private:
  WebhookChannel(std::string origin, std::string path, absl::Duration timeout)
      : origin_(std::move(origin)), path_(std::move(path)), timeout_(timeout) {}

  const std::string name_ = "webhook";
  std::string origin_;  // "http://127.0.0.1:8080"
  std::string path_;    // "/hook"
  absl::Duration timeout_;
};

}  // namespace notification
