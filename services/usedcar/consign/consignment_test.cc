#include "services/usedcar/consign/consignment.h"

#include "gtest/gtest.h"

namespace usedcar::consign {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Time kLater = kNow + absl::Minutes(5);

Consignment Scheduled() { return NewScheduled("pur_1", "buyer-1", "car-1", kNow); }

Consignment Consigned() {
  Consignment consignment = Scheduled();
  EXPECT_TRUE(MarkConsigned(consignment, kNow).ok());
  return consignment;
}

Consignment Delivered() {
  Consignment consignment = Consigned();
  EXPECT_TRUE(MarkDelivered(consignment, kNow).ok());
  return consignment;
}

Consignment Cancelled() {
  Consignment consignment = Scheduled();
  EXPECT_TRUE(Cancel(consignment, kOutOfStockReason, kNow).ok());
  return consignment;
}

TEST(NewScheduled, DerivesIdFromPurchaseAndStartsAtVersionOne) {
  Consignment consignment = Scheduled();
  EXPECT_EQ(consignment.consignment_id(), "con_pur_1");
  EXPECT_EQ(consignment.consignment_id(), ConsignmentIdFor("pur_1"));
  EXPECT_EQ(consignment.status(), v1::CONSIGNMENT_STATUS_SCHEDULED);
  EXPECT_EQ(consignment.version(), 1);
  EXPECT_EQ(consignment.customer_id(), "buyer-1");
  EXPECT_EQ(consignment.car_id(), "car-1");
  EXPECT_EQ(consignment.create_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(Reference(consignment), "usedcar/purchase/pur_1");
}

TEST(MarkConsigned, Scheduled_BecomesConsignedWithEvent) {
  Consignment consignment = Scheduled();
  auto event = MarkConsigned(consignment, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ(consignment.status(), v1::CONSIGNMENT_STATUS_CONSIGNED);
  EXPECT_EQ(consignment.version(), 2);
  EXPECT_EQ(consignment.consign_time().seconds(), absl::ToUnixSeconds(kLater));
  EXPECT_EQ((*event)->consignment_id(), "con_pur_1");
  EXPECT_EQ((*event)->purchase_id(), "pur_1");
  EXPECT_EQ((*event)->customer_id(), "buyer-1");
  EXPECT_EQ((*event)->car_id(), "car-1");
}

TEST(MarkConsigned, AlreadyConsigned_NoEventNoChange) {
  Consignment consignment = Consigned();
  const std::string before = consignment.SerializeAsString();
  auto event = MarkConsigned(consignment, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->has_value());
  EXPECT_EQ(consignment.SerializeAsString(), before);
}

TEST(MarkConsigned, CancelledOrDelivered_FailedPreconditionNamingStateUnchanged) {
  for (Consignment consignment : {Cancelled(), Delivered()}) {
    const std::string state(StatusName(consignment.status()));
    const std::string before = consignment.SerializeAsString();
    auto event = MarkConsigned(consignment, kLater);
    EXPECT_EQ(event.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(event.status().message(), "cannot consign a consignment that is " + state);
    EXPECT_EQ(consignment.SerializeAsString(), before);
  }
}

TEST(MarkDelivered, Consigned_BecomesDeliveredWithEvent) {
  Consignment consignment = Consigned();
  auto event = MarkDelivered(consignment, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ(consignment.status(), v1::CONSIGNMENT_STATUS_DELIVERED);
  EXPECT_EQ(consignment.version(), 3);
  EXPECT_EQ(consignment.deliver_time().seconds(), absl::ToUnixSeconds(kLater));
  EXPECT_EQ((*event)->consignment_id(), "con_pur_1");
}

TEST(MarkDelivered, AlreadyDelivered_NoEventNoChange) {
  Consignment consignment = Delivered();
  const std::string before = consignment.SerializeAsString();
  auto event = MarkDelivered(consignment, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->has_value());
  EXPECT_EQ(consignment.SerializeAsString(), before);
}

TEST(MarkDelivered, ScheduledOrCancelled_FailedPreconditionNamingState) {
  Consignment scheduled = Scheduled();
  EXPECT_EQ(MarkDelivered(scheduled, kLater).status().message(),
            "cannot deliver a consignment that is SCHEDULED");
  EXPECT_EQ(scheduled.status(), v1::CONSIGNMENT_STATUS_SCHEDULED);
  Consignment cancelled = Cancelled();
  auto event = MarkDelivered(cancelled, kLater);
  EXPECT_EQ(event.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(event.status().message(), "cannot deliver a consignment that is CANCELLED");
  EXPECT_EQ(cancelled.status(), v1::CONSIGNMENT_STATUS_CANCELLED);
}

TEST(Cancel, Scheduled_CancelledNotConsigned) {
  Consignment consignment = Scheduled();
  auto event = Cancel(consignment, kPurchaseCancelledReason, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ(consignment.status(), v1::CONSIGNMENT_STATUS_CANCELLED);
  EXPECT_EQ(consignment.cancel_reason(), "purchase cancelled");
  EXPECT_EQ(consignment.version(), 2);
  EXPECT_EQ(consignment.cancel_time().seconds(), absl::ToUnixSeconds(kLater));
  EXPECT_FALSE((*event)->was_consigned());
  EXPECT_EQ((*event)->reason(), "purchase cancelled");
  EXPECT_EQ((*event)->car_id(), "car-1");
}

TEST(Cancel, Consigned_EventSaysWasConsigned) {
  Consignment consignment = Consigned();
  auto event = Cancel(consignment, kOutOfStockReason, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  EXPECT_TRUE((*event)->was_consigned());
  EXPECT_EQ((*event)->reason(), "out of stock");
  EXPECT_EQ(consignment.version(), 3);
}

TEST(Cancel, AlreadyCancelled_NoEventFirstReasonKept) {
  Consignment consignment = Cancelled();
  const std::string before = consignment.SerializeAsString();
  auto event = Cancel(consignment, kPurchaseCancelledReason, kLater);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->has_value());
  EXPECT_EQ(consignment.cancel_reason(), "out of stock");
  EXPECT_EQ(consignment.SerializeAsString(), before);
}

TEST(Cancel, Delivered_FailedPreconditionStaysDelivered) {
  Consignment consignment = Delivered();
  auto event = Cancel(consignment, kPurchaseCancelledReason, kLater);
  EXPECT_EQ(event.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(event.status().message(), "cannot cancel a consignment that is DELIVERED");
  EXPECT_EQ(consignment.status(), v1::CONSIGNMENT_STATUS_DELIVERED);
  EXPECT_TRUE(consignment.cancel_reason().empty());
}

}  // namespace
}  // namespace usedcar::consign
