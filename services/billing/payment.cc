#include "services/billing/payment.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "billing/v1/billing_events.pb.h"

namespace billing {
namespace {

void SetTime(absl::Time now, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(now);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  // Timestamp nanos must be non-negative, also before the epoch.
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::Status TooLong(std::string_view field, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be at most ", limit, " bytes"));
}

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Length-prefixed, so no choice of field contents can make two different
// requests encode alike.
void AppendField(std::string& out, const std::string& field) {
  absl::StrAppend(&out, field.size(), ":", field);
}

Transition Changed(Payment payment, PaymentStatus status, PaymentEvent event, absl::Time now) {
  payment.set_status(status);
  payment.set_version(payment.version() + 1);
  SetTime(now, payment.mutable_update_time());
  return Transition{std::move(payment), event};
}

Transition Unchanged(const Payment& payment) { return Transition{payment, PaymentEvent::kNone}; }

absl::Status Illegal(const Payment& payment, std::string_view rule) {
  return absl::FailedPreconditionError(absl::StrCat("payment ", payment.payment_id(), " is ",
                                                    std::string(StatusName(payment.status())), "; ",
                                                    std::string(rule)));
}

template <typename Event>
std::unique_ptr<Event> FillEvent(const Payment& payment) {
  auto event = std::make_unique<Event>();
  event->set_payment_id(payment.payment_id());
  event->set_merchant(payment.merchant());
  event->set_reference(payment.reference());
  event->set_payer_id(payment.payer_id());
  *event->mutable_amount() = payment.amount();
  return event;
}

}  // namespace

absl::Status ValidateKey(std::string_view field, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), " is required"));
  }
  if (value.size() > kMaxKeyBytes) return TooLong(field, kMaxKeyBytes);
  return absl::OkStatus();
}

absl::Status ValidateLabels(const std::string& merchant, const std::string& reference,
                            const std::string& payer_id) {
  if (merchant.empty()) return absl::InvalidArgumentError("merchant is required");
  if (merchant.size() > kMaxLabelBytes) return TooLong("merchant", kMaxLabelBytes);
  if (reference.size() > kMaxLabelBytes) return TooLong("reference", kMaxLabelBytes);
  if (payer_id.size() > kMaxLabelBytes) return TooLong("payer_id", kMaxLabelBytes);
  return absl::OkStatus();
}

absl::Status ValidateCharge(const Charge& charge) {
  if (absl::Status s = ValidateKey("idempotency_key", charge.idempotency_key); !s.ok()) return s;
  if (absl::Status s = ValidateLabels(charge.merchant, charge.reference, charge.payer_id);
      !s.ok()) {
    return s;
  }
  if (charge.amount.amount_minor() <= 0) {
    return absl::InvalidArgumentError("amount.amount_minor must be positive");
  }
  if (!IsCurrencyCode(charge.amount.currency_code())) {
    return absl::InvalidArgumentError(
        "amount.currency_code must be a 3-letter ISO 4217 code, for example \"KRW\"");
  }
  return absl::OkStatus();
}

std::string Fingerprint(const Charge& charge, ChargeMode mode) {
  std::string out(mode == ChargeMode::kPay ? "pay|" : "authorize|");
  AppendField(out, charge.merchant);
  AppendField(out, charge.reference);
  AppendField(out, charge.payer_id);
  AppendField(out, charge.amount.currency_code());
  absl::StrAppend(&out, charge.amount.amount_minor());
  return out;
}

Transition OpenPayment(const Charge& charge, ChargeMode mode, std::string payment_id,
                       absl::Time now) {
  Payment payment;
  payment.set_payment_id(std::move(payment_id));
  payment.set_idempotency_key(charge.idempotency_key);
  payment.set_merchant(charge.merchant);
  payment.set_reference(charge.reference);
  payment.set_payer_id(charge.payer_id);
  *payment.mutable_amount() = charge.amount;
  payment.set_version(1);
  SetTime(now, payment.mutable_create_time());
  *payment.mutable_update_time() = payment.create_time();
  if (mode == ChargeMode::kPay) {
    payment.set_status(v1::PAYMENT_STATUS_CAPTURED);
    return Transition{std::move(payment), PaymentEvent::kApproved};
  }
  payment.set_status(v1::PAYMENT_STATUS_AUTHORIZED);
  return Transition{std::move(payment), PaymentEvent::kAuthorized};
}

