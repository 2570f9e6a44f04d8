#include "services/billing/billing_service.h"

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/v1/billing_events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "services/billing/billing_service_fixture.h"

namespace billing::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(BillingServiceTest, Pay_SameKeyTwice_SamePaymentOneChargeOneRow) {
  absl::StatusOr<Payment> first = Call(&Stub::Pay, PayRequest("p-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status(), v1::PAYMENT_STATUS_CAPTURED);
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<Payment> second = Call(&Stub::Pay, PayRequest("p-1"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->payment_id(), first->payment_id());
  EXPECT_EQ(second->version(), 1);

  v1::ListPaymentsRequest by_merchant;
  by_merchant.set_merchant("usedcar");
  EXPECT_THAT(ListAll(by_merchant, 10), ElementsAre(first->payment_id()));
  EXPECT_THAT(OutboxTypes(), ElementsAre("PayApproved"));
}

TEST_F(BillingServiceTest, Pay_SameKeyDifferentAmount_AlreadyExistsNothingWritten) {
  ASSERT_TRUE(Call(&Stub::Pay, PayRequest("p-1", 1000)).ok());
  absl::StatusOr<Payment> other = Call(&Stub::Pay, PayRequest("p-1", 2000));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.status().message(), "idempotency_key p-1 was used for a different request");
  absl::StatusOr<Payment> authorize = Call(&Stub::Authorize, AuthorizeRequest("p-1"));
  EXPECT_EQ(authorize.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(OutboxTypes(), ElementsAre("PayApproved"));
}

TEST_F(BillingServiceTest, Pay_ConcurrentSameKey_ExactlyOnePayment) {
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = absl::StrCat("same-key-", round);
    std::vector<absl::StatusOr<Payment>> results(8, absl::UnknownError("not run"));
    std::latch start(static_cast<std::ptrdiff_t>(results.size()));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = Call(&Stub::Pay, PayRequest(key));
      });
    }
    for (std::thread& thread : threads) thread.join();
    std::set<std::string> ids;
    for (const auto& result : results) {
      ASSERT_TRUE(result.ok()) << result.status();
      ids.insert(result->payment_id());
    }
    EXPECT_EQ(ids.size(), 1u) << key;
  }
  EXPECT_EQ(ListAll(v1::ListPaymentsRequest(), 50).size(), static_cast<size_t>(kRounds));
  EXPECT_EQ(Outbox().size(), static_cast<size_t>(kRounds));
}

TEST_F(BillingServiceTest, Refund_Twice_SameRefundedPaymentOneEvent) {
  absl::StatusOr<Payment> paid = Call(&Stub::Pay, PayRequest("p-1"));
  ASSERT_TRUE(paid.ok()) << paid.status();
  auto refund = ByPayment<v1::RefundRequest>("p-1/refund", paid->payment_id());
  absl::StatusOr<Payment> first = Call(&Stub::Refund, refund);
  absl::StatusOr<Payment> second = Call(&Stub::Refund, refund);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->status(), v1::PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(second->payment_id(), first->payment_id());
  EXPECT_EQ(second->version(), 2);
  EXPECT_THAT(OutboxTypes(), ElementsAre("PayApproved", "PayCancelled"));
  common::v1::EventEnvelope cancelled = Outbox().back();
  v1::PayCancelled payload;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(cancelled, &payload).ok());
  EXPECT_EQ(payload.kind(), "refunded");
  EXPECT_EQ(cancelled.aggregate_version(), 2);
}

