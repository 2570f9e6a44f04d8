#include "services/usedcar/consign/consign_policy.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/messaging/event_consumer.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/paths.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::consign {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using common::v1::EventEnvelope;
using Handler = absl::Status (ConsignPolicy::*)(const EventEnvelope&, mesh::storage::UnitOfWork&);

constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

EventEnvelope Envelope(std::string producer, const google::protobuf::Message& payload,
                       const std::string& purchase_id) {
  mesh::messaging::EventContext context;
  context.producer = std::move(producer);
  context.aggregate_id = purchase_id;
  context.aggregate_version = 2;
  context.correlation_id = "usedcar/purchase/" + purchase_id;
  context.causation_id = "cmd-1";
  context.traceparent = kTraceparent;
  return mesh::messaging::MakeEvent(context, payload, absl::FromUnixSeconds(1'700'000'000));
}

EventEnvelope PurchasedEvent(const std::string& purchase_id) {
  purchase::v1::Purchased purchased;
  purchased.set_purchase_id(purchase_id);
  purchased.set_customer_id("buyer-1");
  purchased.set_car_id("car-1");
  purchased.set_payment_id("pay_1");
  EventEnvelope event = Envelope("usedcar.purchase", purchased, purchase_id);
  event.set_aggregate_type("Purchase");
  return event;
}

EventEnvelope PurchaseCancelledEvent(const std::string& purchase_id) {
  purchase::v1::PurchaseCancelled cancelled;
  cancelled.set_purchase_id(purchase_id);
  cancelled.set_customer_id("buyer-1");
  cancelled.set_car_id("car-1");
  cancelled.set_reason("changed my mind");
  return Envelope("usedcar.purchase", cancelled, purchase_id);
}

EventEnvelope StockShortageEvent(const std::string& purchase_id,
                                 const std::string& consignment_id) {
  stock::v1::StockShortage shortage;
  shortage.set_car_id("car-1");
  shortage.set_consignment_id(consignment_id);
  shortage.set_purchase_id(purchase_id);
  shortage.set_customer_id("buyer-1");
  return Envelope("usedcar.stock", shortage, purchase_id);
}

class ConsignPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {dir_.path() + "/consign", /*sync=*/false, ConsignmentRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<ConsignmentRepository>(store_.get());
    UsePolicy({.auto_dispatch = true});
  }

  void UsePolicy(PolicyOptions options) {
    consumer_.reset();
    policy_ = std::make_unique<ConsignPolicy>(repository_.get(), clock_, options);
    consumer_ = std::make_unique<mesh::messaging::EventConsumer>(
        store_.get(), nullptr, mesh::messaging::ConsumerOptions{.service = "usedcar.consign"},
        nullptr);
    RegisterPolicies(*consumer_, *policy_);
  }

  // What the consumer does for one delivery, minus the broker and the inbox
  // check: the handler gets a unit of work that already carries the mark.
  absl::Status Handle(Handler handler, const EventEnvelope& event) {
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    return ((*policy_).*handler)(event, work);
  }

  // A full delivery through the registered handlers, inbox check included.
  absl::Status Deliver(const EventEnvelope& event) { return consumer_->Apply(event); }

  bool InInbox(const EventEnvelope& event) {
    absl::StatusOr<bool> seen = store_->InboxContains(event.event_id());
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.value_or(false);
  }

  std::optional<Consignment> Get(const std::string& purchase_id) {
    absl::StatusOr<std::optional<Consignment>> consignment = repository_->GetByPurchase(purchase_id);
    EXPECT_TRUE(consignment.ok()) << consignment.status();
    return consignment.value_or(std::nullopt);
  }

  std::vector<EventEnvelope> Outbox() {
    std::vector<EventEnvelope> events;
    absl::Status scanned = store_->ScanOutbox(0, [&](uint64_t, std::string_view row) {
      events.emplace_back().ParseFromArray(row.data(), static_cast<int>(row.size()));
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
    return events;
  }

  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> types;
    for (const EventEnvelope& event : Outbox()) types.push_back(event.event_type());
    return types;
  }

  void MarkDeliveredInStore(const std::string& purchase_id) {
    std::optional<Consignment> consignment = Get(purchase_id);
    ASSERT_TRUE(consignment.has_value());
    auto event = MarkDelivered(*consignment, clock_.Now());
    ASSERT_TRUE(event.ok() && event->has_value()) << event.status();
    mesh::storage::UnitOfWork work;
    repository_->Stage(work, *consignment, &**event, {.correlation_id = "c", .causation_id = "t"},
                       clock_.Now());
    ASSERT_TRUE(repository_->Commit(work).ok());
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<ConsignmentRepository> repository_;
  std::unique_ptr<ConsignPolicy> policy_;
  std::unique_ptr<mesh::messaging::EventConsumer> consumer_;
};

TEST_F(ConsignPolicyTest, OnPurchased_AutoDispatch_ConsignedEventAndInboxTogether) {
  const EventEnvelope purchased = PurchasedEvent("pur_1");
  ASSERT_TRUE(Handle(&ConsignPolicy::OnPurchased, purchased).ok());

  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->consignment_id(), "con_pur_1");
  EXPECT_EQ(consignment->status(), v1::CONSIGNMENT_STATUS_CONSIGNED);
  EXPECT_EQ(consignment->customer_id(), "buyer-1");
  EXPECT_EQ(consignment->car_id(), "car-1");
  EXPECT_TRUE(InInbox(purchased));

  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  const EventEnvelope& event = outbox[0];
  EXPECT_EQ(event.event_type(), "Consigned");
  EXPECT_EQ(event.producer(), "usedcar.consign");
  EXPECT_EQ(event.aggregate_type(), "Consignment");
  EXPECT_EQ(event.aggregate_id(), "con_pur_1");
  EXPECT_EQ(event.aggregate_version(), consignment->version());
  EXPECT_EQ(event.correlation_id(), "usedcar/purchase/pur_1");
  EXPECT_EQ(event.causation_id(), purchased.event_id());
  EXPECT_EQ(event.traceparent(), kTraceparent);
  v1::Consigned payload;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(event, &payload).ok());
  EXPECT_EQ(payload.consignment_id(), "con_pur_1");
  EXPECT_EQ(payload.purchase_id(), "pur_1");
  EXPECT_EQ(payload.car_id(), "car-1");
}

TEST_F(ConsignPolicyTest, OnPurchased_NoAutoDispatch_ScheduledWithoutEvent) {
  UsePolicy({.auto_dispatch = false});
  const EventEnvelope purchased = PurchasedEvent("pur_1");
  ASSERT_TRUE(Handle(&ConsignPolicy::OnPurchased, purchased).ok());
  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->status(), v1::CONSIGNMENT_STATUS_SCHEDULED);
  EXPECT_TRUE(InInbox(purchased));
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(ConsignPolicyTest, OnPurchased_Redelivered_OneConsignmentOneConsignedEvent) {
  const EventEnvelope purchased = PurchasedEvent("pur_1");
  ASSERT_TRUE(Deliver(purchased).ok());
  ASSERT_TRUE(Deliver(purchased).ok());
  // The same fact under a new event id gets past the inbox; the state machine stops it.
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  ASSERT_TRUE(Handle(&ConsignPolicy::OnPurchased, purchased).ok());

  EXPECT_THAT(OutboxTypes(), ElementsAre("Consigned"));
  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->version(), 2);
  absl::StatusOr<ConsignmentRepository::Page> all = repository_->List("", 10, "");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->consignments.size(), 1u);
}

