// The event handler of the notification context (the seeds' PolicyHandler):
// for each event, every rule listening to its producer and type renders a
// message, and each message becomes a stored notification with one pending
// delivery per sink. Sending happens later, in DeliverySender.
//
// Idempotent: a notification's id comes from the event id and the rule, and
// an existing one is never written again, so an event that arrives twice
// (even past the inbox, e.g. a replayed dead letter) yields one
// notification per rule.
//
// Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/v1/event.pb.h"
#include "libs/resilience/clock.h"
#include "libs/storage/store.h"
#include "services/notification/notification_repository.h"
#include "services/notification/rules.h"

namespace mesh::metrics {
class Registry;
}

namespace notification {

class NotificationPolicy {
 public:
  // `sinks` are the names of the configured channels; `registry` may be null.
  NotificationPolicy(NotificationRepository* repository, std::vector<Rule> rules,
                     std::vector<std::string> sinks, const mesh::resilience::Clock& clock,
                     mesh::metrics::Registry* registry);

  // Called after a commit that created notifications (wakes the sender).
  // Set once, before events arrive.
  void OnCreated(std::function<void()> callback) { on_created_ = std::move(callback); }

  struct Subscription {
    std::string producer;
    std::string event_type;
  };
  // Each (producer, event type) some rule listens to, once.
  std::vector<Subscription> Subscriptions() const;

  // Applies one event: renders its rules, adds the new notifications to
  // `work` (which carries the event's inbox mark) and commits it.
  // INVALID_ARGUMENT, with nothing written, for an event without an id or
  // whose payload a rule cannot read; the store's error otherwise.
  absl::Status Handle(const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work);

 private:
  NotificationRepository* repository_;
  std::vector<Rule> rules_;
  std::vector<std::string> sinks_;
  const mesh::resilience::Clock& clock_;
  mesh::metrics::Registry* registry_;
  std::function<void()> on_created_;
};

}  // namespace notification
