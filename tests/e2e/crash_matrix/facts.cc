#include "tests/e2e/crash_matrix/facts.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/messaging/event.h"

namespace mesh::crash_matrix {
namespace {

constexpr char kReferencePrefix[] = "usedcar/purchase/";

// Unpacks the payload and files the event under `key(payload)`. Returns the
// filed copy (valid until the next File into `by`), or nullptr (noting the
// event) when the payload does not unpack.
template <typename Payload, typename Key>
const Seen<Payload>* File(const std::string& stream, const StreamEvent& event, SeenBy<Payload>& by,
                          Key key, Facts& facts) {
  Seen<Payload> seen{.stream = &stream, .seq = event.seq, .envelope = &event.event};
  if (!messaging::UnpackPayload(event.event, &seen.payload).ok()) {
    facts.unreadable.push_back(absl::StrCat(stream, "#", event.seq, " ", event.event.event_type()));
    return nullptr;
  }
  std::vector<Seen<Payload>>& filed = by[key(seen.payload)];
  filed.push_back(std::move(seen));
  return &filed.back();
}

}  // namespace

Facts IndexFacts(const Snapshot& snapshot) {
  Facts facts;
  for (const auto& purchase : snapshot.purchases) {
    facts.purchases[purchase.purchase_id()] = &purchase;
    facts.by_request[purchase.request_id()].push_back(&purchase);
  }
  for (const auto& payment : snapshot.payments) {
    facts.payments[payment.payment_id()] = &payment;
    if (absl::StartsWith(payment.reference(), kReferencePrefix)) {
      facts.payments_of[payment.reference().substr(sizeof(kReferencePrefix) - 1)].push_back(
          &payment);
    } else {
      facts.foreign_payments.push_back(&payment);
    }
  }
  for (const auto& consignment : snapshot.consignments) {
    facts.consignments[consignment.consignment_id()] = &consignment;
    facts.consignments_of[consignment.purchase_id()].push_back(&consignment);
  }
  for (const auto& stock : snapshot.stocks) facts.stocks[stock.car_id()] = &stock;

  for (const auto& [name, contents] : snapshot.streams) {
    for (const StreamEvent& event : contents.events) {
      std::vector<std::string>& copies = facts.copies[event.event.event_id()];
      copies.push_back(absl::StrCat(name, "#", event.seq));
      // A copy is reported by stream_exactly_once; everything else looks at
      // each event once, as an idempotent consumer does.
      if (copies.size() > 1) continue;
      const std::string& type = event.event.event_type();
      if (type == "Purchased") {
        File(
            name, event, facts.purchased, [](const auto& p) { return p.purchase_id(); }, facts);
      } else if (type == "PurchaseCancelled") {
        File(
            name, event, facts.purchase_cancelled, [](const auto& p) { return p.purchase_id(); },
            facts);
      } else if (type == "PayApproved") {
        File(
            name, event, facts.pay_approved, [](const auto& p) { return p.payment_id(); }, facts);
      } else if (type == "PayCancelled") {
        File(
            name, event, facts.pay_cancelled, [](const auto& p) { return p.payment_id(); }, facts);
      } else if (type == "Consigned") {
        File(
            name, event, facts.consigned, [](const auto& p) { return p.consignment_id(); }, facts);
      } else if (type == "ConsignCancelled") {
        File(
            name, event, facts.consign_cancelled, [](const auto& p) { return p.consignment_id(); },
            facts);
      } else if (type == "StockShortage") {
        File(
            name, event, facts.shortage, [](const auto& p) { return p.consignment_id(); }, facts);
      } else if (type == "StockChanged") {
        const Seen<usedcar::stock::v1::StockChanged>* filed = File(
            name, event, facts.stock_changed, [](const auto& p) { return p.car_id(); }, facts);
        if (filed == nullptr) continue;
        const Seen<usedcar::stock::v1::StockChanged> seen = *filed;
        if (seen.payload.cause() == "consigned") {
          facts.stock_taken[seen.payload.consignment_id()].push_back(seen);
        } else if (seen.payload.cause() == "consign-cancelled") {
          facts.stock_returned[seen.payload.consignment_id()].push_back(seen);
        }
      }
    }
  }
  return facts;
}

}  // namespace mesh::crash_matrix
