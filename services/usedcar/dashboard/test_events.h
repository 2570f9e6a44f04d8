// Envelopes of one purchase's events, as their producers publish them, for
// the dashboard's tests. Test-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "billing/v1/billing_events.pb.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/event.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::dashboard::test {

inline const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// Builds the events of purchase `purchase_id`, each one second after the
// previous, in the order they are asked for.
class Story {
 public:
  explicit Story(std::string purchase_id = "pur_1", std::string customer_id = "buyer-1")
      : purchase_id_(std::move(purchase_id)), customer_id_(std::move(customer_id)) {}

  common::v1::EventEnvelope Purchased() {
    purchase::v1::Purchased e;
    e.set_purchase_id(purchase_id_);
    e.set_customer_id(customer_id_);
    e.set_car_id(car_id());
    e.mutable_price()->set_currency_code("KRW");
    e.mutable_price()->set_amount_minor(25'000'000);
    e.set_payment_id(payment_id());
    return Next("usedcar.purchase", e);
  }
  common::v1::EventEnvelope PurchaseCancelled(const std::string& reason) {
    purchase::v1::PurchaseCancelled e;
    e.set_purchase_id(purchase_id_);
    e.set_customer_id(customer_id_);
    e.set_car_id(car_id());
    e.set_payment_id(payment_id());
    e.set_reason(reason);
    return Next("usedcar.purchase", e);
  }
  common::v1::EventEnvelope PayApproved(const std::string& merchant = "usedcar") {
    billing::v1::PayApproved e;
    FillPayment(e, merchant);
    return Next("billing", e);
  }
  common::v1::EventEnvelope PayCancelled(const std::string& kind = "refunded") {
    billing::v1::PayCancelled e;
    FillPayment(e, "usedcar");
    e.set_kind(kind);
    return Next("billing", e);
  }
  common::v1::EventEnvelope Consigned() {
    consign::v1::Consigned e;
    FillConsignment(e);
    return Next("usedcar.consign", e);
  }
  common::v1::EventEnvelope ConsignCancelled(const std::string& reason) {
    consign::v1::ConsignCancelled e;
    FillConsignment(e);
    e.set_reason(reason);
    e.set_was_consigned(true);
    return Next("usedcar.consign", e);
  }
  common::v1::EventEnvelope ConsignDelivered() {
    consign::v1::ConsignDelivered e;
    FillConsignment(e);
    return Next("usedcar.consign", e);
  }
  common::v1::EventEnvelope StockChanged(int64_t delta, int64_t total) {
    stock::v1::StockChanged e;
    e.set_car_id(car_id());
    e.set_total(total);
    e.set_delta(delta);
    e.set_cause(delta < 0 ? "consigned" : "consign-cancelled");
    e.set_consignment_id(consignment_id());
    e.set_purchase_id(purchase_id_);
    return Next("usedcar.stock", e);
  }
  common::v1::EventEnvelope StockShortage() {
    stock::v1::StockShortage e;
    e.set_car_id(car_id());
    e.set_consignment_id(consignment_id());
    e.set_purchase_id(purchase_id_);
    e.set_customer_id(customer_id_);
    return Next("usedcar.stock", e);
  }

  const std::string& purchase_id() const { return purchase_id_; }
  const std::string& customer_id() const { return customer_id_; }
  std::string car_id() const { return "car-7"; }
  std::string payment_id() const { return absl::StrCat("pay_", purchase_id_); }
  std::string consignment_id() const { return absl::StrCat("con_", purchase_id_); }
  std::string reference() const { return absl::StrCat("usedcar/purchase/", purchase_id_); }
  // The occur_time of the n-th event built (0-based).
  absl::Time TimeOf(int n) const { return kStart + absl::Seconds(n + 1); }

 private:
  template <typename Payment>
  void FillPayment(Payment& e, const std::string& merchant) {
    e.set_payment_id(payment_id());
    e.set_merchant(merchant);
    e.set_reference(merchant == "usedcar" ? reference() : absl::StrCat(merchant, "/order/1"));
    e.set_payer_id(customer_id_);
    e.mutable_amount()->set_currency_code("KRW");
    e.mutable_amount()->set_amount_minor(25'000'000);
  }
  template <typename Consignment>
  void FillConsignment(Consignment& e) {
    e.set_consignment_id(consignment_id());
    e.set_purchase_id(purchase_id_);
    e.set_customer_id(customer_id_);
    e.set_car_id(car_id());
  }
  common::v1::EventEnvelope Next(std::string_view producer,
                                 const google::protobuf::Message& payload) {
    mesh::messaging::EventContext context;
    context.producer = std::string(producer);
    context.aggregate_id = purchase_id_;
    context.correlation_id = reference();
    return mesh::messaging::MakeEvent(context, payload, TimeOf(count_++));
  }

  std::string purchase_id_;
  std::string customer_id_;
  int count_ = 0;
};

// purchase → pay → consign → stock decreased → delivered.
inline std::vector<common::v1::EventEnvelope> PaidStory(Story& s) {
  return {s.Purchased(), s.PayApproved(), s.Consigned(), s.StockChanged(-1, 4),
          s.ConsignDelivered()};
}

// The buyer changes their mind after the car left: everything is undone.
inline std::vector<common::v1::EventEnvelope> CancelStory(Story& s) {
  return {s.Purchased(),
          s.PayApproved(),
          s.Consigned(),
          s.StockChanged(-1, 4),
          s.PurchaseCancelled("changed my mind"),
          s.PayCancelled("refunded"),
          s.ConsignCancelled("purchase cancelled"),
          s.StockChanged(+1, 5)};
}

// No car was left: consignment and purchase are cancelled, the money refunded.
inline std::vector<common::v1::EventEnvelope> ShortageStory(Story& s) {
  return {s.Purchased(),
          s.PayApproved(),
          s.Consigned(),
          s.StockShortage(),
          s.ConsignCancelled("out of stock"),
          s.PurchaseCancelled("out of stock"),
          s.PayCancelled("refunded")};
}

}  // namespace usedcar::dashboard::test