TEST_F(BillingServiceTest, Refund_KeyReusedForOtherPayment_AlreadyExists) {
  absl::StatusOr<Payment> a = Call(&Stub::Pay, PayRequest("a"));
  absl::StatusOr<Payment> b = Call(&Stub::Pay, PayRequest("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(Call(&Stub::Refund, ByPayment<v1::RefundRequest>("r", a->payment_id())).ok());
  absl::StatusOr<Payment> reused =
      Call(&Stub::Refund, ByPayment<v1::RefundRequest>("r", b->payment_id()));
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(repository_->Get(b->payment_id())->status(), v1::PAYMENT_STATUS_CAPTURED);
}

TEST_F(BillingServiceTest, Cancel_UnknownKey_VoidedAndLatePayNeverCharges) {
  absl::StatusOr<Payment> voided = Call(&Stub::Cancel, CancelRequest("late"));
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->status(), v1::PAYMENT_STATUS_VOIDED);
  EXPECT_EQ(voided->amount().amount_minor(), 0);
  EXPECT_EQ(voided->merchant(), "usedcar");

  absl::StatusOr<Payment> late = Call(&Stub::Pay, PayRequest("late"));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->payment_id(), voided->payment_id());
  EXPECT_EQ(late->status(), v1::PAYMENT_STATUS_VOIDED);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(BillingServiceTest, Cancel_WithoutKeyOrMerchant_InvalidArgument) {
  v1::CancelRequest no_key = CancelRequest("");
  EXPECT_EQ(Call(&Stub::Cancel, no_key).status().message(), "idempotency_key is required");
  v1::CancelRequest no_merchant = CancelRequest("k");
  no_merchant.clear_merchant();
  EXPECT_EQ(Call(&Stub::Cancel, no_merchant).status().message(), "merchant is required");
  EXPECT_TRUE(ListAll(v1::ListPaymentsRequest(), 50).empty());
}

TEST_F(BillingServiceTest, AuthorizeThenCapture_CapturedWithTwoEvents) {
  absl::StatusOr<Payment> authorized = Call(&Stub::Authorize, AuthorizeRequest("call-1"));
  ASSERT_TRUE(authorized.ok()) << authorized.status();
  EXPECT_EQ(authorized->status(), v1::PAYMENT_STATUS_AUTHORIZED);
  auto capture = ByPayment<v1::CaptureRequest>("call-1/capture", authorized->payment_id());
  absl::StatusOr<Payment> captured = Call(&Stub::Capture, capture);
  ASSERT_TRUE(captured.ok()) << captured.status();
  EXPECT_EQ(captured->status(), v1::PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(captured->version(), 2);
  ASSERT_TRUE(Call(&Stub::Capture, capture).ok());

  std::vector<common::v1::EventEnvelope> events = Outbox();
  ASSERT_THAT(OutboxTypes(), ElementsAre("PayAuthorized", "PayApproved"));
  EXPECT_EQ(events[0].aggregate_version(), 1);
  EXPECT_EQ(events[1].aggregate_version(), 2);
  EXPECT_EQ(events[1].producer(), "billing");
  EXPECT_EQ(events[1].aggregate_type(), "Payment");
  EXPECT_EQ(events[1].aggregate_id(), authorized->payment_id());
  EXPECT_EQ(events[1].correlation_id(), "delivery/call/call-1");
  EXPECT_EQ(events[1].causation_id(), "call-1/capture");
  EXPECT_EQ(events[1].traceparent(), kTraceparent);
}

TEST_F(BillingServiceTest, Capture_Voided_FailedPrecondition) {
  absl::StatusOr<Payment> authorized = Call(&Stub::Authorize, AuthorizeRequest("call-1"));
  ASSERT_TRUE(authorized.ok()) << authorized.status();
  absl::StatusOr<Payment> voided = Call(&Stub::Cancel, CancelRequest("call-1"));
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->status(), v1::PAYMENT_STATUS_VOIDED);
  absl::StatusOr<Payment> captured =
      Call(&Stub::Capture, ByPayment<v1::CaptureRequest>("cap", authorized->payment_id()));
  EXPECT_EQ(captured.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(captured.status().message()), HasSubstr("is VOIDED"));
  EXPECT_THAT(OutboxTypes(), ElementsAre("PayAuthorized", "PayCancelled"));
}

TEST_F(BillingServiceTest, Cancel_Captured_FailedPreconditionUseRefund) {
  ASSERT_TRUE(Call(&Stub::Pay, PayRequest("p-1")).ok());
  absl::StatusOr<Payment> cancelled = Call(&Stub::Cancel, CancelRequest("p-1"));
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(cancelled.status().message()), HasSubstr("Refund"));
  EXPECT_EQ(repository_->GetByKey("p-1")->status(), v1::PAYMENT_STATUS_CAPTURED);
}

TEST_F(BillingServiceTest, GetPayment_ByKeyOrId_FoundOrClearError) {
  absl::StatusOr<Payment> paid = Call(&Stub::Pay, PayRequest("p-1"));
  ASSERT_TRUE(paid.ok()) << paid.status();
  v1::GetPaymentRequest by_key;
  by_key.set_idempotency_key("p-1");
  absl::StatusOr<Payment> found = Call(&Stub::GetPayment, by_key);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->payment_id(), paid->payment_id());
  v1::GetPaymentRequest by_id;
  by_id.set_payment_id(paid->payment_id());
  EXPECT_EQ(Call(&Stub::GetPayment, by_id)->idempotency_key(), "p-1");

  by_key.set_idempotency_key("nope");
  absl::Status missing = Call(&Stub::GetPayment, by_key).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "no payment with idempotency_key nope");
  absl::Status empty = Call(&Stub::GetPayment, v1::GetPaymentRequest()).status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "payment_id or idempotency_key is required");
}

