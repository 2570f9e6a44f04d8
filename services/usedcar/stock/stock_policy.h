// The stock context's policies on usedcar.consign's events (the seed's
// "탁송되면 재고가 감소된다" and "탁송이 취소되면 재고가 증가된다"):
//
//   Consigned        → takes one unit of the car (StockChanged, cause
//                      "consigned", delta -1), or, with none left, changes
//                      nothing and raises StockShortage; the saga then
//                      cancels the consignment and the purchase.
//   ConsignCancelled → gives the unit back (StockChanged, cause
//                      "consign-cancelled", delta +1) only when this
//                      consignment took one; otherwise leaves a tombstone so
//                      that a Consigned arriving later takes nothing.
//
// The decisions are stock.h's. Each handler loads under the consignment's and
// the car's locks, stages the stock, the consignment's mark and the events
// into the unit of work it is given (which already carries the inbox mark) and
// commits it, so effect, mark and events land in one WriteBatch. Events go out
// as producer "usedcar.stock", aggregate "Stock" / car_id / the stock's
// version, with the incoming event's correlation_id and traceparent and
// causation_id = its event_id.
//
// Returns INVALID_ARGUMENT, committing nothing, for an event that can never
// apply: a payload of another type or that does not parse, an empty or
// malformed car_id or consignment_id, or a consignment already recorded for
// another car. Store errors pass through (the consumer retries them).
//
// Thread-safe: concurrent events for one car never take more units than it has.
#pragma once

#include "absl/status/status.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/event_consumer.h"
#include "libs/resilience/clock.h"
#include "libs/storage/store.h"
#include "services/usedcar/stock/stock_repository.h"

namespace usedcar::stock {

inline constexpr char kConsignProducer[] = "usedcar.consign";

class StockPolicy {
 public:
  // Neither is owned; both must outlive the policy.
  StockPolicy(StockRepository* repository, const mesh::resilience::Clock& clock);

  absl::Status OnConsigned(const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work);
  absl::Status OnConsignCancelled(const common::v1::EventEnvelope& event,
                                  mesh::storage::UnitOfWork& work);

 private:
  using Rule = Decision (*)(Stock&, ConsignmentMark, const ConsignmentRef&, absl::Time);

  absl::Status Apply(Rule rule, const std::string& car_id, const ConsignmentRef& ref,
                     const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work);

  StockRepository* repository_;
  const mesh::resilience::Clock& clock_;
};

// Registers the policy's handlers for usedcar.consign's Consigned and
// ConsignCancelled. Call before the consumer starts; the policy must outlive it.
void RegisterPolicies(mesh::messaging::EventConsumer& consumer, StockPolicy& policy);

}  // namespace usedcar::stock
