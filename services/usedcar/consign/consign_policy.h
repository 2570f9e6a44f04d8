// The consign context's event handlers (the seed's PolicyHandler):
//
//   usedcar.purchase Purchased         → create the purchase's consignment and,
//                                         with auto_dispatch, consign it at once
//                                         (emits Consigned);
//   usedcar.purchase PurchaseCancelled → cancel it, reason "purchase cancelled"
//                                         (emits ConsignCancelled);
//   usedcar.stock    StockShortage     → cancel it, reason "out of stock"
//                                         (emits ConsignCancelled).
//
// Each handler adds its effect and events to the consumer's unit of work,
// which already carries the inbox mark, and commits it under the
// consignment's lock: effect, outbox and inbox land in one WriteBatch. It
// commits even when nothing changes, so the mark is never lost.
//
// Redelivery and reordering are absorbed by the state machine: a consignment
// exists at most once per purchase (its id derives from the purchase id), a
// repeated transition is a no-op, and a PurchaseCancelled that overtakes its
// Purchased leaves a tombstone so the late Purchased creates nothing. A
// delivered car is never cancelled: the event is logged and acknowledged.
//
// Each handler returns INVALID_ARGUMENT for an event that can never apply (a
// payload of the wrong type or missing ids), so the consumer dead-letters it
// at once, and the store's error (to be retried) when the commit fails.
//
// Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/event_consumer.h"
#include "libs/resilience/clock.h"
#include "libs/storage/store.h"
#include "services/usedcar/consign/consignment_repository.h"

namespace usedcar::consign {

struct PolicyOptions {
  // Consign a new consignment at once instead of waiting for MarkConsigned.
  bool auto_dispatch = true;
};

class ConsignPolicy {
 public:
  ConsignPolicy(ConsignmentRepository* repository, const mesh::resilience::Clock& clock,
                PolicyOptions options);

  absl::Status OnPurchased(const common::v1::EventEnvelope& event,
                           mesh::storage::UnitOfWork& work);
  absl::Status OnPurchaseCancelled(const common::v1::EventEnvelope& event,
                                   mesh::storage::UnitOfWork& work);
  absl::Status OnStockShortage(const common::v1::EventEnvelope& event,
                               mesh::storage::UnitOfWork& work);

 private:
  // Cancels the purchase's consignment, or leaves a tombstone when there is none yet.
  absl::Status CancelFor(std::string_view purchase_id, std::string_view reason,
                         const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work);

  ConsignmentRepository* repository_;
  const mesh::resilience::Clock& clock_;
  PolicyOptions options_;
};

// Subscribes the policy's handlers; call before the consumer starts. The
// policy must outlive the consumer.
void RegisterPolicies(mesh::messaging::EventConsumer& consumer, ConsignPolicy& policy);

}  // namespace usedcar::consign
