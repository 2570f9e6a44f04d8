// The dashboard's view handler (the seed's ViewHandler): every subscribed
// event updates its purchase's view.
//
// The unit of work passed in already carries the event's inbox mark; Handle
// commits it together with the view, so view and mark land in one WriteBatch.
//
// Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/event_consumer.h"
#include "libs/resilience/clock.h"
#include "libs/storage/store.h"
#include "services/usedcar/dashboard/dashboard_repository.h"

namespace mesh::metrics {
class Histogram;
class Registry;
}  // namespace mesh::metrics

namespace usedcar::dashboard {

class DashboardPolicy {
 public:
  // registry may be null; otherwise the delay from an event's occur_time to
  // its view's update is exported as dashboard_event_propagation_seconds.
  DashboardPolicy(DashboardRepository* repository, const mesh::resilience::Clock& clock,
                  mesh::metrics::Registry* registry = nullptr);

  // Registers Handle for every event of Subscriptions() (purchase_view.h).
  void Register(mesh::messaging::EventConsumer& consumer);

  // Applies the event to its purchase's view and commits. OK, writing
  // nothing, for an event the view does not use (another merchant's payment,
  // a stock-in). INVALID_ARGUMENT, writing nothing, for an event that can
  // never apply (payload of the wrong type or that does not parse, no
  // purchase id). Storage errors otherwise (worth a retry).
  absl::Status Handle(const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work);

 private:
  DashboardRepository* repository_;
  const mesh::resilience::Clock& clock_;
  mesh::metrics::Histogram* propagation_ = nullptr;
};

}  // namespace usedcar::dashboard
