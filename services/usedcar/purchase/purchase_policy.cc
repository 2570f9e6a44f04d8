#include "services/usedcar/purchase/purchase_policy.h"

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/status/status.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::purchase {

void PurchasePolicy::Register(mesh::messaging::EventConsumer& consumer) {
  consumer.On<stock::v1::StockShortage>(
      "usedcar.stock",
      [this](const stock::v1::StockShortage& shortage, const common::v1::EventEnvelope& event,
             mesh::storage::UnitOfWork& work) {
        if (shortage.purchase_id().empty()) {
          return absl::InvalidArgumentError("StockShortage.purchase_id is empty");
        }
        return OnStockShortage(shortage.purchase_id(), event, work);
      });
}

absl::Status PurchasePolicy::OnStockShortage(const std::string& purchase_id,
                                             const common::v1::EventEnvelope& event,
                                             mesh::storage::UnitOfWork& work) {
  std::optional<Purchase> to_refund;
  {
    auto lock = repository_->Lock(purchase_id);
    ASSIGN_OR_RETURN(std::optional<Purchase> purchase, repository_->Get(purchase_id));
    if (!purchase.has_value()) {
      // Not ours (or long gone): nothing to compensate, but remember the event.
      mesh::logging::Warn("stock shortage for an unknown purchase", {{"purchase_id", purchase_id}});
      return repository_->Commit(work);
    }
    absl::StatusOr<bool> changed = BeginCancel(*purchase, kOutOfStock, absl::Now());
    if (!changed.ok()) {
      // A purchase still PENDING cannot have been consigned: retry later.
      return absl::UnavailableError(
          absl::StrCat("cannot cancel yet: ", changed.status().message()));
    }
    RETURN_IF_ERROR(repository_->Save(*purchase, nullptr, event.event_id(), std::move(work)));
    if (purchase->status() == v1::PURCHASE_STATUS_CANCELLING) to_refund = purchase;
  }
  if (to_refund.has_value()) {
    mesh::logging::Info("purchase cancelled: the car is out of stock; refunding",
                        {{"purchase_id", purchase_id}});
    const std::string causation = event.event_id();
    gateway_->Refund(*to_refund, nullptr,
                     [this, purchase_id, causation](absl::StatusOr<billing::v1::Payment> payment,
                                                    bool) {
                       if (!payment.ok()) return;  // the resolver asks again
                       absl::StatusOr<Purchase> done =
                           settlement_.ApplyRefund(purchase_id, *payment, causation);
                       if (!done.ok()) {
                         mesh::logging::Warn("refund not applied yet",
                                             {{"error", done.status().ToString()}});
                       }
                     });
  }
  return absl::OkStatus();
}

}  // namespace usedcar::purchase
