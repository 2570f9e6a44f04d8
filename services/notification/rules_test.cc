#include "services/notification/rules.h"

#include <map>

#include "billing/v1/billing_events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace notification {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

common::v1::EventEnvelope Envelope(const std::string& producer,
                                   const google::protobuf::Message& payload) {
  return mesh::messaging::MakeEvent(
      {.producer = producer, .correlation_id = "usedcar/purchase/pur_1"}, payload, kNow);
}

// The one rule of the usedcar table for the event, rendered.
absl::StatusOr<std::optional<Message>> Render(const common::v1::EventEnvelope& event) {
  const Rule* found = nullptr;
  static const std::vector<Rule> rules = UsedcarRules();
  for (const Rule& rule : rules) {
    if (rule.producer != event.producer() || rule.event_type != event.event_type()) continue;
    EXPECT_EQ(found, nullptr) << "two rules for " << event.event_type();
    found = &rule;
  }
  if (found == nullptr) return absl::NotFoundError("no rule");
  return found->render(event);
}

Message MustRender(const std::string& producer, const google::protobuf::Message& payload) {
  absl::StatusOr<std::optional<Message>> message = Render(Envelope(producer, payload));
  EXPECT_TRUE(message.ok()) << message.status();
  EXPECT_TRUE(message.ok() && message->has_value());
  return message.ok() && message->has_value() ? **message : Message{};
}

common::v1::Money Won(int64_t amount) {
  common::v1::Money money;
  money.set_currency_code("KRW");
  money.set_amount_minor(amount);
  return money;
}

TEST(UsedcarRules, Purchased_TellsTheBuyerThePurchaseIsPaid) {
  usedcar::purchase::v1::Purchased event;
  event.set_purchase_id("pur_1");
  event.set_customer_id("buyer-1");
  event.set_car_id("car-7");
  Message message = MustRender("usedcar.purchase", event);
  EXPECT_EQ(message.recipient, "buyer-1");
  EXPECT_EQ(message.channel, v1::CHANNEL_KAKAOTALK);
  EXPECT_EQ(message.body, "구매가 완료되었습니다 / Your purchase of car car-7 is paid");
}

TEST(UsedcarRules, PurchaseCancelled_TellsTheBuyerWithTheReason) {
  usedcar::purchase::v1::PurchaseCancelled event;
  event.set_customer_id("buyer-1");
  event.set_car_id("car-7");
  event.set_reason("out of stock");
  Message message = MustRender("usedcar.purchase", event);
  EXPECT_EQ(message.recipient, "buyer-1");
  EXPECT_THAT(message.body, HasSubstr("car-7 was cancelled (out of stock)"));
  EXPECT_THAT(message.body, HasSubstr("구매가 취소되었습니다"));
}

TEST(UsedcarRules, PayApprovedOfUsedcar_TellsThePayerTheAmount) {
  billing::v1::PayApproved event;
  event.set_merchant("usedcar");
  event.set_payer_id("buyer-2");
  *event.mutable_amount() = Won(25'000'000);
  Message message = MustRender("billing", event);
  EXPECT_EQ(message.recipient, "buyer-2");
  EXPECT_EQ(message.body, "결제가 승인되었습니다 / Your payment of 25,000,000 KRW was approved");
}

