// API contracts of the core: billing and purchase (issue 4; see
// api_contract.h for what each ExpectCall proves).
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/v1/billing.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/contract/api_contract.h"
#include "tests/contract/api_contract_fixture.h"
#include "tests/contract/command.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace mesh::contract {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;
using BillingService = billing::v1::BillingService;
using PurchaseService = usedcar::purchase::v1::PurchaseService;
namespace bv1 = billing::v1;
namespace pv1 = usedcar::purchase::v1;

TEST_F(ApiContractTest, Billing_EveryRpc_AnswersPerContract) {
  StartBilling();
  const std::string at = billing_address();
  bv1::PayRequest pay;
  pay.set_idempotency_key("pay-1");
  pay.set_merchant("usedcar");
  pay.set_reference("usedcar/purchase/pur_1");
  pay.set_payer_id("buyer-1");
  pay.mutable_amount()->set_currency_code("KRW");
  pay.mutable_amount()->set_amount_minor(kPrice);
  const bv1::Payment paid =
      ExpectCall<BillingService>(at, &BillingService::Stub::Pay, "Pay", pay, Ok()).payment();
  EXPECT_EQ(paid.status(), bv1::PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(paid.amount().amount_minor(), kPrice);
  EXPECT_FALSE(paid.payment_id().empty());
  {
    bv1::PayRequest changed = pay;
    changed.mutable_amount()->set_amount_minor(kPrice + 1);
    ExpectCall<BillingService>(
        at, &BillingService::Stub::Pay, "Pay", changed,
        Fails(StatusCode::ALREADY_EXISTS, "was used for a different request"));
    bv1::PayRequest no_key = pay;
    no_key.clear_idempotency_key();
    ExpectCall<BillingService>(at, &BillingService::Stub::Pay, "Pay", no_key,
                               Fails(StatusCode::INVALID_ARGUMENT, "idempotency_key is required"));
    bv1::PayRequest free = pay;
    free.set_idempotency_key("pay-free");
    free.mutable_amount()->set_amount_minor(0);
    ExpectCall<BillingService>(at, &BillingService::Stub::Pay, "Pay", free,
                               Fails(StatusCode::INVALID_ARGUMENT, "amount.amount_minor"));
  }

  bv1::AuthorizeRequest authorize;
  authorize.set_idempotency_key("auth-1");
  authorize.set_merchant("delivery");
  authorize.set_reference("delivery/call/call_1");
  authorize.set_payer_id("customer-9");
  authorize.mutable_amount()->set_currency_code("KRW");
  authorize.mutable_amount()->set_amount_minor(4'000);
  const bv1::Payment authorized =
      ExpectCall<BillingService>(at, &BillingService::Stub::Authorize, "Authorize", authorize, Ok())
          .payment();
  EXPECT_EQ(authorized.status(), bv1::PAYMENT_STATUS_AUTHORIZED);
  authorize.clear_merchant();
  ExpectCall<BillingService>(at, &BillingService::Stub::Authorize, "Authorize", authorize,
                             Fails(StatusCode::INVALID_ARGUMENT, "merchant is required"));

  bv1::CaptureRequest capture;
  capture.set_idempotency_key("capture-1");
  capture.set_payment_id(authorized.payment_id());
  EXPECT_EQ(ExpectCall<BillingService>(at, &BillingService::Stub::Capture, "Capture", capture, Ok())
                .payment()
                .status(),
            bv1::PAYMENT_STATUS_CAPTURED);
  capture.set_idempotency_key("capture-2");
  capture.set_payment_id("pay_unknown");
  ExpectCall<BillingService>(at, &BillingService::Stub::Capture, "Capture", capture,
                             Fails(StatusCode::NOT_FOUND, "pay_unknown"));
  capture.clear_payment_id();
  ExpectCall<BillingService>(at, &BillingService::Stub::Capture, "Capture", capture,
                             Fails(StatusCode::INVALID_ARGUMENT, "payment_id"));

  bv1::RefundRequest refund;
  refund.set_idempotency_key("refund-1");
  refund.set_payment_id(paid.payment_id());
  EXPECT_EQ(ExpectCall<BillingService>(at, &BillingService::Stub::Refund, "Refund", refund, Ok())
                .payment()
                .status(),
            bv1::PAYMENT_STATUS_REFUNDED);
  // Refunded money cannot be captured again.
  capture.set_idempotency_key("capture-3");
  capture.set_payment_id(paid.payment_id());
  ExpectCall<BillingService>(at, &BillingService::Stub::Capture, "Capture", capture,
                             Fails(StatusCode::FAILED_PRECONDITION, "REFUNDED"));

  bv1::CancelRequest cancel;
  cancel.set_idempotency_key("auth-1");
  ExpectCall<BillingService>(at, &BillingService::Stub::Cancel, "Cancel", cancel,
                             Fails(StatusCode::FAILED_PRECONDITION, "CAPTURED"));
  cancel.set_idempotency_key("never-paid");
  ExpectCall<BillingService>(at, &BillingService::Stub::Cancel, "Cancel", cancel,
                             Fails(StatusCode::INVALID_ARGUMENT, "merchant is required"));
  cancel.set_merchant("usedcar");
  cancel.set_reference("usedcar/purchase/pur_2");
  const bv1::Payment voided =
      ExpectCall<BillingService>(at, &BillingService::Stub::Cancel, "Cancel", cancel, Ok())
          .payment();
  EXPECT_EQ(voided.status(), bv1::PAYMENT_STATUS_VOIDED);
  // The voided key can never charge.
  pay.set_idempotency_key("never-paid");
  pay.set_reference("usedcar/purchase/pur_2");
  EXPECT_EQ(ExpectCall<BillingService>(at, &BillingService::Stub::Pay, "Pay", pay, Ok())
                .payment()
                .status(),
            bv1::PAYMENT_STATUS_VOIDED);

  bv1::GetPaymentRequest get;
  get.set_payment_id(paid.payment_id());
  EXPECT_EQ(
      ExpectCall<BillingService>(at, &BillingService::Stub::GetPayment, "GetPayment", get, Ok())
          .payment()
          .status(),
      bv1::PAYMENT_STATUS_REFUNDED);
  get.set_idempotency_key("auth-1");
  EXPECT_EQ(
      ExpectCall<BillingService>(at, &BillingService::Stub::GetPayment, "GetPayment", get, Ok())
          .payment()
          .payment_id(),
      authorized.payment_id());
  get.set_payment_id("pay_unknown");
  ExpectCall<BillingService>(at, &BillingService::Stub::GetPayment, "GetPayment", get,
                             Fails(StatusCode::NOT_FOUND, "pay_unknown"));
  get.Clear();
  ExpectCall<BillingService>(at, &BillingService::Stub::GetPayment, "GetPayment", get,
                             Fails(StatusCode::INVALID_ARGUMENT, "payment_id or idempotency_key"));

  bv1::ListPaymentsRequest list;
  list.set_merchant("usedcar");
  const bv1::ListPaymentsResponse usedcar_payments = ExpectCall<BillingService>(
      at, &BillingService::Stub::ListPayments, "ListPayments", WithPage(list, 1), Ok());
  ASSERT_EQ(usedcar_payments.payments_size(), 1);
  EXPECT_FALSE(usedcar_payments.page().next_page_token().empty());
  const bv1::ListPaymentsResponse second = ExpectCall<BillingService>(
      at, &BillingService::Stub::ListPayments, "ListPayments",
      WithPage(list, 1, usedcar_payments.page().next_page_token()), Ok());
  ASSERT_EQ(second.payments_size(), 1);
  EXPECT_NE(second.payments(0).payment_id(), usedcar_payments.payments(0).payment_id());
  ExpectCall<BillingService>(at, &BillingService::Stub::ListPayments, "ListPayments",
                             WithPage(list, -1),
                             Fails(StatusCode::INVALID_ARGUMENT, "page.page_size"));
  ExpectCall<BillingService>(at, &BillingService::Stub::ListPayments, "ListPayments",
                             WithPage(list, 10, "garbage"),
                             Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));
  list.clear_merchant();
  list.set_reference("usedcar/purchase/pur_1");
  ExpectCall<BillingService>(at, &BillingService::Stub::ListPayments, "ListPayments", list,
                             Fails(StatusCode::INVALID_ARGUMENT, "merchant is required"));

  ExpectEveryMethodCalled(BillingService::service_full_name());
}

TEST_F(ApiContractTest, Purchase_EveryRpc_AnswersPerContract) {
  StartBilling();
  StartPurchase();
  const std::string at = purchase_address();
  pv1::RequestPurchaseRequest request;
  request.set_request_id("req-1");
  request.set_customer_id("buyer-1");
  request.set_car_id("car-1");
  request.mutable_price()->set_currency_code("KRW");
  request.mutable_price()->set_amount_minor(kPrice);
  const pv1::Purchase paid =
      ExpectCall<PurchaseService>(at, &PurchaseService::Stub::RequestPurchase, "RequestPurchase",
                                  request, Ok())
          .purchase();
  EXPECT_EQ(paid.status(), pv1::PURCHASE_STATUS_PAID);
  EXPECT_FALSE(paid.payment_id().empty());
  EXPECT_EQ(paid.request_id(), "req-1");
  {
    pv1::RequestPurchaseRequest other_car = request;
    other_car.set_car_id("car-2");
    ExpectCall<PurchaseService>(at, &PurchaseService::Stub::RequestPurchase, "RequestPurchase",
                                other_car, Fails(StatusCode::ALREADY_EXISTS, "was already used"));
    // Each bad field is named, in the order the request is checked.
    const std::vector<std::pair<std::function<void(pv1::RequestPurchaseRequest&)>, std::string>>
        bad = {
            {[](auto& r) { r.clear_request_id(); }, "request_id is required"},
            {[](auto& r) { r.clear_customer_id(); }, "customer_id is required"},
            {[](auto& r) { r.set_car_id("car 1"); }, "car_id must be printable ASCII"},
            {[](auto& r) { r.clear_price(); }, "price is required"},
            {[](auto& r) { r.mutable_price()->set_currency_code("won"); }, "price.currency_code"},
            {[](auto& r) { r.mutable_price()->set_amount_minor(-5); }, "price.amount_minor"},
        };
    for (const auto& [spoil, field] : bad) {
      pv1::RequestPurchaseRequest wrong = request;
      wrong.set_request_id("req-bad");
      spoil(wrong);
      ExpectCall<PurchaseService>(at, &PurchaseService::Stub::RequestPurchase, "RequestPurchase",
                                  wrong, Fails(StatusCode::INVALID_ARGUMENT, field));
    }
  }

  pv1::GetPurchaseRequest get;
  get.set_purchase_id(paid.purchase_id());
  EXPECT_EQ(
      ExpectCall<PurchaseService>(at, &PurchaseService::Stub::GetPurchase, "GetPurchase", get, Ok())
          .purchase()
          .payment_id(),
      paid.payment_id());
  get.set_purchase_id("pur_unknown");
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::GetPurchase, "GetPurchase", get,
                              Fails(StatusCode::NOT_FOUND, "pur_unknown"));
  get.clear_purchase_id();
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::GetPurchase, "GetPurchase", get,
                              Fails(StatusCode::INVALID_ARGUMENT, "purchase_id is required"));

  pv1::ListPurchasesRequest list;
  list.set_customer_id("buyer-1");
  const pv1::ListPurchasesResponse listed = ExpectCall<PurchaseService>(
      at, &PurchaseService::Stub::ListPurchases, "ListPurchases", list, Ok());
  ASSERT_EQ(listed.purchases_size(), 1);
  EXPECT_EQ(listed.purchases(0).purchase_id(), paid.purchase_id());
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::ListPurchases, "ListPurchases",
                              WithPage(list, -1),
                              Fails(StatusCode::INVALID_ARGUMENT, "page.page_size"));
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::ListPurchases, "ListPurchases",
                              WithPage(list, 10, "garbage"),
                              Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));

  pv1::CancelPurchaseRequest cancel;
  cancel.set_purchase_id(paid.purchase_id());
  cancel.set_reason("changed my mind");
  const pv1::Purchase cancelled =
      ExpectCall<PurchaseService>(at, &PurchaseService::Stub::CancelPurchase, "CancelPurchase",
                                  cancel, Ok())
          .purchase();
  EXPECT_EQ(cancelled.status(), pv1::PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ(cancelled.cancel_reason(), "changed my mind");
  cancel.set_purchase_id("pur_unknown");
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::CancelPurchase, "CancelPurchase", cancel,
                              Fails(StatusCode::NOT_FOUND, "pur_unknown"));
  cancel.clear_purchase_id();
  ExpectCall<PurchaseService>(at, &PurchaseService::Stub::CancelPurchase, "CancelPurchase", cancel,
                              Fails(StatusCode::INVALID_ARGUMENT, "purchase_id is required"));

  // No second charge: one payment, refunded, for the one purchase.
  const std::vector<bv1::Payment> payments = AllPayments("buyer-1");
  ASSERT_EQ(payments.size(), 1u);
  EXPECT_EQ(payments[0].status(), bv1::PAYMENT_STATUS_REFUNDED);
  ExpectEveryMethodCalled(PurchaseService::service_full_name());
}

