#include "services/usedcar/dashboard/dashboard_policy.h"

#include <optional>

#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"
#include "services/usedcar/dashboard/purchase_view.h"

namespace usedcar::dashboard {

DashboardPolicy::DashboardPolicy(DashboardRepository* repository,
                                 const mesh::resilience::Clock& clock,
                                 mesh::metrics::Registry* registry)
    : repository_(repository), clock_(clock) {
  if (registry != nullptr) {
    propagation_ = &registry->GetHistogram(
        "dashboard_event_propagation_seconds",
        "Delay from an event's occur_time to its purchase view's update");
  }
}

void DashboardPolicy::Register(mesh::messaging::EventConsumer& consumer) {
  for (const Subscription& subscription : Subscriptions()) {
    consumer.On(subscription.producer, subscription.event_type,
                [this](const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work) {
                  return Handle(event, work);
                });
  }
}

absl::Status DashboardPolicy::Handle(const common::v1::EventEnvelope& event,
                                     mesh::storage::UnitOfWork& work) {
  mesh::logging::ScopedCorrelationId scope(event.correlation_id());
  absl::StatusOr<std::optional<ViewEvent>> read = ReadViewEvent(event);
  if (!read.ok()) {
    mesh::logging::Warn("event cannot apply to a view",
                        {{"event_id", event.event_id()}, {"error", read.status().ToString()}});
    return read.status();
  }
  if (!read->has_value()) return absl::OkStatus();
  const ViewEvent& view_event = **read;
  const absl::Time now = clock_.Now();
  RETURN_IF_ERROR(repository_
                      ->Update(view_event.purchase_id,
                               [&](v1::PurchaseView& view) { ApplyViewEvent(view_event, now, view); },
                               work)
                      .status());
  if (propagation_ != nullptr) {
    propagation_->Observe(absl::ToDoubleSeconds(now - view_event.occur_time));
  }
  return absl::OkStatus();
}

}  // namespace usedcar::dashboard