Transition VoidUnpaid(const std::string& idempotency_key, const std::string& merchant,
                      const std::string& reference, std::string payment_id, absl::Time now) {
  Payment payment;
  payment.set_payment_id(std::move(payment_id));
  payment.set_idempotency_key(idempotency_key);
  payment.set_merchant(merchant);
  payment.set_reference(reference);
  payment.set_status(v1::PAYMENT_STATUS_VOIDED);
  payment.set_version(1);
  SetTime(now, payment.mutable_create_time());
  *payment.mutable_update_time() = payment.create_time();
  return Transition{std::move(payment), PaymentEvent::kNone};
}

absl::StatusOr<Transition> Capture(const Payment& payment, absl::Time now) {
  switch (payment.status()) {
    case v1::PAYMENT_STATUS_AUTHORIZED:
      return Changed(payment, v1::PAYMENT_STATUS_CAPTURED, PaymentEvent::kApproved, now);
    case v1::PAYMENT_STATUS_CAPTURED:
      return Unchanged(payment);
    default:
      return Illegal(payment, "only an AUTHORIZED payment can be captured");
  }
}

absl::StatusOr<Transition> Void(const Payment& payment, absl::Time now) {
  switch (payment.status()) {
    case v1::PAYMENT_STATUS_AUTHORIZED:
      return Changed(payment, v1::PAYMENT_STATUS_VOIDED, PaymentEvent::kVoided, now);
    case v1::PAYMENT_STATUS_VOIDED:
      return Unchanged(payment);
    case v1::PAYMENT_STATUS_CAPTURED:
      return Illegal(payment, "captured money is returned with Refund, not Cancel");
    default:
      return Illegal(payment, "only an AUTHORIZED payment can be cancelled");
  }
}

absl::StatusOr<Transition> Refund(const Payment& payment, absl::Time now) {
  switch (payment.status()) {
    case v1::PAYMENT_STATUS_CAPTURED:
      return Changed(payment, v1::PAYMENT_STATUS_REFUNDED, PaymentEvent::kRefunded, now);
    case v1::PAYMENT_STATUS_REFUNDED:
      return Unchanged(payment);
    case v1::PAYMENT_STATUS_AUTHORIZED:
      return Illegal(payment,
                     "only a CAPTURED payment can be refunded; cancel an authorisation instead");
    default:
      return Illegal(payment, "only a CAPTURED payment can be refunded");
  }
}

std::unique_ptr<google::protobuf::Message> EventPayload(PaymentEvent event,
                                                        const Payment& payment) {
  switch (event) {
    case PaymentEvent::kNone:
      return nullptr;
    case PaymentEvent::kAuthorized:
      return FillEvent<v1::PayAuthorized>(payment);
    case PaymentEvent::kApproved:
      return FillEvent<v1::PayApproved>(payment);
    case PaymentEvent::kVoided:
    case PaymentEvent::kRefunded: {
      auto cancelled = FillEvent<v1::PayCancelled>(payment);
      cancelled->set_kind(event == PaymentEvent::kVoided ? "voided" : "refunded");
      return cancelled;
    }
  }
  return nullptr;
}

std::string_view StatusName(PaymentStatus status) {
  switch (status) {
    case v1::PAYMENT_STATUS_AUTHORIZED:
      return "AUTHORIZED";
    case v1::PAYMENT_STATUS_CAPTURED:
      return "CAPTURED";
    case v1::PAYMENT_STATUS_VOIDED:
      return "VOIDED";
    case v1::PAYMENT_STATUS_REFUNDED:
      return "REFUNDED";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace billing
