#include "services/notification/delivery_sender.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"

namespace notification {
namespace {

std::string_view OutcomeOf(const v1::Delivery& delivery) {
  switch (delivery.status()) {
    case v1::DELIVERY_STATUS_SENT:
      return "sent";
    case v1::DELIVERY_STATUS_FAILED:
      return "failed";
    default:
      return "retry";
  }
}

}  // namespace

DeliverySender::DeliverySender(NotificationRepository* repository, std::vector<Channel*> channels,
                               const mesh::resilience::Clock& clock, SenderOptions options,
                               mesh::metrics::Registry* registry)
    : repository_(repository), clock_(clock), options_(options), registry_(registry) {
  for (Channel* channel : channels) channels_.emplace(channel->name(), channel);
}

DeliverySender::~DeliverySender() { Stop(); }

absl::Status DeliverySender::SendOne(const NotificationRepository::Due& due) {
  ASSIGN_OR_RETURN(std::optional<Notification> notification, repository_->Get(due.notification_id));
  const v1::Delivery* delivery =
      notification.has_value() ? FindDelivery(*notification, due.sink) : nullptr;
  if (delivery == nullptr || delivery->status() != v1::DELIVERY_STATUS_PENDING) {
    // Due rows move with their delivery in one commit, so this is damage
    // from outside; dropping the row keeps one bad row from stopping the rest.
    mesh::logging::Warn("dropping a due row without a pending delivery",
                        {{"notification_id", due.notification_id}, {"sink", due.sink}});
    return repository_->DropDue(due);
  }
  mesh::logging::ScopedCorrelationId correlation(notification->correlation_id());
  absl::Status result;
  auto channel = channels_.find(due.sink);
  if (channel == channels_.end()) {
    result = absl::FailedPreconditionError(
        absl::StrCat("no channel serves sink \"", due.sink, "\" any more"));
  } else {
    result = channel->second->Send(*notification);
  }
  RETURN_IF_ERROR(RecordAttempt(*notification, due.sink, result, clock_.Now(), options_.retry));
  RETURN_IF_ERROR(repository_->SaveAttempt(*notification, due.sink, due.due));

  const v1::Delivery& after = *FindDelivery(*notification, due.sink);
  if (after.status() == v1::DELIVERY_STATUS_FAILED) {
    mesh::logging::Warn("notification delivery failed",
                        {{"notification_id", notification->notification_id()},
                         {"sink", due.sink},
                         {"attempts", after.attempts()},
                         {"error", after.last_error()}});
  } else if (!result.ok()) {
    mesh::logging::Info("notification delivery will be retried",
                        {{"notification_id", notification->notification_id()},
                         {"sink", due.sink},
                         {"attempts", after.attempts()},
                         {"error", after.last_error()}});
  }
  if (registry_ != nullptr) {
    registry_
        ->GetCounter("notification_deliveries_total",
                     "Tries to hand a notification to a sink, by outcome.",
                     {{"sink", due.sink}, {"outcome", std::string(OutcomeOf(after))}})
        .Increment();
  }
  return absl::OkStatus();
}

absl::StatusOr<int> DeliverySender::SendDue() {
  int tried = 0;
  while (true) {
    ASSIGN_OR_RETURN(NotificationRepository::DueBatch batch,
                     repository_->ListDue(clock_.Now(), options_.batch_size));
    // One fsync for the batch's records, also when a send failed midway.
    absl::Status sent;
    int recorded = 0;
    for (const NotificationRepository::Due& due : batch.due) {
      sent = SendOne(due);
      if (!sent.ok()) break;
      ++recorded;
    }
    if (recorded > 0) RETURN_IF_ERROR(repository_->SyncAttempts());
    RETURN_IF_ERROR(sent);
    tried += recorded;
    {
      std::lock_guard<std::mutex> lock(mu_);
      next_due_ = batch.next;
    }
    // A full batch leaves more that is already due; a retry we just
    // scheduled is never due before the clock moves on.
    if (batch.due.empty() || !batch.next.has_value() || *batch.next > clock_.Now()) break;
  }
  return tried;
}

void DeliverySender::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void DeliverySender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliverySender::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void DeliverySender::Run() {
  while (true) {
    absl::StatusOr<int> tried = SendDue();
    if (!tried.ok()) {
      mesh::logging::Error("cannot send notifications", {{"error", tried.status().ToString()}});
    }
    std::unique_lock<std::mutex> lock(mu_);
    absl::Duration wait = options_.idle_poll;
    if (tried.ok() && next_due_.has_value()) {
      wait = std::min(wait, std::max(absl::ZeroDuration(), *next_due_ - clock_.Now()));
    }
    cv_.wait_for(lock, absl::ToChronoMicroseconds(wait), [this] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace notification