TEST_F(ConsignPolicyTest, OnPurchaseCancelled_Consigned_CancelledWasConsigned) {
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  const EventEnvelope cancelled = PurchaseCancelledEvent("pur_1");
  ASSERT_TRUE(Deliver(cancelled).ok());

  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->status(), v1::CONSIGNMENT_STATUS_CANCELLED);
  EXPECT_EQ(consignment->cancel_reason(), "purchase cancelled");
  EXPECT_TRUE(InInbox(cancelled));
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[1].event_type(), "ConsignCancelled");
  EXPECT_EQ(outbox[1].causation_id(), cancelled.event_id());
  EXPECT_EQ(outbox[1].aggregate_version(), 3);
  v1::ConsignCancelled payload;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(outbox[1], &payload).ok());
  EXPECT_TRUE(payload.was_consigned());
  EXPECT_EQ(payload.reason(), "purchase cancelled");
}

TEST_F(ConsignPolicyTest, OnPurchaseCancelled_Scheduled_CancelledNotConsigned) {
  UsePolicy({.auto_dispatch = false});
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  ASSERT_TRUE(Deliver(PurchaseCancelledEvent("pur_1")).ok());
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  v1::ConsignCancelled payload;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(outbox[0], &payload).ok());
  EXPECT_FALSE(payload.was_consigned());
}

