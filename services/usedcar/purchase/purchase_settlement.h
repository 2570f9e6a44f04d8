// The steps that close a purchase's payment or refund. Both the request path
// and the resolver use them, so a purchase settles the same way whichever
// gets there first; each step is idempotent and locks the purchase.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "billing/v1/billing.pb.h"
#include "services/usedcar/purchase/purchase_repository.h"

namespace usedcar::purchase {

class Settlement {
 public:
  explicit Settlement(PurchaseRepository* repository) : repository_(repository) {}

  // Applies billing's answer to a payment: CAPTURED marks the purchase paid
  // (with its Purchased event), VOIDED abandons it. Returns the purchase, or
  // ABORTED when it was abandoned.
  absl::StatusOr<Purchase> ApplyPayment(std::string_view purchase_id,
                                        const billing::v1::Payment& payment,
                                        std::string_view causation_id);

  // Removes a purchase that is still PENDING and was never charged.
  absl::Status Abandon(std::string_view purchase_id);

  // Marks a cancelling purchase cancelled once billing refunded it.
  absl::StatusOr<Purchase> ApplyRefund(std::string_view purchase_id,
                                       const billing::v1::Payment& payment,
                                       std::string_view causation_id);

 private:
  absl::StatusOr<Purchase> Load(std::string_view purchase_id);

  PurchaseRepository* repository_;
};

}  // namespace usedcar::purchase
