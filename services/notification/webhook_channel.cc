#include "services/notification/webhook_channel.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace notification {

absl::StatusOr<std::unique_ptr<WebhookChannel>> WebhookChannel::Create(const std::string& url,
                                                                       absl::Duration timeout) {
  size_t scheme_end = std::string::npos;
  if (absl::StartsWith(url, "http://")) {
    scheme_end = 7;
  } else if (absl::StartsWith(url, "https://")) {
    scheme_end = 8;
  }
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook_url must start with http:// or https://, got \"", url, "\""));
  }
  const size_t path_start = url.find('/', scheme_end);
  std::string origin = url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (origin.size() == scheme_end) {
    return absl::InvalidArgumentError(absl::StrCat("webhook_url has no host: \"", url, "\""));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("webhook_timeout must be positive");
  }
  return std::unique_ptr<WebhookChannel>(
      new WebhookChannel(std::move(origin), std::move(path), timeout));
}

absl::Status WebhookChannel::Send(const v1::Notification& notification) {
  // A fresh client per notification: nothing is shared between threads, and
  // a connection the receiver dropped while we were idle is never reused.
  httplib::Client client(origin_);
  const auto timeout = absl::ToChronoMicroseconds(timeout_);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  const httplib::Headers headers = {{"Idempotency-Key", notification.notification_id()}};
  httplib::Result result =
      client.Post(path_, headers, NotificationJson(notification), "application/json");
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "webhook ", origin_, path_, " did not answer: ", httplib::to_string(result.error())));
  }
  const int code = result->status;
  if (code >= 200 && code < 300) return absl::OkStatus();
  const std::string message = absl::StrCat("webhook ", origin_, path_, " answered ", code);
  if (code >= 400 && code < 500 && code != 408 && code != 429) {
    return absl::FailedPreconditionError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace notification
