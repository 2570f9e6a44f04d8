#include "services/usedcar/stock/stock_policy.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"
#include "usedcar/consign/v1/consign_events.pb.h"

namespace usedcar::stock {
namespace {

using common::v1::EventEnvelope;
using mesh::storage::UnitOfWork;

// An event whose ids are unusable can never apply, however often it is
// retried; the message says which event, so the dead letter explains itself.
absl::Status CheckIds(const EventEnvelope& event, const std::string& consignment_id,
                      const std::string& car_id) {
  absl::Status valid = ValidateId("consignment_id", consignment_id);
  if (valid.ok()) valid = ValidateId("car_id", car_id);
  if (valid.ok()) return valid;
  return mesh::status::Annotate(valid, absl::StrCat(event.event_type(), " ", event.event_id()));
}

template <typename Payload>
ConsignmentRef RefOf(const Payload& payload) {
  return ConsignmentRef{payload.consignment_id(), payload.purchase_id(), payload.customer_id()};
}

}  // namespace

StockPolicy::StockPolicy(StockRepository* repository, const mesh::resilience::Clock& clock)
    : repository_(repository), clock_(clock) {}

absl::Status StockPolicy::OnConsigned(const EventEnvelope& event, UnitOfWork& work) {
  consign::v1::Consigned consigned;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &consigned));
  RETURN_IF_ERROR(CheckIds(event, consigned.consignment_id(), consigned.car_id()));
  return Apply(&ApplyConsigned, consigned.car_id(), RefOf(consigned), event, work);
}

absl::Status StockPolicy::OnConsignCancelled(const EventEnvelope& event, UnitOfWork& work) {
  consign::v1::ConsignCancelled cancelled;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &cancelled));
  RETURN_IF_ERROR(CheckIds(event, cancelled.consignment_id(), cancelled.car_id()));
  return Apply(&ApplyConsignCancelled, cancelled.car_id(), RefOf(cancelled), event, work);
}

absl::Status StockPolicy::Apply(Rule rule, const std::string& car_id, const ConsignmentRef& ref,
                                const EventEnvelope& event, UnitOfWork& work) {
  mesh::logging::ScopedCorrelationId scope(event.correlation_id());
  auto consignment_lock = repository_->LockConsignment(ref.consignment_id);
  auto car_lock = repository_->LockCar(car_id);
  ASSIGN_OR_RETURN(std::optional<ConsignmentRecord> record,
                   repository_->FindConsignment(ref.consignment_id));
  if (record.has_value() && record->car_id != car_id) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.event_type(), " ", event.event_id(), ": consignment ",
                     ref.consignment_id, " is of car ", record->car_id, ", not ", car_id));
  }
  const ConsignmentMark mark = record.has_value() ? record->mark : ConsignmentMark::kNone;
  ASSIGN_OR_RETURN(std::optional<Stock> current, repository_->Get(car_id));
  if (!current.has_value() && mark == ConsignmentMark::kReserved) {
    return absl::DataLossError(absl::StrCat("consignment ", ref.consignment_id,
                                            " took a unit of car ", car_id,
                                            ", which has no stock row"));
  }
  Stock stock = current.has_value() ? *std::move(current) : EmptyStock(car_id);
  const absl::Time now = clock_.Now();
  const Decision decision = rule(stock, mark, ref, now);

  if (decision.mark.has_value()) {
    StockRepository::PutConsignment(work, ref.consignment_id, {car_id, *decision.mark});
  }
  const EventOrigin origin{event.correlation_id().empty() ? absl::StrCat("usedcar/stock/", car_id)
                                                          : event.correlation_id(),
                           event.event_id(), event.traceparent()};
  if (decision.changed.has_value()) {
    StockRepository::PutStock(work, stock);
    StockRepository::AddEvent(work, stock, *decision.changed, origin, now);
  }
  if (decision.shortage.has_value()) {
    mesh::logging::Warn("car out of stock",
                        {{"car_id", car_id}, {"consignment_id", ref.consignment_id}});
    StockRepository::AddEvent(work, stock, *decision.shortage, origin, now);
  }
  // Committed even when nothing changed: the inbox mark alone makes a
  // redelivery a no-op.
  return repository_->Commit(work);
}

void RegisterPolicies(mesh::messaging::EventConsumer& consumer, StockPolicy& policy) {
  consumer.On(kConsignProducer, consign::v1::Consigned::descriptor()->name(),
              [&policy](const EventEnvelope& event, UnitOfWork& work) {
                return policy.OnConsigned(event, work);
              });
  consumer.On(kConsignProducer, consign::v1::ConsignCancelled::descriptor()->name(),
              [&policy](const EventEnvelope& event, UnitOfWork& work) {
                return policy.OnConsignCancelled(event, work);
              });
}

}  // namespace usedcar::stock