TEST_F(BillingServiceTest, ListPayments_Paging_EveryPaymentExactlyOnce) {
  std::set<std::string> usedcar;
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) {
    const std::string merchant = i % 3 == 0 ? "ticket" : "usedcar";
    absl::StatusOr<Payment> paid = Call(&Stub::Pay, PayRequest(absl::StrCat("k", i), 10, merchant));
    ASSERT_TRUE(paid.ok()) << paid.status();
    all.insert(paid->payment_id());
    if (merchant == "usedcar") usedcar.insert(paid->payment_id());
  }
  std::vector<std::string> everything = ListAll(v1::ListPaymentsRequest(), 4);
  EXPECT_EQ(everything.size(), all.size());
  EXPECT_EQ(std::set<std::string>(everything.begin(), everything.end()), all);

  v1::ListPaymentsRequest by_merchant;
  by_merchant.set_merchant("usedcar");
  std::vector<std::string> pages = ListAll(by_merchant, 5);
  EXPECT_EQ(pages.size(), usedcar.size());
  EXPECT_EQ(std::set<std::string>(pages.begin(), pages.end()), usedcar);

  v1::ListPaymentsRequest by_payer;
  by_payer.set_payer_id("buyer-1");
  EXPECT_EQ(ListAll(by_payer, 7).size(), all.size());
  v1::ListPaymentsRequest by_reference = by_merchant;
  by_reference.set_reference("usedcar/purchase/k1");
  EXPECT_EQ(ListAll(by_reference, 5).size(), 1u);
}

TEST_F(BillingServiceTest, ListPayments_BadPageArguments_InvalidArgument) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Call(&Stub::Pay, PayRequest(absl::StrCat("k", i))).ok());
  v1::ListPaymentsRequest request;
  request.mutable_page()->set_page_size(-1);
  EXPECT_EQ(List(request).status().code(), absl::StatusCode::kInvalidArgument);

  request.mutable_page()->set_page_size(1);
  absl::StatusOr<v1::ListPaymentsResponse> first = List(request);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->page().next_page_token().empty());
  v1::ListPaymentsRequest other_filter = request;
  other_filter.set_merchant("usedcar");
  other_filter.mutable_page()->set_page_token(first->page().next_page_token());
  absl::Status foreign = List(other_filter).status();
  EXPECT_EQ(foreign.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(foreign.message()), HasSubstr("page.page_token"));
  request.mutable_page()->set_page_token("bm90LWEtdG9rZW4tYXQtYWxs");
  EXPECT_EQ(List(request).status().code(), absl::StatusCode::kInvalidArgument);

  v1::ListPaymentsRequest reference_only;
  reference_only.set_reference("usedcar/purchase/k1");
  EXPECT_EQ(List(reference_only).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BillingServiceTest, Pay_BadInput_InvalidArgumentNamingFieldNothingWritten) {
  v1::PayRequest no_key = PayRequest("");
  v1::PayRequest no_merchant = PayRequest("k");
  no_merchant.clear_merchant();
  v1::PayRequest no_amount = PayRequest("k");
  no_amount.clear_amount();
  v1::PayRequest bad_currency = PayRequest("k");
  bad_currency.mutable_amount()->set_currency_code("won");
  const std::vector<std::pair<v1::PayRequest, std::string>> cases = {
      {no_key, "idempotency_key is required"},
      {no_merchant, "merchant is required"},
      {no_amount, "amount.amount_minor must be positive"},
      {bad_currency, "amount.currency_code must be a 3-letter ISO 4217 code"},
  };
  for (const auto& [request, field_message] : cases) {
    absl::Status status = Call(&Stub::Pay, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field_message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(field_message));
  }
  absl::Status capture = Call(&Stub::Capture, ByPayment<v1::CaptureRequest>("c", "")).status();
  EXPECT_EQ(capture.message(), "payment_id is required");
  EXPECT_TRUE(ListAll(v1::ListPaymentsRequest(), 50).empty());
  EXPECT_EQ(repository_->GetByKey("k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Outbox().empty());
}

}  // namespace
}  // namespace billing::test