TEST_F(ConsignPolicyTest, OnPurchaseCancelled_BeforePurchased_TombstoneThenNothingCreated) {
  const EventEnvelope cancelled = PurchaseCancelledEvent("pur_1");
  const EventEnvelope purchased = PurchasedEvent("pur_1");
  ASSERT_TRUE(Deliver(cancelled).ok());
  EXPECT_TRUE(InInbox(cancelled));
  absl::StatusOr<bool> tombstoned = repository_->IsTombstoned("pur_1");
  ASSERT_TRUE(tombstoned.ok());
  EXPECT_TRUE(*tombstoned);

  ASSERT_TRUE(Deliver(purchased).ok());
  EXPECT_TRUE(InInbox(purchased));
  EXPECT_FALSE(Get("pur_1").has_value());
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(ConsignPolicyTest, OnPurchaseCancelled_Delivered_StaysDeliveredNoEventAcked) {
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  MarkDeliveredInStore("pur_1");
  const size_t before = Outbox().size();
  const EventEnvelope cancelled = PurchaseCancelledEvent("pur_1");
  ASSERT_TRUE(Deliver(cancelled).ok());
  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->status(), v1::CONSIGNMENT_STATUS_DELIVERED);
  EXPECT_EQ(Outbox().size(), before);
  EXPECT_TRUE(InInbox(cancelled));
}

TEST_F(ConsignPolicyTest, OnStockShortage_Consigned_CancelledOutOfStockWasConsigned) {
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  const EventEnvelope shortage = StockShortageEvent("pur_1", "con_pur_1");
  ASSERT_TRUE(Deliver(shortage).ok());
  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->status(), v1::CONSIGNMENT_STATUS_CANCELLED);
  EXPECT_EQ(consignment->cancel_reason(), "out of stock");
  EXPECT_TRUE(InInbox(shortage));
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  v1::ConsignCancelled payload;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(outbox[1], &payload).ok());
  EXPECT_EQ(payload.reason(), "out of stock");
  EXPECT_TRUE(payload.was_consigned());
  EXPECT_EQ(outbox[1].correlation_id(), shortage.correlation_id());
}

TEST_F(ConsignPolicyTest, OnStockShortage_AlreadyCancelled_NoSecondEvent) {
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  ASSERT_TRUE(Deliver(PurchaseCancelledEvent("pur_1")).ok());
  const EventEnvelope shortage = StockShortageEvent("pur_1", "con_pur_1");
  ASSERT_TRUE(Deliver(shortage).ok());
  EXPECT_THAT(OutboxTypes(), ElementsAre("Consigned", "ConsignCancelled"));
  std::optional<Consignment> consignment = Get("pur_1");
  ASSERT_TRUE(consignment.has_value());
  EXPECT_EQ(consignment->cancel_reason(), "purchase cancelled");
  EXPECT_TRUE(InInbox(shortage));
}

TEST_F(ConsignPolicyTest, OnStockShortage_ConsignmentOfAnotherPurchase_InvalidArgument) {
  ASSERT_TRUE(Deliver(PurchasedEvent("pur_1")).ok());
  const EventEnvelope shortage = StockShortageEvent("pur_2", "con_pur_1");
  absl::Status status = Deliver(shortage);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Get("pur_1")->status(), v1::CONSIGNMENT_STATUS_CONSIGNED);
  EXPECT_FALSE(InInbox(shortage));
}

TEST_F(ConsignPolicyTest, EachHandler_WrongPayloadType_InvalidArgumentNothingWritten) {
  const EventEnvelope wrong = StockShortageEvent("pur_1", "con_pur_1");
  const EventEnvelope also_wrong = PurchasedEvent("pur_1");
  for (auto [handler, event] : {std::pair<Handler, const EventEnvelope*>{&ConsignPolicy::OnPurchased, &wrong},
                                {&ConsignPolicy::OnPurchaseCancelled, &wrong},
                                {&ConsignPolicy::OnStockShortage, &also_wrong}}) {
    absl::Status status = Handle(handler, *event);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("expected"));
    EXPECT_FALSE(InInbox(*event));
  }
  EXPECT_FALSE(Get("pur_1").has_value());
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(ConsignPolicyTest, OnPurchased_MissingPurchaseId_InvalidArgumentNamingField) {
  const EventEnvelope purchased = PurchasedEvent("");
  absl::Status status = Handle(&ConsignPolicy::OnPurchased, purchased);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("purchase_id is required"));
  EXPECT_FALSE(InInbox(purchased));
  EXPECT_TRUE(Outbox().empty());
}

}  // namespace
}  // namespace usedcar::consign