TEST(UsedcarRules, PayCancelledRefund_TellsThePayerItWasRefunded) {
  billing::v1::PayCancelled event;
  event.set_merchant("usedcar");
  event.set_payer_id("buyer-2");
  event.set_kind("refunded");
  *event.mutable_amount() = Won(1'000);
  Message message = MustRender("billing", event);
  EXPECT_EQ(message.recipient, "buyer-2");
  EXPECT_EQ(message.body, "결제가 환불되었습니다 / Your payment of 1,000 KRW was refunded");
}

TEST(UsedcarRules, PaymentsOfOtherMerchants_AreIgnored) {
  billing::v1::PayApproved approved;
  approved.set_merchant("delivery");
  approved.set_payer_id("buyer-2");
  billing::v1::PayCancelled cancelled;
  cancelled.set_merchant("ticket");
  cancelled.set_payer_id("buyer-2");
  for (const google::protobuf::Message* event :
       std::vector<const google::protobuf::Message*>{&approved, &cancelled}) {
    absl::StatusOr<std::optional<Message>> message = Render(Envelope("billing", *event));
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_FALSE(message->has_value()) << event->GetDescriptor()->name();
  }
}

TEST(UsedcarRules, Consigned_TellsTheBuyerTheCarIsOnItsWay) {
  usedcar::consign::v1::Consigned event;
  event.set_customer_id("buyer-3");
  event.set_car_id("car-9");
  Message message = MustRender("usedcar.consign", event);
  EXPECT_EQ(message.recipient, "buyer-3");
  EXPECT_THAT(message.body, HasSubstr("Your car car-9 is on its way"));
}

TEST(UsedcarRules, ConsignDelivered_TellsTheBuyerTheCarArrived) {
  usedcar::consign::v1::ConsignDelivered event;
  event.set_customer_id("buyer-3");
  event.set_car_id("car-9");
  Message message = MustRender("usedcar.consign", event);
  EXPECT_EQ(message.recipient, "buyer-3");
  EXPECT_THAT(message.body, HasSubstr("Your car car-9 was delivered"));
}

TEST(UsedcarRules, ConsignCancelled_TellsTheBuyerWithTheReason) {
  usedcar::consign::v1::ConsignCancelled event;
  event.set_customer_id("buyer-3");
  event.set_car_id("car-9");
  event.set_reason("purchase cancelled");
  Message message = MustRender("usedcar.consign", event);
  EXPECT_EQ(message.recipient, "buyer-3");
  EXPECT_THAT(message.body,
              HasSubstr("consignment of car car-9 was cancelled (purchase cancelled)"));
}

TEST(UsedcarRules, StockShortage_ApologisesAndPromisesARefund) {
  usedcar::stock::v1::StockShortage event;
  event.set_customer_id("buyer-4");
  event.set_car_id("car-1");
  Message message = MustRender("usedcar.stock", event);
  EXPECT_EQ(message.recipient, "buyer-4");
  EXPECT_THAT(message.body, HasSubstr("Sorry, car car-1 is sold out; you will be refunded"));
}

TEST(UsedcarRules, NoRecipient_IsInvalidArgument) {
  usedcar::purchase::v1::Purchased event;
  event.set_car_id("car-7");
  absl::StatusOr<std::optional<Message>> message = Render(Envelope("usedcar.purchase", event));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message.status().message(), HasSubstr("no recipient"));
}

TEST(UsedcarRules, PayloadOfAnotherType_IsInvalidArgument) {
  usedcar::purchase::v1::Purchased purchased;
  purchased.set_customer_id("buyer-1");
  common::v1::EventEnvelope event = Envelope("usedcar.purchase", purchased);
  event.set_event_type("PurchaseCancelled");
  absl::StatusOr<std::optional<Message>> message = Render(event);
  EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UsedcarRules, Ids_AreUniqueAndEveryProducerIsCovered) {
  std::map<std::string, int> ids;
  std::map<std::string, int> producers;
  for (const Rule& rule : AllRules()) {
    ++ids[rule.id];
    ++producers[rule.producer];
  }
  for (const auto& [id, count] : ids) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(producers["usedcar.purchase"], 2);
  EXPECT_EQ(producers["usedcar.consign"], 3);
  EXPECT_EQ(producers["usedcar.stock"], 1);
  EXPECT_EQ(producers["billing"], 2);
}

TEST(FormatMoney, WonHasNoDecimalsOthersHaveTwo) {
  EXPECT_EQ(FormatMoney(Won(1'234'567)), "1,234,567 KRW");
  EXPECT_EQ(FormatMoney(Won(999)), "999 KRW");
  common::v1::Money dollars;
  dollars.set_currency_code("USD");
  dollars.set_amount_minor(123'405);
  EXPECT_EQ(FormatMoney(dollars), "1,234.05 USD");
}

}  // namespace
}  // namespace notification
