#include "services/usedcar/dashboard/purchase_view.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/usedcar/dashboard/test_events.h"

namespace usedcar::dashboard {
namespace {

using common::v1::EventEnvelope;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using test::Story;

const absl::Time kNow = absl::FromUnixSeconds(1'900'000'000);

ViewEvent Read(const EventEnvelope& envelope) {
  absl::StatusOr<std::optional<ViewEvent>> read = ReadViewEvent(envelope);
  EXPECT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read.ok() && read->has_value()) << envelope.event_type();
  return **read;
}

PurchaseView Fold(const std::vector<ViewEvent>& events, const std::vector<int>& order) {
  PurchaseView view;
  for (int i : order) ApplyViewEvent(events[i], kNow, view);
  return view;
}

std::vector<ViewEvent> ReadAll(const std::vector<EventEnvelope>& envelopes) {
  std::vector<ViewEvent> events;
  for (const EventEnvelope& envelope : envelopes) events.push_back(Read(envelope));
  return events;
}

// Folds the events in every order and checks that each gives the view of the
// story order. Returns that view.
PurchaseView ExpectEveryOrderConverges(const std::vector<EventEnvelope>& envelopes) {
  const std::vector<ViewEvent> events = ReadAll(envelopes);
  std::vector<int> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  const PurchaseView expected = Fold(events, order);
  int orders = 0;
  int diverged = 0;
  do {
    ++orders;
    const PurchaseView view = Fold(events, order);
    if (!MessageDifferencer::Equals(view, expected) && ++diverged <= 3) {
      ADD_FAILURE() << "order " << absl::StrJoin(order, ",") << " gives\n"
                    << view.DebugString() << "instead of\n"
                    << expected.DebugString();
    }
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(diverged, 0) << "of " << orders << " orders";
  int factorial = 1;
  for (int n = 2; n <= static_cast<int>(events.size()); ++n) factorial *= n;
  EXPECT_EQ(orders, factorial);
  return expected;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

TEST(ApplyViewEvent, PaidStoryInEveryOrder_ConvergesToDelivered) {
  Story story;
  const PurchaseView view = ExpectEveryOrderConverges(test::PaidStory(story));
  EXPECT_EQ(view.purchase_id(), "pur_1");
  EXPECT_EQ(view.customer_id(), "buyer-1");
  EXPECT_EQ(view.car_id(), "car-7");
  EXPECT_EQ(view.price().amount_minor(), 25'000'000);
  EXPECT_EQ(view.purchase_status(), v1::VIEW_PURCHASE_STATUS_PAID);
  EXPECT_EQ(view.payment_id(), story.payment_id());
  EXPECT_EQ(view.payment_status(), v1::VIEW_PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(view.consignment_id(), story.consignment_id());
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_DELIVERED);
  EXPECT_EQ(view.stock_status(), v1::VIEW_STOCK_STATUS_DECREASED);
  EXPECT_EQ(view.stock_total_after(), 4);
  EXPECT_EQ(view.cancel_reason(), "");
  EXPECT_EQ(TimeOf(view.purchased_time()), story.TimeOf(0));
  EXPECT_EQ(TimeOf(view.paid_time()), story.TimeOf(1));
  EXPECT_EQ(TimeOf(view.consigned_time()), story.TimeOf(2));
  EXPECT_EQ(TimeOf(view.stock_changed_time()), story.TimeOf(3));
  EXPECT_EQ(TimeOf(view.delivered_time()), story.TimeOf(4));
  EXPECT_FALSE(view.has_cancelled_time());
  EXPECT_FALSE(view.has_refunded_time());
  EXPECT_EQ(view.version(), 5);
  EXPECT_EQ(TimeOf(view.last_event_time()), story.TimeOf(4));
  EXPECT_EQ(TimeOf(view.update_time()), kNow);
}

TEST(ApplyViewEvent, CancelStoryInEveryOrder_ConvergesToRefundedAndReturned) {
  Story story;
  const PurchaseView view = ExpectEveryOrderConverges(test::CancelStory(story));
  EXPECT_EQ(view.purchase_status(), v1::VIEW_PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ(view.payment_status(), v1::VIEW_PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_CANCELLED);
  EXPECT_EQ(view.stock_status(), v1::VIEW_STOCK_STATUS_RETURNED);
  EXPECT_EQ(view.stock_total_after(), 5);
  EXPECT_EQ(view.cancel_reason(), "changed my mind");
  EXPECT_EQ(TimeOf(view.consigned_time()), story.TimeOf(2));
  EXPECT_EQ(TimeOf(view.cancelled_time()), story.TimeOf(4));
  EXPECT_EQ(TimeOf(view.refunded_time()), story.TimeOf(5));
  EXPECT_EQ(TimeOf(view.stock_changed_time()), story.TimeOf(7));
  EXPECT_EQ(view.version(), 8);
}

TEST(ApplyViewEvent, ShortageStoryInEveryOrder_ConvergesToShortageAndOutOfStock) {
  Story story;
  const PurchaseView view = ExpectEveryOrderConverges(test::ShortageStory(story));
  EXPECT_EQ(view.purchase_status(), v1::VIEW_PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ(view.payment_status(), v1::VIEW_PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_CANCELLED);
  EXPECT_EQ(view.stock_status(), v1::VIEW_STOCK_STATUS_SHORTAGE);
  EXPECT_EQ(view.stock_total_after(), 0);
  EXPECT_EQ(view.cancel_reason(), "out of stock");
  EXPECT_EQ(view.version(), 7);
}

TEST(ApplyViewEvent, RandomInterleavingOfTwoPurchases_EachConvergesToItsOwnStory) {
  Story first("pur_1");
  Story second("pur_2", "buyer-2");
  const std::vector<EventEnvelope> a = test::CancelStory(first);
  const std::vector<EventEnvelope> b = test::ShortageStory(second);
  const PurchaseView expected_a = Fold(ReadAll(a), {0, 1, 2, 3, 4, 5, 6, 7});
  const PurchaseView expected_b = Fold(ReadAll(b), {0, 1, 2, 3, 4, 5, 6});
  std::vector<EventEnvelope> all = a;
  all.insert(all.end(), b.begin(), b.end());
  std::mt19937 random(42);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(all.begin(), all.end(), random);
    std::map<std::string, PurchaseView> views;
    for (const EventEnvelope& envelope : all) {
      const ViewEvent event = Read(envelope);
      ApplyViewEvent(event, kNow, views[event.purchase_id]);
    }
    ASSERT_TRUE(MessageDifferencer::Equals(views["pur_1"], expected_a)) << "round " << round;
    ASSERT_TRUE(MessageDifferencer::Equals(views["pur_2"], expected_b)) << "round " << round;
  }
}

TEST(ApplyViewEvent, ConsignedAfterConsignCancelled_StaysCancelled) {
  Story story;
  const EventEnvelope consigned = story.Consigned();
  const EventEnvelope cancelled = story.ConsignCancelled("purchase cancelled");
  PurchaseView view;
  ApplyViewEvent(Read(cancelled), kNow, view);
  ApplyViewEvent(Read(consigned), kNow, view);
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_CANCELLED);
  EXPECT_EQ(TimeOf(view.consigned_time()), story.TimeOf(0));
}

TEST(ApplyViewEvent, DeliveredAfterConsigned_MovesForward) {
  Story story;
  PurchaseView view;
  ApplyViewEvent(Read(story.Consigned()), kNow, view);
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_CONSIGNED);
  ApplyViewEvent(Read(story.ConsignDelivered()), kNow, view);
  EXPECT_EQ(view.consign_status(), v1::VIEW_CONSIGN_STATUS_DELIVERED);
}

TEST(ApplyViewEvent, PayApprovedAfterPayCancelled_StaysRefunded) {
  Story story;
  const EventEnvelope approved = story.PayApproved();
  const EventEnvelope refunded = story.PayCancelled("refunded");
  PurchaseView view;
  ApplyViewEvent(Read(refunded), kNow, view);
  ApplyViewEvent(Read(approved), kNow, view);
  EXPECT_EQ(view.payment_status(), v1::VIEW_PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(TimeOf(view.paid_time()), story.TimeOf(0));
  EXPECT_EQ(TimeOf(view.refunded_time()), story.TimeOf(1));
}

TEST(ApplyViewEvent, PayCancelledVoided_IsVoided) {
  Story story;
  PurchaseView view;
  ApplyViewEvent(Read(story.PayCancelled("voided")), kNow, view);
  EXPECT_EQ(view.payment_status(), v1::VIEW_PAYMENT_STATUS_VOIDED);
}

TEST(ApplyViewEvent, PurchasedAfterPurchaseCancelled_StaysCancelledWithItsReason) {
  Story story;
  const EventEnvelope purchased = story.Purchased();
  const EventEnvelope cancelled = story.PurchaseCancelled("changed my mind");
  PurchaseView view;
  ApplyViewEvent(Read(cancelled), kNow, view);
  ApplyViewEvent(Read(purchased), kNow, view);
  EXPECT_EQ(view.purchase_status(), v1::VIEW_PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ(view.cancel_reason(), "changed my mind");
  EXPECT_EQ(view.price().amount_minor(), 25'000'000);
}

TEST(ApplyViewEvent, DecreaseAfterReturn_KeepsTheReturnedTotal) {
  Story story;
  const EventEnvelope decreased = story.StockChanged(-1, 4);
  const EventEnvelope returned = story.StockChanged(+1, 5);
  PurchaseView view;
  ApplyViewEvent(Read(returned), kNow, view);
  ApplyViewEvent(Read(decreased), kNow, view);
  EXPECT_EQ(view.stock_status(), v1::VIEW_STOCK_STATUS_RETURNED);
  EXPECT_EQ(view.stock_total_after(), 5);
  EXPECT_EQ(TimeOf(view.stock_changed_time()), story.TimeOf(1));
}

TEST(ApplyViewEvent, ConsignCancelledReason_ShownUntilThePurchaseIsCancelled) {
  Story story;
  PurchaseView view;
  ApplyViewEvent(Read(story.ConsignCancelled("out of stock")), kNow, view);
  EXPECT_EQ(view.cancel_reason(), "out of stock");
  ApplyViewEvent(Read(story.PurchaseCancelled("changed my mind")), kNow, view);
  EXPECT_EQ(view.cancel_reason(), "changed my mind");
}

TEST(ApplyViewEvent, EachEvent_BumpsVersionAndKeepsNewestEventTime) {
  Story story;
  const EventEnvelope early = story.Purchased();
  const EventEnvelope late = story.Consigned();
  PurchaseView view;
  ApplyViewEvent(Read(late), kNow, view);
  ApplyViewEvent(Read(early), kNow + absl::Seconds(1), view);
  EXPECT_EQ(view.version(), 2);
  EXPECT_EQ(TimeOf(view.last_event_time()), story.TimeOf(1));
  EXPECT_EQ(TimeOf(view.update_time()), kNow + absl::Seconds(1));
}

TEST(ReadViewEvent, BillingEventOfAnotherMerchant_IsIgnored) {
  Story story;
  absl::StatusOr<std::optional<ViewEvent>> read = ReadViewEvent(story.PayApproved("ticket"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST(ReadViewEvent, UsedcarPaymentThatIsNotAPurchase_IsIgnored) {
  billing::v1::PayApproved payment;
  payment.set_merchant("usedcar");
  payment.set_reference("usedcar/sale/s_1");
  mesh::messaging::EventContext context;
  context.producer = "billing";
  absl::StatusOr<std::optional<ViewEvent>> read =
      ReadViewEvent(mesh::messaging::MakeEvent(context, payment, kNow));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST(ReadViewEvent, BillingReference_GivesThePurchaseId) {
  Story story("pur_42");
  EXPECT_EQ(Read(story.PayCancelled()).purchase_id, "pur_42");
}

TEST(ReadViewEvent, ReferenceWithoutPurchaseId_IsInvalidArgument) {
  billing::v1::PayApproved payment;
  payment.set_merchant("usedcar");
  payment.set_reference("usedcar/purchase/");
  mesh::messaging::EventContext context;
  context.producer = "billing";
  EXPECT_EQ(ReadViewEvent(mesh::messaging::MakeEvent(context, payment, kNow)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReadViewEvent, StockInWithoutPurchase_IsIgnored) {
  stock::v1::StockChanged stock_in;
  stock_in.set_car_id("car-7");
  stock_in.set_total(3);
  stock_in.set_delta(3);
  stock_in.set_cause("stock-in");
  mesh::messaging::EventContext context;
  context.producer = "usedcar.stock";
  absl::StatusOr<std::optional<ViewEvent>> read =
      ReadViewEvent(mesh::messaging::MakeEvent(context, stock_in, kNow));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST(ReadViewEvent, ConsignedWithoutPurchaseId_IsInvalidArgumentNamingIt) {
  consign::v1::Consigned consigned;
  consigned.set_consignment_id("con_1");
  mesh::messaging::EventContext context;
  context.producer = "usedcar.consign";
  absl::Status status =
      ReadViewEvent(mesh::messaging::MakeEvent(context, consigned, kNow)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("purchase_id"), absl::string_view::npos) << status;
}

TEST(ReadViewEvent, PayloadOfAnotherType_IsInvalidArgument) {
  Story story;
  EventEnvelope envelope = story.Consigned();
  envelope.set_event_type("Purchased");
  envelope.set_producer("usedcar.purchase");
  EXPECT_EQ(ReadViewEvent(envelope).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadViewEvent, PayloadThatDoesNotParse_IsInvalidArgument) {
  Story story;
  EventEnvelope envelope = story.Purchased();
  envelope.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(ReadViewEvent(envelope).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadViewEvent, UnsubscribedEvent_IsIgnored) {
  billing::v1::PayAuthorized authorized;
  authorized.set_merchant("usedcar");
  authorized.set_reference("usedcar/purchase/pur_1");
  mesh::messaging::EventContext context;
  context.producer = "billing";
  absl::StatusOr<std::optional<ViewEvent>> read =
      ReadViewEvent(mesh::messaging::MakeEvent(context, authorized, kNow));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST(Subscriptions, ListsEveryEventTheViewFolds) {
  std::vector<std::string> names;
  for (const Subscription& s : Subscriptions()) {
    names.push_back(std::string(s.producer) + "." + std::string(s.event_type));
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "usedcar.purchase.Purchased", "usedcar.purchase.PurchaseCancelled",
                       "billing.PayApproved", "billing.PayCancelled", "usedcar.consign.Consigned",
                       "usedcar.consign.ConsignCancelled", "usedcar.consign.ConsignDelivered",
                       "usedcar.stock.StockChanged", "usedcar.stock.StockShortage"}));
}

}  // namespace
}  // namespace usedcar::dashboard
