// The invariants of the consumers: each applied every event once, so its
// state equals the fold of the streams it reads.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/notification/rules.h"
#include "services/usedcar/dashboard/purchase_view.h"
#include "tests/e2e/crash_matrix/invariants.h"

namespace mesh::crash_matrix {
namespace {

namespace purchase_v1 = usedcar::purchase::v1;
namespace consign_v1 = usedcar::consign::v1;
using usedcar::dashboard::v1::PurchaseView;

template <typename T>
size_t CountOf(const std::map<std::string, std::vector<T>>& by, const std::string& key) {
  auto it = by.find(key);
  return it == by.end() ? 0 : it->second.size();
}

// The differences between two views, apply times left out.
std::string ViewDiff(PurchaseView want, PurchaseView got) {
  want.clear_update_time();
  got.clear_update_time();
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(want, got)) return "";
  std::replace(diff.begin(), diff.end(), '\n', ';');
  return diff;
}

}  // namespace

InvariantResult CheckConsignOncePerSale(const Evidence& evidence) {
  const Facts& facts = evidence.facts;
  InvariantResult result{.name = "consign_once_per_sale",
                         .promise =
                             "consign applied each Purchased once: one consignment per "
                             "sale, none for anything else, following the sale's state"};
  std::set<std::string> consigned_sales;
  for (const auto& [id, seen] : facts.consigned) {
    for (const auto& one : seen) consigned_sales.insert(one.payload.purchase_id());
  }
  int64_t tombstones = 0;
  for (const auto& [purchase_id, seen] : facts.purchased) {
    const size_t consignments = CountOf(facts.consignments_of, purchase_id);
    // JetStream redelivers an event that a killed consumer never acked only
    // after the ack wait, so a PurchaseCancelled may overtake its Purchased.
    // Consign then leaves a tombstone and the late Purchased creates nothing
    // (consign_policy.h): no consignment, no Consigned, for a cancelled sale.
    auto purchase = facts.purchases.find(purchase_id);
    const bool tombstoned = consignments == 0 && purchase != facts.purchases.end() &&
                            purchase->second->status() == purchase_v1::PURCHASE_STATUS_CANCELLED &&
                            CountOf(facts.purchase_cancelled, purchase_id) == 1 &&
                            consigned_sales.count(purchase_id) == 0;
    tombstones += tombstoned;
    result.Expect(consignments == 1 || tombstoned, [&] {
      return absl::StrCat(consignments, " consignments for purchase ", purchase_id);
    });
  }
  if (tombstones > 0) {
    result.notes.push_back(
        absl::StrCat(tombstones,
                     " cancellations overtook their Purchased event (redelivered after a consumer "
                     "crash); consign kept a tombstone and created no consignment"));
  }
  for (const auto& [id, consignment] : facts.consignments) {
    const std::string& purchase_id = consignment->purchase_id();
    result.Expect(facts.purchased.count(purchase_id) == 1, [&] {
      return absl::StrCat("consignment ", id, " for purchase ", purchase_id,
                          " that has no Purchased event");
    });
    auto purchase = facts.purchases.find(purchase_id);
    if (purchase == facts.purchases.end()) continue;
    const purchase_v1::Purchase& sale = *purchase->second;
    const bool follows = (sale.status() == purchase_v1::PURCHASE_STATUS_PAID &&
                          consignment->status() == consign_v1::CONSIGNMENT_STATUS_CONSIGNED) ||
                         (sale.status() == purchase_v1::PURCHASE_STATUS_CANCELLED &&
                          consignment->status() == consign_v1::CONSIGNMENT_STATUS_CANCELLED);
    result.Expect(follows && consignment->customer_id() == sale.customer_id() &&
                      consignment->car_id() == sale.car_id(),
                  [&] {
                    return absl::StrCat("consignment ", consignment->ShortDebugString(),
                                        " of purchase ",
                                        purchase_v1::PurchaseStatus_Name(sale.status()));
                  });
  }
  return result;
}

