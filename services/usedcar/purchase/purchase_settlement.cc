#include "services/usedcar/purchase/purchase_settlement.h"

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/status/status.h"

namespace usedcar::purchase {

absl::StatusOr<Purchase> Settlement::Load(std::string_view purchase_id) {
  ASSIGN_OR_RETURN(std::optional<Purchase> purchase, repository_->Get(purchase_id));
  if (!purchase.has_value()) {
    return absl::NotFoundError(absl::StrCat("no purchase ", std::string(purchase_id)));
  }
  return *purchase;
}

absl::StatusOr<Purchase> Settlement::ApplyPayment(std::string_view purchase_id,
                                                  const billing::v1::Payment& payment,
                                                  std::string_view causation_id) {
  if (payment.status() == billing::v1::PAYMENT_STATUS_VOIDED) {
    RETURN_IF_ERROR(Abandon(purchase_id));
    return absl::AbortedError(absl::StrCat("the payment for purchase ", std::string(purchase_id),
                                           " was voided after a billing failure; request again"));
  }
  if (payment.status() != billing::v1::PAYMENT_STATUS_CAPTURED) {
    return absl::InternalError(absl::StrCat("billing answered payment ", payment.payment_id(),
                                            " in status ",
                                            billing::v1::PaymentStatus_Name(payment.status())));
  }
  auto lock = repository_->Lock(purchase_id);
  ASSIGN_OR_RETURN(Purchase purchase, Load(purchase_id));
  ASSIGN_OR_RETURN(std::optional<v1::Purchased> event,
                   MarkPaid(purchase, payment.payment_id(), absl::Now()));
  if (event.has_value()) {
    RETURN_IF_ERROR(repository_->Save(purchase, &*event, causation_id));
    mesh::logging::Info("purchase paid", {{"purchase_id", purchase.purchase_id()},
                                          {"payment_id", payment.payment_id()}});
  }
  return purchase;
}

absl::Status Settlement::Abandon(std::string_view purchase_id) {
  auto lock = repository_->Lock(purchase_id);
  ASSIGN_OR_RETURN(std::optional<Purchase> purchase, repository_->Get(purchase_id));
  if (!purchase.has_value() || purchase->status() != v1::PURCHASE_STATUS_PENDING) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(repository_->Remove(*purchase));
  mesh::logging::Info("purchase abandoned: billing never charged it",
                      {{"purchase_id", purchase->purchase_id()}});
  return absl::OkStatus();
}

absl::StatusOr<Purchase> Settlement::ApplyRefund(std::string_view purchase_id,
                                                 const billing::v1::Payment& payment,
                                                 std::string_view causation_id) {
  if (payment.status() != billing::v1::PAYMENT_STATUS_REFUNDED) {
    return absl::InternalError(absl::StrCat("billing answered refund of ", payment.payment_id(),
                                            " in status ",
                                            billing::v1::PaymentStatus_Name(payment.status())));
  }
  auto lock = repository_->Lock(purchase_id);
  ASSIGN_OR_RETURN(Purchase purchase, Load(purchase_id));
  ASSIGN_OR_RETURN(std::optional<v1::PurchaseCancelled> event,
                   MarkCancelled(purchase, absl::Now()));
  if (event.has_value()) {
    RETURN_IF_ERROR(repository_->Save(purchase, &*event, causation_id));
    mesh::logging::Info("purchase cancelled", {{"purchase_id", purchase.purchase_id()}});
  }
  return purchase;
}

}  // namespace usedcar::purchase
