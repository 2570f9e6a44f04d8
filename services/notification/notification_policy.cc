#include "services/notification/notification_policy.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"

namespace notification {

NotificationPolicy::NotificationPolicy(NotificationRepository* repository, std::vector<Rule> rules,
                                       std::vector<std::string> sinks,
                                       const mesh::resilience::Clock& clock,
                                       mesh::metrics::Registry* registry)
    : repository_(repository),
      rules_(std::move(rules)),
      sinks_(std::move(sinks)),
      clock_(clock),
      registry_(registry) {}

std::vector<NotificationPolicy::Subscription> NotificationPolicy::Subscriptions() const {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<Subscription> subscriptions;
  for (const Rule& rule : rules_) {
    if (seen.emplace(rule.producer, rule.event_type).second) {
      subscriptions.push_back({rule.producer, rule.event_type});
    }
  }
  return subscriptions;
}

absl::Status NotificationPolicy::Handle(const common::v1::EventEnvelope& event,
                                        mesh::storage::UnitOfWork& work) {
  if (event.event_id().empty()) return absl::InvalidArgumentError("event_id is required");
  // Render every rule before writing anything, so that an unreadable event
  // leaves no notification behind.
  std::vector<std::pair<const Rule*, Message>> messages;
  for (const Rule& rule : rules_) {
    if (rule.producer != event.producer() || rule.event_type != event.event_type()) continue;
    ASSIGN_OR_RETURN(std::optional<Message> message, rule.render(event));
    if (message.has_value()) messages.emplace_back(&rule, std::move(*message));
  }

  const absl::Time now = clock_.Now();
  std::vector<const Rule*> created;
  // Every notification of one event derives from its id: one lock covers them all.
  auto lock = repository_->Lock(event.event_id());
  for (const auto& [rule, message] : messages) {
    ASSIGN_OR_RETURN(std::optional<Notification> existing,
                     repository_->Get(NotificationId(event.event_id(), rule->id)));
    if (existing.has_value()) continue;
    NotificationRepository::AddNew(work, NewNotification(*rule, message, event, sinks_, now));
    created.push_back(rule);
  }
  if (!work.empty()) RETURN_IF_ERROR(repository_->Commit(work));
  lock.unlock();

  for (const Rule* rule : created) {
    mesh::logging::Info("notification created",
                        {{"event_id", event.event_id()}, {"rule", rule->id}});
    if (registry_ != nullptr) {
      registry_
          ->GetCounter("notifications_created_total", "Notifications made from events, by rule.",
                       {{"rule", rule->id}})
          .Increment();
    }
  }
  if (!created.empty() && on_created_) on_created_();
  return absl::OkStatus();
}

}  // namespace notification