InvariantResult CheckStockEqualsFold(const Evidence& evidence) {
  const Facts& facts = evidence.facts;
  InvariantResult result{
      .name = "stock_equals_fold",
      .promise =
          "stock never went negative and equals the fold of the consign and stock "
          "streams; a car with one unit and two buyers goes to exactly one"};
  std::map<std::string, int64_t> stocked_in;
  auto add = [&](const std::vector<PlannedOp>& ops, const std::vector<OpOutcome>& outcomes) {
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == OpKind::kStockIn && outcomes[i].result == OpOutcome::Result::kAccepted) {
        stocked_in[ops[i].car] += ops[i].amount;
      }
    }
  };
  add(evidence.plan.initial_stock, evidence.initial_outcomes);
  add(evidence.plan.ops, evidence.outcomes);
  std::set<std::string> cars;
  for (const auto& [car, unused] : stocked_in) cars.insert(car);
  for (const auto& [car, unused] : facts.stocks) cars.insert(car);

  for (const std::string& car : cars) {
    auto found = facts.stocks.find(car);
    result.Expect(found != facts.stocks.end(),
                  [&] { return absl::StrCat("no stock for ", car, ", which was stocked in"); });
    if (found == facts.stocks.end()) continue;
    const usedcar::stock::v1::Stock& stock = *found->second;
    result.Expect(stock.quantity() >= 0 &&
                      stock.quantity() == stock.stocked_in() - stock.consigned() + stock.returned(),
                  [&] { return absl::StrCat("unbalanced stock ", stock.ShortDebugString()); });
    result.Expect(stock.stocked_in() == stocked_in[car], [&] {
      return absl::StrCat(car, " stocked in ", stock.stocked_in(), " but the clients stocked in ",
                          stocked_in[car]);
    });
    // The stream's own story of the car: a chain of totals, never negative.
    std::vector<const Seen<usedcar::stock::v1::StockChanged>*> changes;
    if (auto it = facts.stock_changed.find(car); it != facts.stock_changed.end()) {
      for (const auto& seen : it->second) changes.push_back(&seen);
    }
    std::sort(changes.begin(), changes.end(), [](const auto* a, const auto* b) {
      return a->envelope->aggregate_version() < b->envelope->aggregate_version();
    });
    int64_t total = 0, in = 0;
    std::set<std::string> taken, returned;
    for (const auto* change : changes) {
      const auto& payload = change->payload;
      result.Expect(payload.total() == total + payload.delta() && payload.total() >= 0, [&] {
        return absl::StrCat(Where(*change), " says ", car, " went from ", total, " by ",
                            payload.delta(), " to ", payload.total());
      });
      total = payload.total();
      if (payload.cause() == "stock-in") in += payload.delta();
      if (payload.cause() == "consigned") taken.insert(payload.consignment_id());
      if (payload.cause() == "consign-cancelled") returned.insert(payload.consignment_id());
    }
    result.Expect(total == stock.quantity() && in == stock.stocked_in() &&
                      static_cast<int64_t>(taken.size()) == stock.consigned() &&
                      static_cast<int64_t>(returned.size()) == stock.returned(),
                  [&] {
                    return absl::StrCat(stock.ShortDebugString(), " but its events fold to total ",
                                        total, ", stocked in ", in, ", ", taken.size(),
                                        " consignments taken, ", returned.size(), " returned");
                  });
  }
  // Every consignment that left took a unit or met a shortage, once; a
  // cancelled one gave back exactly the unit it took.
  int64_t absorbed = 0;
  for (const auto& [id, seen] : facts.consigned) {
    const size_t took = CountOf(facts.stock_taken, id);
    const size_t short_of = CountOf(facts.shortage, id);
    // A Consigned redelivered after its ConsignCancelled takes nothing
    // (stock.h's tombstone); the consignment must then be cancelled.
    const bool late = took + short_of == 0 && CountOf(facts.consign_cancelled, id) == 1;
    absorbed += late;
    result.Expect(took + short_of == 1 || late, [&] {
      return absl::StrCat("consignment ", id, " took ", took, " units and met ", short_of,
                          " shortages");
    });
  }
  if (absorbed > 0) {
    result.notes.push_back(absl::StrCat(absorbed,
                                        " Consigned events arrived after their ConsignCancelled "
                                        "and took nothing"));
  }
  for (const auto& [id, seen] : facts.consign_cancelled) {
    const size_t want = CountOf(facts.stock_taken, id) > 0 ? 1 : 0;
    result.Expect(CountOf(facts.stock_returned, id) == want, [&] {
      return absl::StrCat("cancelled consignment ", id, " returned ",
                          CountOf(facts.stock_returned, id), " units, took ",
                          CountOf(facts.stock_taken, id));
    });
  }
  for (const auto& [id, seen] : facts.stock_returned) {
    result.Expect(CountOf(facts.stock_taken, id) == 1 && seen.size() == 1, [&] {
      return absl::StrCat("consignment ", id, " returned ", seen.size(), " units but took ",
                          CountOf(facts.stock_taken, id));
    });
  }
  // The double-buyer conflicts: one keeps the car, the other is refunded.
  std::map<std::string, std::vector<const purchase_v1::Purchase*>> duels;
  for (size_t i = 0; i < evidence.plan.ops.size(); ++i) {
    const PlannedOp& op = evidence.plan.ops[i];
    if (!op.conflict) continue;
    auto purchase = facts.purchases.find(evidence.outcomes[i].purchase_id);
    if (purchase != facts.purchases.end()) duels[op.car].push_back(purchase->second);
  }
  for (const auto& [car, buyers] : duels) {
    int kept = 0, refunded = 0;
    for (const auto* p : buyers) {
      kept += p->status() == purchase_v1::PURCHASE_STATUS_PAID;
      refunded += p->status() == purchase_v1::PURCHASE_STATUS_CANCELLED &&
                  p->cancel_reason() == "out of stock";
    }
    result.Expect(buyers.size() == 2 && kept == 1 && refunded == 1, [&] {
      return absl::StrCat(car, " (one unit): ", buyers.size(), " buyers, ", kept, " kept it, ",
                          refunded, " refunded for lack of stock");
    });
  }
  return result;
}

