#include "services/usedcar/purchase/purchase.h"

#include "gtest/gtest.h"

namespace usedcar::purchase {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::RequestPurchaseRequest ValidRequest() {
  v1::RequestPurchaseRequest request;
  request.set_request_id("req-1");
  request.set_customer_id("buyer-1");
  request.set_car_id("car-1");
  request.mutable_price()->set_currency_code("KRW");
  request.mutable_price()->set_amount_minor(25'000'000);
  return request;
}

Purchase Paid() {
  Purchase purchase = NewPending(ValidRequest(), "pur_1", kNow);
  EXPECT_TRUE(MarkPaid(purchase, "pay_1", kNow).ok());
  return purchase;
}

TEST(ValidateRequest, ValidRequest_IsOk) { EXPECT_TRUE(ValidateRequest(ValidRequest()).ok()); }

TEST(ValidateRequest, EachBadField_IsNamed) {
  struct Case {
    std::function<void(v1::RequestPurchaseRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_request_id(); }, "request_id"},
      {[](auto& r) { r.set_request_id("has space"); }, "request_id"},
      {[](auto& r) { r.set_request_id(std::string(200, 'x')); }, "request_id"},
      {[](auto& r) { r.clear_customer_id(); }, "customer_id"},
      {[](auto& r) { r.clear_car_id(); }, "car_id"},
      {[](auto& r) { r.clear_price(); }, "price"},
      {[](auto& r) { r.mutable_price()->set_currency_code("won"); }, "price.currency_code"},
      {[](auto& r) { r.mutable_price()->set_amount_minor(0); }, "price.amount_minor"},
      {[](auto& r) { r.mutable_price()->set_amount_minor(-5); }, "price.amount_minor"},
  };
  for (const Case& c : cases) {
    v1::RequestPurchaseRequest request = ValidRequest();
    c.spoil(request);
    absl::Status status = ValidateRequest(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(status.message().rfind(c.field, 0), 0u) << status.message();
  }
}

TEST(NewPending, StartsPendingAtVersionOne) {
  Purchase purchase = NewPending(ValidRequest(), "pur_1", kNow);
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_PENDING);
  EXPECT_EQ(purchase.version(), 1);
  EXPECT_EQ(purchase.request_id(), "req-1");
  EXPECT_EQ(Reference(purchase), "usedcar/purchase/pur_1");
  EXPECT_EQ(PaymentKey(purchase), "pur_1");
  EXPECT_EQ(RefundKey(purchase), "pur_1/refund");
}

TEST(SameRequest, DifferentPrice_IsNotTheSame) {
  Purchase purchase = NewPending(ValidRequest(), "pur_1", kNow);
  v1::RequestPurchaseRequest other = ValidRequest();
  EXPECT_TRUE(SameRequest(purchase, other));
  other.mutable_price()->set_amount_minor(1);
  EXPECT_FALSE(SameRequest(purchase, other));
}

TEST(MarkPaid, Pending_BecomesPaidWithEvent) {
  Purchase purchase = NewPending(ValidRequest(), "pur_1", kNow);
  auto event = MarkPaid(purchase, "pay_1", kNow);
  ASSERT_TRUE(event.ok());
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->payment_id(), "pay_1");
  EXPECT_EQ((*event)->car_id(), "car-1");
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_PAID);
  EXPECT_EQ(purchase.version(), 2);
}

TEST(MarkPaid, AlreadyPaidWithSamePayment_ChangesNothing) {
  Purchase purchase = Paid();
  const Purchase before = purchase;
  auto event = MarkPaid(purchase, "pay_1", kNow + absl::Seconds(1));
  ASSERT_TRUE(event.ok());
  EXPECT_FALSE(event->has_value());
  EXPECT_EQ(purchase.SerializeAsString(), before.SerializeAsString());
}

TEST(MarkPaid, PaidWithOtherPayment_FailedPrecondition) {
  Purchase purchase = Paid();
  EXPECT_EQ(MarkPaid(purchase, "pay_2", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(purchase.payment_id(), "pay_1");
}

TEST(BeginCancel, Pending_FailedPreconditionAndUnchanged) {
  Purchase purchase = NewPending(ValidRequest(), "pur_1", kNow);
  absl::StatusOr<bool> changed = BeginCancel(purchase, "changed my mind", kNow);
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_PENDING);
  EXPECT_EQ(purchase.version(), 1);
}

TEST(BeginCancel, Paid_BecomesCancellingOnce) {
  Purchase purchase = Paid();
  EXPECT_TRUE(*BeginCancel(purchase, "changed my mind", kNow));
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_CANCELLING);
  EXPECT_EQ(purchase.cancel_reason(), "changed my mind");
  const int64_t version = purchase.version();
  EXPECT_FALSE(*BeginCancel(purchase, "again", kNow));
  EXPECT_EQ(purchase.version(), version);
  EXPECT_EQ(purchase.cancel_reason(), "changed my mind");
}

TEST(MarkCancelled, Cancelling_BecomesCancelledWithEventThenIdempotent) {
  Purchase purchase = Paid();
  ASSERT_TRUE(BeginCancel(purchase, "r", kNow).ok());
  auto event = MarkCancelled(purchase, kNow);
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->payment_id(), "pay_1");
  EXPECT_EQ((*event)->reason(), "r");
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_CANCELLED);
  auto again = MarkCancelled(purchase, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_FALSE(*BeginCancel(purchase, "r", kNow));
}

TEST(MarkCancelled, Paid_FailedPrecondition) {
  Purchase purchase = Paid();
  EXPECT_EQ(MarkCancelled(purchase, kNow).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(purchase.status(), v1::PURCHASE_STATUS_PAID);
}

TEST(MarkPaid, Cancelled_FailedPrecondition) {
  Purchase purchase = Paid();
  ASSERT_TRUE(BeginCancel(purchase, "r", kNow).ok());
  ASSERT_TRUE(MarkCancelled(purchase, kNow).ok());
  EXPECT_EQ(MarkPaid(purchase, "pay_9", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace usedcar::purchase
