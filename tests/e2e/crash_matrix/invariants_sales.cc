// The invariants of the sale itself: the client's answers, the faults, the
// purchases and their payments, and the producers' events.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/e2e/crash_matrix/invariants.h"

namespace mesh::crash_matrix {
namespace {

namespace purchase_v1 = usedcar::purchase::v1;
namespace consign_v1 = usedcar::consign::v1;
using billing::v1::Payment;

constexpr size_t kMaxExamples = 8;

std::string StatusName(purchase_v1::PurchaseStatus status) {
  return purchase_v1::PurchaseStatus_Name(status);
}

template <typename T>
size_t CountOf(const std::map<std::string, std::vector<T>>& by, const std::string& key) {
  auto it = by.find(key);
  return it == by.end() ? 0 : it->second.size();
}

// Every event in `events` (by aggregate id) must be about an aggregate in
// `known`; `what` names the aggregate in the example.
template <typename Payload, typename Known>
void ExpectAboutKnown(InvariantResult& result, const SeenBy<Payload>& events, const Known& known,
                      const char* what) {
  for (const auto& [id, seen] : events) {
    result.Expect(known.count(id) == 1, [&] {
      return absl::StrCat(Where(seen.front()), " about unknown ", what, " ", id);
    });
  }
}

}  // namespace

void InvariantResult::Fail(std::string example) {
  ++violations;
  if (examples.size() < kMaxExamples) examples.push_back(std::move(example));
}

std::vector<InvariantResult> CheckInvariants(const Evidence& evidence) {
  return {CheckWorkloadCompleted(evidence),        CheckProcessesBehaved(evidence),
          CheckPurchasesSettled(evidence),         CheckOneChargePerSale(evidence),
          CheckStreamExactlyOnce(evidence),        CheckConsignOncePerSale(evidence),
          CheckStockEqualsFold(evidence),          CheckDashboardEqualsFold(evidence),
          CheckNotificationsOncePerRule(evidence), CheckNoDeadLetters(evidence)};
}

InvariantResult CheckWorkloadCompleted(const Evidence& evidence) {
  InvariantResult result{.name = "workload_completed",
                         .promise = "every client operation got a definite answer"};
  for (size_t i = 0; i < evidence.outcomes.size(); ++i) {
    const PlannedOp& op = evidence.plan.ops[i];
    const OpOutcome& outcome = evidence.outcomes[i];
    result.Expect(outcome.result == OpOutcome::Result::kAccepted, [&] {
      return absl::StrCat(op.key, " ", ResultName(outcome.result), " after ", outcome.attempts,
                          " attempts: ", outcome.last_error);
    });
    if (op.cancel && outcome.cancel_result != OpOutcome::Result::kNotRun) {
      result.Expect(outcome.cancel_result == OpOutcome::Result::kAccepted, [&] {
        return absl::StrCat("cancel of ", outcome.purchase_id, " (", op.key, ") ",
                            ResultName(outcome.cancel_result), " after ", outcome.cancel_attempts,
                            " attempts: ", outcome.cancel_error);
      });
    }
  }
  return result;
}

InvariantResult CheckProcessesBehaved(const Evidence& evidence) {
  InvariantResult result{
      .name = "processes_behaved",
      .promise =
          "no process dies unless a fault stops it; SIGTERM exits 0; every drill fires "
          "with its exit code; every process comes back"};
  for (const FaultRecord& record : evidence.faults) {
    result.Expect(record.problem.empty(), [&] {
      return absl::StrCat(FaultName(record.fault.kind), " ", record.fault.target, " at +",
                          absl::FormatDuration(record.injected_at), ": ", record.problem, " (",
                          record.outcome, ")");
    });
  }
  return result;
}

InvariantResult CheckPurchasesSettled(const Evidence& evidence) {
  const Facts& facts = evidence.facts;
  InvariantResult result{.name = "purchases_settled",
                         .promise =
                             "no purchase is left PENDING or CANCELLING; every accepted "
                             "purchase exists once per request id, as accepted"};
  for (const auto& [id, purchase] : facts.purchases) {
    result.Expect(purchase->status() == purchase_v1::PURCHASE_STATUS_PAID ||
                      purchase->status() == purchase_v1::PURCHASE_STATUS_CANCELLED,
                  [&] { return absl::StrCat(id, " left ", StatusName(purchase->status())); });
  }
  for (const auto& [request_id, purchases] : facts.by_request) {
    result.Expect(purchases.size() == 1, [&] {
      std::vector<std::string> ids;
      for (const auto* p : purchases) ids.push_back(p->purchase_id());
      return absl::StrCat("request ", request_id, " made ", purchases.size(),
                          " purchases: ", absl::StrJoin(ids, ", "));
    });
  }
  for (size_t i = 0; i < evidence.outcomes.size(); ++i) {
    const PlannedOp& op = evidence.plan.ops[i];
    const OpOutcome& outcome = evidence.outcomes[i];
    if (op.kind != OpKind::kPurchase || outcome.result != OpOutcome::Result::kAccepted) continue;
    auto found = facts.purchases.find(outcome.purchase_id);
    result.Expect(found != facts.purchases.end(), [&] {
      return absl::StrCat("accepted purchase ", outcome.purchase_id, " (", op.key, ") is gone");
    });
    if (found == facts.purchases.end()) continue;
    const purchase_v1::Purchase& purchase = *found->second;
    result.Expect(
        purchase.request_id() == op.key && purchase.customer_id() == op.customer &&
            purchase.car_id() == op.car && purchase.price().amount_minor() == op.amount,
        [&] { return absl::StrCat(op.key, " accepted as ", purchase.ShortDebugString()); });
    if (outcome.cancel_result == OpOutcome::Result::kAccepted) {
      result.Expect(purchase.status() == purchase_v1::PURCHASE_STATUS_CANCELLED, [&] {
        return absl::StrCat(purchase.purchase_id(), " cancelled by its buyer but ",
                            StatusName(purchase.status()));
      });
    }
  }
  return result;
}

InvariantResult CheckOneChargePerSale(const Evidence& evidence) {
  const Facts& facts = evidence.facts;
  InvariantResult result{.name = "one_charge_per_sale",
                         .promise =
                             "every sale has exactly one charge (refunded when "
                             "cancelled) of its price, and no charge lacks a sale"};
  static const std::vector<const Payment*> kNone;
  for (const auto& [id, purchase] : facts.purchases) {
    auto of = facts.payments_of.find(id);
    const std::vector<const Payment*>& payments =
        of == facts.payments_of.end() ? kNone : of->second;
    int captured = 0, refunded = 0;
    const Payment* money = nullptr;
    for (const Payment* payment : payments) {
      if (payment->status() == billing::v1::PAYMENT_STATUS_CAPTURED) {
        ++captured;
        money = payment;
      } else if (payment->status() == billing::v1::PAYMENT_STATUS_REFUNDED) {
        ++refunded;
        money = payment;
      }
    }
    const bool paid = purchase->status() == purchase_v1::PURCHASE_STATUS_PAID;
    const bool cancelled = purchase->status() == purchase_v1::PURCHASE_STATUS_CANCELLED;
    if (!paid && !cancelled) continue;  // purchases_settled reports it
    result.Expect(paid ? (captured == 1 && refunded == 0) : (captured == 0 && refunded == 1), [&] {
      return absl::StrCat(id, " is ", StatusName(purchase->status()), " with ", captured,
                          " captured and ", refunded, " refunded payments");
    });
    if (money != nullptr && captured + refunded == 1) {
      result.Expect(money->payment_id() == purchase->payment_id() &&
                        money->amount().amount_minor() == purchase->price().amount_minor(),
                    [&] {
                      return absl::StrCat(id, " names payment ", purchase->payment_id(),
                                          " but was charged by ", money->ShortDebugString());
                    });
    }
  }
  for (const auto& [purchase_id, payments] : facts.payments_of) {
    for (const Payment* payment : payments) {
      const bool money_moved = payment->status() == billing::v1::PAYMENT_STATUS_CAPTURED ||
                               payment->status() == billing::v1::PAYMENT_STATUS_REFUNDED;
      if (!money_moved) continue;
      result.Expect(facts.purchases.count(purchase_id) == 1, [&] {
        return absl::StrCat("charge without a sale: ", payment->ShortDebugString());
      });
    }
  }
  for (const Payment* payment : facts.foreign_payments) {
    result.Fail(absl::StrCat("payment with a foreign reference: ", payment->ShortDebugString()));
  }
  return result;
}

InvariantResult CheckStreamExactlyOnce(const Evidence& evidence) {
  const Facts& facts = evidence.facts;
  InvariantResult result{
      .name = "stream_exactly_once",
      .promise =
          "every outbox event is in its stream exactly once by id, and every state "
          "change of purchase, billing, consign and stock has its event"};
  for (const auto& [name, contents] : evidence.snapshot.streams) {
    result.Expect(contents.missing == 0 && contents.unparsable == 0, [&] {
      return absl::StrCat(name, ": ", contents.missing, " sequences without a message, ",
                          contents.unparsable, " messages that are not envelopes");
    });
  }
  for (const std::string& unreadable : facts.unreadable) {
    result.Fail(absl::StrCat("payload does not match its type: ", unreadable));
  }
  for (const auto& [event_id, copies] : facts.copies) {
    result.Expect(copies.size() == 1, [&] {
      return absl::StrCat("event ", event_id, " published ", copies.size(),
                          " times: ", absl::StrJoin(copies, ", "));
    });
  }
  for (const auto& [id, purchase] : facts.purchases) {
    const size_t purchased = CountOf(facts.purchased, id);
    const size_t cancelled = CountOf(facts.purchase_cancelled, id);
    const bool is_cancelled = purchase->status() == purchase_v1::PURCHASE_STATUS_CANCELLED;
    if (purchase->status() != purchase_v1::PURCHASE_STATUS_PAID && !is_cancelled) continue;
    result.Expect(purchased == 1 && cancelled == (is_cancelled ? 1u : 0u), [&] {
      return absl::StrCat(id, " is ", StatusName(purchase->status()), " with ", purchased,
                          " Purchased and ", cancelled, " PurchaseCancelled events");
    });
  }
  ExpectAboutKnown(result, facts.purchased, facts.purchases, "purchase");
  ExpectAboutKnown(result, facts.purchase_cancelled, facts.purchases, "purchase");
  for (const auto& [id, payment] : facts.payments) {
    const size_t approved = CountOf(facts.pay_approved, id);
    size_t refunds = 0, voids = 0;
    if (auto it = facts.pay_cancelled.find(id); it != facts.pay_cancelled.end()) {
      for (const auto& seen : it->second) (seen.payload.kind() == "voided" ? voids : refunds)++;
    }
    size_t want_approved = 0, want_refunds = 0;
    switch (payment->status()) {
      case billing::v1::PAYMENT_STATUS_CAPTURED:
        want_approved = 1;
        break;
      case billing::v1::PAYMENT_STATUS_REFUNDED:
        want_approved = want_refunds = 1;
        break;
      default:
        break;
    }
    result.Expect(approved == want_approved && refunds == want_refunds && voids <= 1, [&] {
      return absl::StrCat(
          "payment ", id, " is ", billing::v1::PaymentStatus_Name(payment->status()), " with ",
          approved, " PayApproved, ", refunds, " refunds and ", voids, " voids in the stream");
    });
  }
  auto usedcar_payment = [&](const std::string& id, const std::string& merchant) {
    return merchant != "usedcar" || facts.payments.count(id) == 1;
  };
  for (const auto& [id, seen] : facts.pay_approved) {
    result.Expect(usedcar_payment(id, seen.front().payload.merchant()),
                  [&] { return absl::StrCat(Where(seen.front()), " about unknown payment ", id); });
  }
  for (const auto& [id, seen] : facts.pay_cancelled) {
    result.Expect(usedcar_payment(id, seen.front().payload.merchant()),
                  [&] { return absl::StrCat(Where(seen.front()), " about unknown payment ", id); });
  }
  for (const auto& [id, consignment] : facts.consignments) {
    const size_t consigned = CountOf(facts.consigned, id);
    const size_t cancelled = CountOf(facts.consign_cancelled, id);
    bool ok = false;
    switch (consignment->status()) {
      case consign_v1::CONSIGNMENT_STATUS_CONSIGNED:
        ok = consigned == 1 && cancelled == 0;
        break;
      case consign_v1::CONSIGNMENT_STATUS_CANCELLED:
        ok =
            cancelled == 1 &&
            consigned == (facts.consign_cancelled.at(id).front().payload.was_consigned() ? 1u : 0u);
        break;
      default:
        ok = cancelled == 0;
        break;
    }
    result.Expect(ok, [&] {
      return absl::StrCat("consignment ", id, " is ",
                          consign_v1::ConsignmentStatus_Name(consignment->status()), " with ",
                          consigned, " Consigned and ", cancelled, " ConsignCancelled events");
    });
  }
  ExpectAboutKnown(result, facts.consigned, facts.consignments, "consignment");
  ExpectAboutKnown(result, facts.consign_cancelled, facts.consignments, "consignment");
  for (const auto& [car, stock] : facts.stocks) {
    std::set<int64_t> versions;
    auto it = facts.stock_changed.find(car);
    if (it != facts.stock_changed.end()) {
      for (const auto& seen : it->second) versions.insert(seen.envelope->aggregate_version());
    }
    const size_t events = it == facts.stock_changed.end() ? 0 : it->second.size();
    // Stock's version counts its changes, and each change publishes one
    // StockChanged carrying the new version.
    result.Expect(events == static_cast<size_t>(stock->version()) && versions.size() == events &&
                      (versions.empty() ||
                       (*versions.begin() == 1 && *versions.rbegin() == stock->version())),
                  [&] {
                    return absl::StrCat("stock of ", car, " is at version ", stock->version(),
                                        " with ", events, " StockChanged events (", versions.size(),
                                        " distinct versions)");
                  });
  }
  for (const auto& [consignment, seen] : facts.shortage) {
    result.Expect(seen.size() == 1, [&] {
      return absl::StrCat(seen.size(), " StockShortage events for consignment ", consignment);
    });
  }
  return result;
}

}  // namespace mesh::crash_matrix
