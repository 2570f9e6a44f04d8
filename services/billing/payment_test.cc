#include "services/billing/payment.h"

#include <string>

#include "billing/v1/billing_events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);
const absl::Time kLater = kStart + absl::Seconds(5);

Charge ValidCharge() {
  Charge charge;
  charge.idempotency_key = "purchase-1";
  charge.merchant = "usedcar";
  charge.reference = "usedcar/purchase/purchase-1";
  charge.payer_id = "buyer-1";
  charge.amount.set_currency_code("KRW");
  charge.amount.set_amount_minor(1'200'000);
  return charge;
}

Payment PaymentIn(PaymentStatus status) {
  Payment payment = OpenPayment(ValidCharge(), ChargeMode::kAuthorize, "pay_1", kStart).payment;
  payment.set_status(status);
  return payment;
}

void ExpectInvalid(const Charge& charge, const std::string& field_message) {
  absl::Status status = ValidateCharge(charge);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(field_message));
}

TEST(ValidateChargeTest, ValidCharge_Ok) { EXPECT_TRUE(ValidateCharge(ValidCharge()).ok()); }

TEST(ValidateChargeTest, MissingKey_NamesIdempotencyKey) {
  Charge charge = ValidCharge();
  charge.idempotency_key.clear();
  ExpectInvalid(charge, "idempotency_key is required");
}

TEST(ValidateChargeTest, OverlongKey_NamesIdempotencyKey) {
  Charge charge = ValidCharge();
  charge.idempotency_key.assign(kMaxKeyBytes + 1, 'k');
  ExpectInvalid(charge, "idempotency_key must be at most 256 bytes");
}

TEST(ValidateChargeTest, MissingMerchant_NamesMerchant) {
  Charge charge = ValidCharge();
  charge.merchant.clear();
  ExpectInvalid(charge, "merchant is required");
}

TEST(ValidateChargeTest, OverlongReference_NamesReference) {
  Charge charge = ValidCharge();
  charge.reference.assign(kMaxLabelBytes + 1, 'r');
  ExpectInvalid(charge, "reference must be at most");
}

TEST(ValidateChargeTest, ZeroOrNegativeAmount_NamesAmountMinor) {
  Charge charge = ValidCharge();
  charge.amount.set_amount_minor(0);
  ExpectInvalid(charge, "amount.amount_minor must be positive");
  charge.amount.set_amount_minor(-5);
  ExpectInvalid(charge, "amount.amount_minor must be positive");
}

TEST(ValidateChargeTest, BadCurrency_NamesCurrencyCode) {
  for (const char* code : {"", "KR", "KRWW", "krw", "K1W"}) {
    Charge charge = ValidCharge();
    charge.amount.set_currency_code(code);
    ExpectInvalid(charge, "amount.currency_code must be a 3-letter ISO 4217 code");
  }
}

TEST(FingerprintTest, SameArguments_Equal) {
  EXPECT_EQ(Fingerprint(ValidCharge(), ChargeMode::kPay),
            Fingerprint(ValidCharge(), ChargeMode::kPay));
}

TEST(FingerprintTest, KeyIgnored_OtherFieldsAndModeCount) {
  const std::string base = Fingerprint(ValidCharge(), ChargeMode::kPay);
  Charge other_key = ValidCharge();
  other_key.idempotency_key = "another";
  EXPECT_EQ(Fingerprint(other_key, ChargeMode::kPay), base);

  EXPECT_NE(Fingerprint(ValidCharge(), ChargeMode::kAuthorize), base);
  Charge amount = ValidCharge();
  amount.amount.set_amount_minor(1);
  EXPECT_NE(Fingerprint(amount, ChargeMode::kPay), base);
  Charge currency = ValidCharge();
  currency.amount.set_currency_code("USD");
  EXPECT_NE(Fingerprint(currency, ChargeMode::kPay), base);
  Charge payer = ValidCharge();
  payer.payer_id = "buyer-2";
  EXPECT_NE(Fingerprint(payer, ChargeMode::kPay), base);
}

TEST(FingerprintTest, FieldBoundariesShift_Differ) {
  Charge a = ValidCharge();
  a.merchant = "ab";
  a.reference = "c";
  Charge b = ValidCharge();
  b.merchant = "a";
  b.reference = "bc";
  EXPECT_NE(Fingerprint(a, ChargeMode::kPay), Fingerprint(b, ChargeMode::kPay));
}

