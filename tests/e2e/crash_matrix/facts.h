// The snapshot indexed for the invariants: the services' state by id, and
// every event of the streams unpacked and grouped by the aggregate it is
// about. An event id that appears more than once is filed once (its first
// copy); `copies` keeps every copy. Pointers refer into the snapshot, which must outlive the facts.
// Built once, then only read; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "billing/v1/billing_events.pb.h"
#include "tests/e2e/crash_matrix/snapshot.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace mesh::crash_matrix {

// One event of a stream with its payload unpacked.
template <typename Payload>
struct Seen {
  const std::string* stream = nullptr;
  uint64_t seq = 0;
  const common::v1::EventEnvelope* envelope = nullptr;
  Payload payload;
};

template <typename Payload>
using SeenBy = std::map<std::string, std::vector<Seen<Payload>>>;

struct Facts {
  std::map<std::string, const usedcar::purchase::v1::Purchase*> purchases;  // by id
  std::map<std::string, std::vector<const usedcar::purchase::v1::Purchase*>> by_request;
  std::map<std::string, const billing::v1::Payment*> payments;  // by payment id
  // Payments by the purchase their reference names ("usedcar/purchase/<id>").
  std::map<std::string, std::vector<const billing::v1::Payment*>> payments_of;
  std::vector<const billing::v1::Payment*> foreign_payments;  // other references
  std::map<std::string, std::vector<const usedcar::consign::v1::Consignment*>> consignments_of;
  std::map<std::string, const usedcar::consign::v1::Consignment*> consignments;  // by id
  std::map<std::string, const usedcar::stock::v1::Stock*> stocks;                // by car

  SeenBy<usedcar::purchase::v1::Purchased> purchased;                   // by purchase id
  SeenBy<usedcar::purchase::v1::PurchaseCancelled> purchase_cancelled;  // by purchase id
  SeenBy<billing::v1::PayApproved> pay_approved;                        // by payment id
  SeenBy<billing::v1::PayCancelled> pay_cancelled;                      // by payment id
  SeenBy<usedcar::consign::v1::Consigned> consigned;                    // by consignment id
  SeenBy<usedcar::consign::v1::ConsignCancelled> consign_cancelled;     // by consignment id
  SeenBy<usedcar::stock::v1::StockChanged> stock_changed;               // by car
  SeenBy<usedcar::stock::v1::StockChanged> stock_taken;     // cause "consigned", by consignment
  SeenBy<usedcar::stock::v1::StockChanged> stock_returned;  // "consign-cancelled", by consignment
  SeenBy<usedcar::stock::v1::StockShortage> shortage;       // by consignment id

  // "<stream>#<seq>" of every copy of each event id.
  std::map<std::string, std::vector<std::string>> copies;
  // Events whose payload is not what their type says.
  std::vector<std::string> unreadable;
};

Facts IndexFacts(const Snapshot& snapshot);

// "<stream>#<seq> <type> <event id>", for examples in the report.
template <typename Payload>
std::string Where(const Seen<Payload>& seen) {
  return *seen.stream + "#" + std::to_string(seen.seq) + " " + seen.envelope->event_type() + " " +
         seen.envelope->event_id();
}

}  // namespace mesh::crash_matrix