InvariantResult CheckDashboardEqualsFold(const Evidence& evidence) {
  InvariantResult result{.name = "dashboard_equals_fold",
                         .promise =
                             "every purchase view equals the fold of its events "
                             "(purchase_view.h over the four streams), field by field"};
  std::map<std::string, PurchaseView> fold;
  // Each event once, as the dashboard's inbox lets it through once; copies
  // in a stream are stream_exactly_once's business.
  std::set<std::string> folded;
  for (const std::string& stream : StoryStreams()) {
    auto contents = evidence.snapshot.streams.find(stream);
    if (contents == evidence.snapshot.streams.end()) continue;
    for (const StreamEvent& event : contents->second.events) {
      if (!folded.insert(event.event.event_id()).second) continue;
      absl::StatusOr<std::optional<usedcar::dashboard::ViewEvent>> read =
          usedcar::dashboard::ReadViewEvent(event.event);
      if (!read.ok()) {
        result.Fail(
            absl::StrCat(stream, "#", event.seq, " cannot fold: ", read.status().ToString()));
        continue;
      }
      if (!read->has_value()) continue;
      usedcar::dashboard::ApplyViewEvent(**read, absl::UnixEpoch(), fold[(*read)->purchase_id]);
    }
  }
  std::map<std::string, const PurchaseView*> shown;
  for (const PurchaseView& view : evidence.snapshot.views) {
    result.Expect(shown.emplace(view.purchase_id(), &view).second,
                  [&] { return absl::StrCat("two views of ", view.purchase_id()); });
  }
  for (const auto& [id, want] : fold) {
    auto got = shown.find(id);
    result.Expect(got != shown.end(), [&] {
      return absl::StrCat("no view of ", id, ", whose events fold to ", want.ShortDebugString());
    });
    if (got == shown.end()) continue;
    const std::string diff = ViewDiff(want, *got->second);
    result.Expect(diff.empty(), [&] {
      return absl::StrCat("view of ", id, " differs from the fold: ", diff.substr(0, 400));
    });
  }
  for (const auto& [id, view] : shown) {
    result.Expect(fold.count(id) == 1,
                  [&] { return absl::StrCat("view of ", id, " has no events behind it"); });
  }
  return result;
}

InvariantResult CheckNotificationsOncePerRule(const Evidence& evidence) {
  InvariantResult result{.name = "notifications_once_per_rule",
                         .promise =
                             "one notification per (event, rule) the rules give for the "
                             "streams' events, no more, no less"};
  const std::vector<notification::Rule> rules = notification::AllRules();
  std::map<std::pair<std::string, std::string>, std::string> expected;  // → recipient
  for (const auto& [stream, contents] : evidence.snapshot.streams) {
    for (const StreamEvent& event : contents.events) {
      for (const notification::Rule& rule : rules) {
        if (rule.producer != event.event.producer() ||
            rule.event_type != event.event.event_type()) {
          continue;
        }
        absl::StatusOr<std::optional<notification::Message>> message = rule.render(event.event);
        if (!message.ok()) {
          result.Fail(absl::StrCat(stream, "#", event.seq, " cannot render rule ", rule.id, ": ",
                                   message.status().ToString()));
          continue;
        }
        if (message->has_value()) {
          expected[{event.event.event_id(), rule.id}] = (*message)->recipient;
        }
      }
    }
  }
  std::map<std::pair<std::string, std::string>, std::vector<const notification::v1::Notification*>>
      actual;
  for (const auto& n : evidence.snapshot.notifications)
    actual[{n.event_id(), n.rule()}].push_back(&n);
  for (const auto& [key, notifications] : actual) {
    result.Expect(notifications.size() == 1, [&] {
      return absl::StrCat(notifications.size(), " notifications for event ", key.first, " rule ",
                          key.second);
    });
    auto want = expected.find(key);
    result.Expect(
        want != expected.end() && want->second == notifications.front()->recipient(), [&] {
          return absl::StrCat("unexpected notification ", notifications.front()->notification_id(),
                              " for event ", key.first, " rule ", key.second, " to ",
                              notifications.front()->recipient());
        });
  }
  for (const auto& [key, recipient] : expected) {
    result.Expect(actual.count(key) == 1, [&] {
      return absl::StrCat("no notification to ", recipient, " for event ", key.first, " rule ",
                          key.second);
    });
  }
  return result;
}

InvariantResult CheckNoDeadLetters(const Evidence& evidence) {
  InvariantResult result{.name = "no_dead_letters",
                         .promise = "no consumer gave up on an event (every DLQ stream is empty)"};
  for (const auto& [service, count] : evidence.snapshot.dead_letters) {
    result.Expect(count == 0,
                  [&] { return absl::StrCat(count, " events dead-lettered by ", service); });
  }
  return result;
}

}  // namespace mesh::crash_matrix
