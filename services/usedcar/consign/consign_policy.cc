#include "services/usedcar/consign/consign_policy.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::consign {
namespace {

using mesh::storage::UnitOfWork;

absl::Status Require(std::string_view field, const std::string& value,
                     const common::v1::EventEnvelope& event) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(event.event_type(), " event ", event.event_id(),
                                                 ": ", absl::string_view(field.data(), field.size()),
                                                 " is required"));
}

// Everything emitted in reaction to an event joins that event's story and trace.
EventOrigin OriginOf(const common::v1::EventEnvelope& event, std::string_view purchase_id) {
  EventOrigin origin;
  origin.correlation_id = event.correlation_id().empty()
                              ? absl::StrCat("usedcar/purchase/",
                                             absl::string_view(purchase_id.data(), purchase_id.size()))
                              : event.correlation_id();
  origin.causation_id = event.event_id();
  origin.traceparent = event.traceparent();
  return origin;
}

}  // namespace

ConsignPolicy::ConsignPolicy(ConsignmentRepository* repository,
                             const mesh::resilience::Clock& clock, PolicyOptions options)
    : repository_(repository), clock_(clock), options_(options) {}

absl::Status ConsignPolicy::OnPurchased(const common::v1::EventEnvelope& event, UnitOfWork& work) {
  purchase::v1::Purchased purchased;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &purchased));
  RETURN_IF_ERROR(Require("purchase_id", purchased.purchase_id(), event));
  RETURN_IF_ERROR(Require("customer_id", purchased.customer_id(), event));
  RETURN_IF_ERROR(Require("car_id", purchased.car_id(), event));
  const EventOrigin origin = OriginOf(event, purchased.purchase_id());
  mesh::logging::ScopedCorrelationId scope(origin.correlation_id);

  const std::string consignment_id = ConsignmentIdFor(purchased.purchase_id());
  auto lock = repository_->Lock(consignment_id);
  ASSIGN_OR_RETURN(std::optional<Consignment> existing, repository_->Get(consignment_id));
  ASSIGN_OR_RETURN(bool tombstoned, repository_->IsTombstoned(purchased.purchase_id()));
  if (existing.has_value() || tombstoned) {
    if (tombstoned) {
      mesh::logging::Info("purchase was cancelled before it arrived; no consignment",
                          {{"purchase_id", purchased.purchase_id()}});
    }
    return repository_->Commit(work);
  }
  const absl::Time now = clock_.Now();
  Consignment consignment = NewScheduled(purchased.purchase_id(), purchased.customer_id(),
                                         purchased.car_id(), now);
  std::optional<v1::Consigned> consigned;
  if (options_.auto_dispatch) {
    ASSIGN_OR_RETURN(consigned, MarkConsigned(consignment, now));
  }
  repository_->Stage(work, consignment, consigned.has_value() ? &*consigned : nullptr, origin,
                     now);
  RETURN_IF_ERROR(repository_->Commit(work));
  mesh::logging::Info("consignment created",
                      {{"consignment_id", consignment_id},
                       {"status", StatusName(consignment.status())}});
  return absl::OkStatus();
}

absl::Status ConsignPolicy::OnPurchaseCancelled(const common::v1::EventEnvelope& event,
                                                UnitOfWork& work) {
  purchase::v1::PurchaseCancelled cancelled;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &cancelled));
  RETURN_IF_ERROR(Require("purchase_id", cancelled.purchase_id(), event));
  return CancelFor(cancelled.purchase_id(), kPurchaseCancelledReason, event, work);
}

absl::Status ConsignPolicy::OnStockShortage(const common::v1::EventEnvelope& event,
                                            UnitOfWork& work) {
  stock::v1::StockShortage shortage;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &shortage));
  RETURN_IF_ERROR(Require("purchase_id", shortage.purchase_id(), event));
  RETURN_IF_ERROR(Require("consignment_id", shortage.consignment_id(), event));
  if (shortage.consignment_id() != ConsignmentIdFor(shortage.purchase_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("StockShortage event ", event.event_id(), ": consignment_id ",
                     shortage.consignment_id(), " is not the consignment of purchase ",
                     shortage.purchase_id()));
  }
  return CancelFor(shortage.purchase_id(), kOutOfStockReason, event, work);
}

absl::Status ConsignPolicy::CancelFor(std::string_view purchase_id, std::string_view reason,
                                      const common::v1::EventEnvelope& event, UnitOfWork& work) {
  const EventOrigin origin = OriginOf(event, purchase_id);
  mesh::logging::ScopedCorrelationId scope(origin.correlation_id);
  const std::string consignment_id = ConsignmentIdFor(purchase_id);
  auto lock = repository_->Lock(consignment_id);
  ASSIGN_OR_RETURN(std::optional<Consignment> consignment, repository_->Get(consignment_id));
  if (!consignment.has_value()) {
    // The cancellation overtook the Purchased event; remember it, or the late
    // Purchased would dispatch a car nobody pays for.
    repository_->StageTombstone(work, purchase_id, reason);
    RETURN_IF_ERROR(repository_->Commit(work));
    mesh::logging::Info("no consignment yet; left a tombstone",
                        {{"consignment_id", consignment_id}, {"reason", reason}});
    return absl::OkStatus();
  }
  if (consignment->status() == v1::CONSIGNMENT_STATUS_DELIVERED) {
    // Retrying cannot un-deliver the car, so the event is acknowledged; the
    // warning is for the people who must settle it outside the system.
    mesh::logging::Warn("consignment already delivered; not cancelled",
                        {{"consignment_id", consignment_id},
                         {"reason", reason},
                         {"event_id", event.event_id()}});
    return repository_->Commit(work);
  }
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::optional<v1::ConsignCancelled> cancelled,
                   Cancel(*consignment, reason, now));
  if (!cancelled.has_value()) return repository_->Commit(work);
  repository_->Stage(work, *consignment, &*cancelled, origin, now);
  RETURN_IF_ERROR(repository_->Commit(work));
  mesh::logging::Info("consignment cancelled",
                      {{"consignment_id", consignment_id},
                       {"reason", reason},
                       {"was_consigned", cancelled->was_consigned()}});
  return absl::OkStatus();
}

void RegisterPolicies(mesh::messaging::EventConsumer& consumer, ConsignPolicy& policy) {
  consumer.On("usedcar.purchase", purchase::v1::Purchased::descriptor()->name(),
              [&policy](const common::v1::EventEnvelope& event, UnitOfWork& work) {
                return policy.OnPurchased(event, work);
              });
  consumer.On("usedcar.purchase", purchase::v1::PurchaseCancelled::descriptor()->name(),
              [&policy](const common::v1::EventEnvelope& event, UnitOfWork& work) {
                return policy.OnPurchaseCancelled(event, work);
              });
  consumer.On("usedcar.stock", stock::v1::StockShortage::descriptor()->name(),
              [&policy](const common::v1::EventEnvelope& event, UnitOfWork& work) {
                return policy.OnStockShortage(event, work);
              });
}

}  // namespace usedcar::consign
