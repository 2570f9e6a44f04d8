// The purchase view (the seed's dashboard) as a fold of events.
//
// Events of one purchase come from four streams (purchase, billing, consign,
// stock) and may arrive in any order. The fold is built so that a view
// converges to the same content whatever the order:
//   - each event sets only its own fields (Consigned sets consignment_id,
//     consign status and consigned_time, nothing else);
//   - identity fields (customer_id, car_id, payment_id, consignment_id,
//     price) are filled when still empty; every event of a purchase carries
//     the same values;
//   - a status only moves forward, by rank (the enum values are ranked):
//       purchase  PAID < CANCELLED
//       payment   CAPTURED < VOIDED < REFUNDED
//       consign   CONSIGNED < DELIVERED < CANCELLED
//       stock     DECREASED < SHORTAGE < RETURNED
//     so a late Consigned never undoes a ConsignCancelled. The stock event
//     that wins the status also sets stock_total_after and
//     stock_changed_time (between equal ranks, the later occur_time wins);
//   - cancel_reason comes from PurchaseCancelled; a ConsignCancelled's
//     reason fills it only while the purchase itself is not cancelled;
//   - version counts applied events and last_event_time is the newest
//     occur_time; update_time is the caller's clock at apply.
// Applying the same event twice is not idempotent (version counts it twice):
// the inbox keeps redeliveries away.
//
// Pure logic: no gRPC, no storage. Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing/v1/billing_events.pb.h"
#include "common/v1/event.pb.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/dashboard/v1/dashboard.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::dashboard {

using v1::PurchaseView;

// The producing contexts the dashboard reads.
inline constexpr std::string_view kPurchaseProducer = "usedcar.purchase";
inline constexpr std::string_view kBillingProducer = "billing";
inline constexpr std::string_view kConsignProducer = "usedcar.consign";
inline constexpr std::string_view kStockProducer = "usedcar.stock";

// Billing events count only for this merchant and reference prefix.
inline constexpr std::string_view kMerchant = "usedcar";
inline constexpr std::string_view kPurchaseReferencePrefix = "usedcar/purchase/";

// One event the dashboard subscribes to.
struct Subscription {
  std::string_view producer;
  std::string_view event_type;
};

// Every (producer, event type) the fold understands.
const std::vector<Subscription>& Subscriptions();

using ViewPayload =
    std::variant<purchase::v1::Purchased, purchase::v1::PurchaseCancelled, billing::v1::PayApproved,
                 billing::v1::PayCancelled, consign::v1::Consigned, consign::v1::ConsignCancelled,
                 consign::v1::ConsignDelivered, stock::v1::StockChanged, stock::v1::StockShortage>;

// An event read for the view: which purchase it is about, when it happened,
// and its payload.
struct ViewEvent {
  std::string purchase_id;
  absl::Time occur_time;
  ViewPayload payload;
};

// Reads an envelope. Returns nullopt for an event the view does not use: an
// unsubscribed type, a billing event of another merchant or of a reference
// that is not a purchase, a stock change without a purchase (stock-in).
// INVALID_ARGUMENT, naming the event, for a payload that does not parse or
// lacks its purchase id: such an event can never apply.
absl::StatusOr<std::optional<ViewEvent>> ReadViewEvent(const common::v1::EventEnvelope& event);

// Folds one event into the view (an empty view for a purchase not seen yet).
// Sets purchase_id when empty, bumps version, and sets update_time to now.
void ApplyViewEvent(const ViewEvent& event, absl::Time now, PurchaseView& view);

}  // namespace usedcar::dashboard