TEST(OpenPaymentTest, Pay_CapturedVersionOneApproved) {
  Transition opened = OpenPayment(ValidCharge(), ChargeMode::kPay, "pay_1", kStart);
  EXPECT_EQ(opened.payment.status(), v1::PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(opened.event, PaymentEvent::kApproved);
  EXPECT_EQ(opened.payment.version(), 1);
  EXPECT_EQ(opened.payment.payment_id(), "pay_1");
  EXPECT_EQ(opened.payment.idempotency_key(), "purchase-1");
  EXPECT_EQ(opened.payment.amount().amount_minor(), 1'200'000);
  EXPECT_EQ(opened.payment.create_time().seconds(), 1'700'000'000);
}

TEST(OpenPaymentTest, Authorize_AuthorizedRaisesAuthorized) {
  Transition opened = OpenPayment(ValidCharge(), ChargeMode::kAuthorize, "pay_1", kStart);
  EXPECT_EQ(opened.payment.status(), v1::PAYMENT_STATUS_AUTHORIZED);
  EXPECT_EQ(opened.event, PaymentEvent::kAuthorized);
}

TEST(VoidUnpaidTest, UnknownKey_VoidedZeroAmountNoEvent) {
  Transition voided = VoidUnpaid("k", "usedcar", "usedcar/purchase/p", "pay_2", kStart);
  EXPECT_EQ(voided.payment.status(), v1::PAYMENT_STATUS_VOIDED);
  EXPECT_EQ(voided.payment.amount().amount_minor(), 0);
  EXPECT_EQ(voided.payment.idempotency_key(), "k");
  EXPECT_FALSE(voided.changed());
}

TEST(CaptureTest, Authorized_CapturedBumpsVersion) {
  absl::StatusOr<Transition> captured = Capture(PaymentIn(v1::PAYMENT_STATUS_AUTHORIZED), kLater);
  ASSERT_TRUE(captured.ok()) << captured.status();
  EXPECT_EQ(captured->payment.status(), v1::PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(captured->event, PaymentEvent::kApproved);
  EXPECT_EQ(captured->payment.version(), 2);
  EXPECT_EQ(captured->payment.update_time().seconds(), 1'700'000'005);
}

TEST(CaptureTest, Captured_UnchangedNoEvent) {
  absl::StatusOr<Transition> again = Capture(PaymentIn(v1::PAYMENT_STATUS_CAPTURED), kLater);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(again->payment.version(), 1);
}

TEST(CaptureTest, VoidedOrRefunded_FailedPrecondition) {
  absl::StatusOr<Transition> voided = Capture(PaymentIn(v1::PAYMENT_STATUS_VOIDED), kLater);
  EXPECT_EQ(voided.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(voided.status().message(),
            "payment pay_1 is VOIDED; only an AUTHORIZED payment can be captured");
  EXPECT_EQ(Capture(PaymentIn(v1::PAYMENT_STATUS_REFUNDED), kLater).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(VoidTest, Authorized_VoidedRaisesVoided) {
  absl::StatusOr<Transition> voided = Void(PaymentIn(v1::PAYMENT_STATUS_AUTHORIZED), kLater);
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->payment.status(), v1::PAYMENT_STATUS_VOIDED);
  EXPECT_EQ(voided->event, PaymentEvent::kVoided);
  EXPECT_EQ(voided->payment.version(), 2);
}

TEST(VoidTest, Voided_UnchangedNoEvent) {
  absl::StatusOr<Transition> again = Void(PaymentIn(v1::PAYMENT_STATUS_VOIDED), kLater);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->changed());
}

TEST(VoidTest, Captured_FailedPreconditionPointsToRefund) {
  absl::StatusOr<Transition> voided = Void(PaymentIn(v1::PAYMENT_STATUS_CAPTURED), kLater);
  EXPECT_EQ(voided.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(voided.status().message()), HasSubstr("Refund"));
  EXPECT_EQ(Void(PaymentIn(v1::PAYMENT_STATUS_REFUNDED), kLater).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RefundTest, Captured_RefundedRaisesRefunded) {
  absl::StatusOr<Transition> refunded = Refund(PaymentIn(v1::PAYMENT_STATUS_CAPTURED), kLater);
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  EXPECT_EQ(refunded->payment.status(), v1::PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(refunded->event, PaymentEvent::kRefunded);
  EXPECT_EQ(refunded->payment.version(), 2);
}

TEST(RefundTest, Refunded_UnchangedNoEvent) {
  absl::StatusOr<Transition> again = Refund(PaymentIn(v1::PAYMENT_STATUS_REFUNDED), kLater);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(again->payment.status(), v1::PAYMENT_STATUS_REFUNDED);
}

TEST(RefundTest, VoidedOrAuthorized_FailedPrecondition) {
  absl::StatusOr<Transition> voided = Refund(PaymentIn(v1::PAYMENT_STATUS_VOIDED), kLater);
  EXPECT_EQ(voided.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(voided.status().message(),
            "payment pay_1 is VOIDED; only a CAPTURED payment can be refunded");
  EXPECT_EQ(Refund(PaymentIn(v1::PAYMENT_STATUS_AUTHORIZED), kLater).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EventPayloadTest, EachEvent_MatchingMessageWithPaymentFields) {
  const Payment payment = PaymentIn(v1::PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(EventPayload(PaymentEvent::kNone, payment), nullptr);
  EXPECT_EQ(EventPayload(PaymentEvent::kAuthorized, payment)->GetDescriptor()->name(),
            "PayAuthorized");
  auto approved = EventPayload(PaymentEvent::kApproved, payment);
  ASSERT_EQ(approved->GetDescriptor()->name(), "PayApproved");
  EXPECT_EQ(static_cast<v1::PayApproved&>(*approved).payment_id(), "pay_1");
  EXPECT_EQ(static_cast<v1::PayApproved&>(*approved).amount().amount_minor(), 1'200'000);
  auto voided = EventPayload(PaymentEvent::kVoided, payment);
  ASSERT_EQ(voided->GetDescriptor()->name(), "PayCancelled");
  EXPECT_EQ(static_cast<v1::PayCancelled&>(*voided).kind(), "voided");
  auto refunded = EventPayload(PaymentEvent::kRefunded, payment);
  EXPECT_EQ(static_cast<v1::PayCancelled&>(*refunded).kind(), "refunded");
  EXPECT_EQ(static_cast<v1::PayCancelled&>(*refunded).reference(), "usedcar/purchase/purchase-1");
}

}  // namespace
}  // namespace billing