TEST_F(ApiContractTest, CancelPurchase_PaymentStillPending_FailedPrecondition) {
  // Billing answers too late for purchase's deadline, so the outcome is
  // unknown and the purchase stays PENDING (the resolver is held off).
  StartBilling({"--fault_latency=3s"});
  StartPurchase({"--billing_timeout=200ms", "--retry_max_attempts=1", "--resolve_interval=1h"});
  e2e::CallResult attempt = RequestPurchase("req-pending", "buyer-p", "car-1", kPrice);
  ASSERT_FALSE(attempt.status.ok()) << "billing answered in time";
  const std::vector<pv1::Purchase> purchases = AllPurchases("buyer-p");
  ASSERT_EQ(purchases.size(), 1u);
  ASSERT_EQ(purchases[0].status(), pv1::PURCHASE_STATUS_PENDING);

  pv1::CancelPurchaseRequest cancel;
  cancel.set_purchase_id(purchases[0].purchase_id());
  ExpectCall<PurchaseService>(purchase_address(), &PurchaseService::Stub::CancelPurchase,
                              "CancelPurchase", cancel,
                              Fails(StatusCode::FAILED_PRECONDITION, "PENDING"));
  EXPECT_EQ(AllPurchases("buyer-p")[0].status(), pv1::PURCHASE_STATUS_PENDING);
}

}  // namespace
}  // namespace mesh::contract
