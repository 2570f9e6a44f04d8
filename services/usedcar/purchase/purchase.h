// The Purchase aggregate and its state machine (the seed's 구매).
//
//   PENDING ──paid──▶ PAID ──cancel──▶ CANCELLING ──refunded──▶ CANCELLED
//      └──abandoned (billing never charged): the purchase is removed
//
// Pure domain logic: no gRPC, no storage. Every transition either changes the
// purchase and bumps its version, or returns an error and changes nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "usedcar/purchase/v1/purchase.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"

namespace usedcar::purchase {

using v1::Purchase;
using v1::PurchaseStatus;

inline constexpr absl::string_view kMerchant = "usedcar";

// INVALID_ARGUMENT naming the first bad field.
absl::Status ValidateRequest(const v1::RequestPurchaseRequest& request);

// Whether a repeated RequestPurchase asks for the same thing as the original.
bool SameRequest(const Purchase& purchase, const v1::RequestPurchaseRequest& request);

// A new purchase awaiting payment.
Purchase NewPending(const v1::RequestPurchaseRequest& request, std::string purchase_id,
                    absl::Time now);

// The correlation key: "usedcar/purchase/<id>"; also billing's reference.
std::string Reference(const Purchase& purchase);
// The idempotency keys billing sees: the purchase id pays, "<id>/refund" refunds.
std::string PaymentKey(const Purchase& purchase);
std::string RefundKey(const Purchase& purchase);

// PENDING → PAID. Returns the event to publish, or nullopt when the purchase
// was already paid with this payment (a repeat changes nothing).
// FAILED_PRECONDITION from any other state.
absl::StatusOr<std::optional<v1::Purchased>> MarkPaid(Purchase& purchase,
                                                      std::string_view payment_id, absl::Time now);

// PAID → CANCELLING. Returns false when the purchase is already cancelling or
// cancelled (nothing changes). FAILED_PRECONDITION for a pending purchase.
absl::StatusOr<bool> BeginCancel(Purchase& purchase, std::string_view reason, absl::Time now);

// CANCELLING → CANCELLED once billing refunded. nullopt when already cancelled.
absl::StatusOr<std::optional<v1::PurchaseCancelled>> MarkCancelled(Purchase& purchase,
                                                                   absl::Time now);

std::string_view StatusName(PurchaseStatus status);

}  // namespace usedcar::purchase
