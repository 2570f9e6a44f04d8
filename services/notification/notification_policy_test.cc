#include "services/notification/notification_policy.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/notification/notification_test_util.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace notification::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class NotificationPolicyTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    policy_ = std::make_unique<NotificationPolicy>(
        repository_.get(), AllRules(), std::vector<std::string>{"log", "webhook"}, clock_, nullptr);
    policy_->OnCreated([this] { ++created_calls_; });
  }

  // What the event consumer does with one delivery: skip an event already in
  // the inbox, else hand the handler a unit of work carrying the inbox mark.
  absl::Status Deliver(const common::v1::EventEnvelope& event) {
    absl::StatusOr<bool> seen = store_->InboxContains(event.event_id());
    if (!seen.ok()) return seen.status();
    if (*seen) return absl::OkStatus();
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    return policy_->Handle(event, work);
  }

  std::vector<Notification> ListAll(const std::string& recipient) {
    absl::StatusOr<NotificationRepository::Page> page =
        repository_->ListByRecipient(recipient, 100, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->notifications : std::vector<Notification>{};
  }

  size_t DueRows() {
    absl::StatusOr<NotificationRepository::DueBatch> due =
        repository_->ListDue(absl::InfiniteFuture(), 1000);
    EXPECT_TRUE(due.ok()) << due.status();
    return due.ok() ? due->due.size() : 0;
  }

  bool InInbox(const std::string& event_id) {
    absl::StatusOr<bool> seen = store_->InboxContains(event_id);
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.ok() && *seen;
  }

  std::unique_ptr<NotificationPolicy> policy_;
  int created_calls_ = 0;
};

TEST_F(NotificationPolicyTest, Handle_Purchased_StoresNotificationDeliveriesAndInboxMark) {
  const common::v1::EventEnvelope event = PurchasedEvent("buyer-1", "car-7");
  ASSERT_TRUE(Deliver(event).ok());

  absl::StatusOr<std::optional<Notification>> stored =
      repository_->Get(NotificationId(event.event_id(), "usedcar.purchased"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  const Notification& notification = **stored;
  EXPECT_EQ(notification.recipient(), "buyer-1");
  EXPECT_EQ(notification.channel(), v1::CHANNEL_KAKAOTALK);
  EXPECT_THAT(notification.body(), HasSubstr("car-7 is paid"));
  EXPECT_EQ(notification.event_id(), event.event_id());
  EXPECT_EQ(notification.event_type(), "Purchased");
  EXPECT_EQ(notification.producer(), "usedcar.purchase");
  EXPECT_EQ(notification.correlation_id(), "usedcar/purchase/pur_1");
  EXPECT_EQ(ToTime(notification.create_time()), clock_.Now());
  EXPECT_EQ(notification.delivery_status(), v1::DELIVERY_STATUS_PENDING);
  ASSERT_THAT(notification.deliveries(), SizeIs(2));
  EXPECT_EQ(notification.deliveries(0).sink(), "log");
  EXPECT_EQ(notification.deliveries(1).sink(), "webhook");
  EXPECT_EQ(DueRows(), 2u);
  EXPECT_TRUE(InInbox(event.event_id()));
  EXPECT_EQ(created_calls_, 1);
}

TEST_F(NotificationPolicyTest, Handle_SameEventDeliveredTwice_OneNotification) {
  const common::v1::EventEnvelope event = PurchasedEvent();
  ASSERT_TRUE(Deliver(event).ok());
  ASSERT_TRUE(Deliver(event).ok());
  // Past the inbox too, as a replayed dead letter would arrive.
  mesh::storage::UnitOfWork replay;
  ASSERT_TRUE(policy_->Handle(event, replay).ok());

  EXPECT_THAT(ListAll("buyer-1"), SizeIs(1));
  EXPECT_EQ(DueRows(), 2u);
  EXPECT_EQ(created_calls_, 1);
}

TEST_F(NotificationPolicyTest, Handle_BadPayload_InvalidArgumentAndNothingWritten) {
  common::v1::EventEnvelope event = PurchasedEvent();
  event.mutable_payload()->set_value("\xff\xff not a Purchased");
  mesh::storage::UnitOfWork work;
  work.MarkInbox(event.event_id());
  absl::Status status = policy_->Handle(event, work);

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_FALSE(InInbox(event.event_id()));
  EXPECT_THAT(ListAll("buyer-1"), SizeIs(0));
  EXPECT_EQ(DueRows(), 0u);
}

TEST_F(NotificationPolicyTest, Handle_PayloadOfWrongType_InvalidArgument) {
  common::v1::EventEnvelope event = PurchasedEvent();
  event.set_event_type("PurchaseCancelled");
  mesh::storage::UnitOfWork work;
  work.MarkInbox(event.event_id());
  EXPECT_EQ(policy_->Handle(event, work).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(InInbox(event.event_id()));
}

TEST_F(NotificationPolicyTest, Handle_NoEventId_InvalidArgument) {
  common::v1::EventEnvelope event = PurchasedEvent();
  event.clear_event_id();
  mesh::storage::UnitOfWork work;
  absl::Status status = policy_->Handle(event, work);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("event_id"));
  EXPECT_THAT(ListAll("buyer-1"), SizeIs(0));
}

TEST_F(NotificationPolicyTest, Handle_PaymentOfAnotherMerchant_OnlyMarksTheInbox) {
  const common::v1::EventEnvelope event = PayApprovedEvent("delivery", "buyer-1");
  ASSERT_TRUE(Deliver(event).ok());
  EXPECT_TRUE(InInbox(event.event_id()));
  EXPECT_THAT(ListAll("buyer-1"), SizeIs(0));
  EXPECT_EQ(created_calls_, 0);
}

TEST_F(NotificationPolicyTest, Handle_AStory_ListsNewestFirst) {
  const common::v1::EventEnvelope purchased = PurchasedEvent("buyer-1");
  const common::v1::EventEnvelope approved = PayApprovedEvent("usedcar", "buyer-1");
  usedcar::stock::v1::StockShortage shortage;
  shortage.set_customer_id("buyer-1");
  shortage.set_car_id("car-7");
  const common::v1::EventEnvelope short_of_stock = Event("usedcar.stock", shortage);
  ASSERT_TRUE(Deliver(purchased).ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Deliver(approved).ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Deliver(short_of_stock).ok());
  ASSERT_TRUE(Deliver(PurchasedEvent("buyer-2")).ok());

  std::vector<std::string> rules;
  for (const Notification& notification : ListAll("buyer-1")) rules.push_back(notification.rule());
  EXPECT_THAT(rules,
              ElementsAre("usedcar.stock_shortage", "usedcar.pay_approved", "usedcar.purchased"));
}

TEST_F(NotificationPolicyTest, Subscriptions_OnePerProducerAndType) {
  std::vector<std::string> keys;
  for (const auto& subscription : policy_->Subscriptions()) {
    keys.push_back(subscription.producer + "." + subscription.event_type);
  }
  EXPECT_THAT(keys, ::testing::UnorderedElementsAre(
                        "usedcar.purchase.Purchased", "usedcar.purchase.PurchaseCancelled",
                        "billing.PayApproved", "billing.PayCancelled", "usedcar.consign.Consigned",
                        "usedcar.consign.ConsignDelivered", "usedcar.consign.ConsignCancelled",
                        "usedcar.stock.StockShortage"));
}

}  // namespace
}  // namespace notification::test
