// The Consignment aggregate and its state machine (the seed's 탁송).
//
//   SCHEDULED ──consign──▶ CONSIGNED ──deliver──▶ DELIVERED
//       └──────cancel──────────┴──▶ CANCELLED
//
// One consignment per purchase, with an id derived from the purchase id, so
// a redelivered Purchased event can never create a second one. DELIVERED and
// CANCELLED are final.
//
// Pure domain logic: no gRPC, no storage. Every transition either changes the
// consignment and bumps its version, or returns an error and changes nothing.
// Repeating a transition that already happened changes nothing and returns
// nullopt, so event handlers and clients may retry freely.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "usedcar/consign/v1/consign.pb.h"
#include "usedcar/consign/v1/consign_events.pb.h"

namespace usedcar::consign {

using v1::Consignment;
using v1::ConsignmentStatus;

inline constexpr std::string_view kPurchaseCancelledReason = "purchase cancelled";
inline constexpr std::string_view kOutOfStockReason = "out of stock";

// "con_" + purchase_id.
std::string ConsignmentIdFor(std::string_view purchase_id);

// The correlation key of the purchase's story: "usedcar/purchase/<purchase_id>".
std::string Reference(const Consignment& consignment);

// A SCHEDULED consignment at version 1 for a paid purchase.
Consignment NewScheduled(std::string_view purchase_id, std::string_view customer_id,
                         std::string_view car_id, absl::Time now);

// SCHEDULED → CONSIGNED. Returns the event to publish, or nullopt when already
// CONSIGNED. FAILED_PRECONDITION ("cannot consign a consignment that is
// CANCELLED") from DELIVERED or CANCELLED.
absl::StatusOr<std::optional<v1::Consigned>> MarkConsigned(Consignment& consignment,
                                                           absl::Time now);

// CONSIGNED → DELIVERED. nullopt when already DELIVERED. FAILED_PRECONDITION
// ("cannot deliver a consignment that is SCHEDULED") from SCHEDULED or CANCELLED.
absl::StatusOr<std::optional<v1::ConsignDelivered>> MarkDelivered(Consignment& consignment,
                                                                  absl::Time now);

// SCHEDULED or CONSIGNED → CANCELLED. The event says whether the car had left
// (was_consigned). nullopt when already CANCELLED (the first reason stays).
// FAILED_PRECONDITION from DELIVERED: a delivered car cannot be un-delivered.
absl::StatusOr<std::optional<v1::ConsignCancelled>> Cancel(Consignment& consignment,
                                                           std::string_view reason,
                                                           absl::Time now);

// "SCHEDULED", "CONSIGNED", "DELIVERED", "CANCELLED" or "UNSPECIFIED".
std::string_view StatusName(ConsignmentStatus status);

}  // namespace usedcar::consign
