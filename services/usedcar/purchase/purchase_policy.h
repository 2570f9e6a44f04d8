// How purchase reacts to other contexts' events: the compensating end of the
// stock-shortage saga. A car that turns out to be gone is cancelled with the
// reason "out of stock" and refunded.
#pragma once

#include "libs/messaging/event_consumer.h"
#include "services/usedcar/purchase/billing_client.h"
#include "services/usedcar/purchase/purchase_repository.h"
#include "services/usedcar/purchase/purchase_settlement.h"

namespace usedcar::purchase {

inline constexpr std::string_view kOutOfStock = "out of stock";

class PurchasePolicy {
 public:
  PurchasePolicy(PurchaseRepository* repository, PaymentGateway* gateway)
      : repository_(repository), gateway_(gateway), settlement_(repository) {}

  void Register(mesh::messaging::EventConsumer& consumer);

  // StockShortage: PAID → CANCELLING in one batch with the inbox mark, then
  // the refund is asked at once; the resolver finishes it if billing is away.
  absl::Status OnStockShortage(const std::string& purchase_id,
                               const common::v1::EventEnvelope& event,
                               mesh::storage::UnitOfWork& work);

 private:
  PurchaseRepository* repository_;
  PaymentGateway* gateway_;
  Settlement settlement_;
};

}  // namespace usedcar::purchase
