// The Payment aggregate and its state machine (the seeds' 결제).
//
//   Authorize ─▶ AUTHORIZED ─Capture─▶ CAPTURED ─Refund─▶ REFUNDED
//                    │                    ▲
//                  Cancel                Pay (authorises and captures at once)
//                    ▼
//                  VOIDED
//
// A Cancel on an idempotency key that has no payment yet records a VOIDED
// payment of amount 0 under that key, so a late Pay with it never charges.
//
// Pure domain logic: no gRPC, no storage. A transition either returns the
// changed payment with its version bumped and the event it raises, or returns
// the payment unchanged (the command was already satisfied), or fails and
// changes nothing. Every function is thread-safe (none keeps state).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing/v1/billing.pb.h"
#include "common/v1/money.pb.h"
#include "google/protobuf/message.h"

namespace billing {

using v1::Payment;
using v1::PaymentStatus;

// What Pay and Authorize ask for; their requests carry the same fields.
struct Charge {
  std::string idempotency_key;
  std::string merchant;
  std::string reference;
  std::string payer_id;
  common::v1::Money amount;
};

// Pay takes the money at once; Authorize only reserves it.
enum class ChargeMode { kPay, kAuthorize };

// The domain event a transition raises (billing_events.proto).
enum class PaymentEvent {
  kNone,        // nothing changed, or nothing a subscriber needs to hear about
  kAuthorized,  // PayAuthorized
  kApproved,    // PayApproved: money taken
  kVoided,      // PayCancelled{kind: "voided"}: an authorisation released
  kRefunded,    // PayCancelled{kind: "refunded"}: money returned
};

struct Transition {
  Payment payment;  // the payment after the command
  PaymentEvent event = PaymentEvent::kNone;
  bool changed() const { return event != PaymentEvent::kNone; }
};

// Limits on identifiers and labels, in bytes.
inline constexpr size_t kMaxKeyBytes = 256;
inline constexpr size_t kMaxLabelBytes = 512;

// INVALID_ARGUMENT naming the field: "<field> is required" when empty,
// "<field> must be at most 256 bytes" when too long.
absl::Status ValidateKey(std::string_view field, const std::string& value);

// INVALID_ARGUMENT naming the first bad field: ValidateKey("idempotency_key"),
// ValidateLabels, then amount.amount_minor must be positive (a missing amount
// is 0) and amount.currency_code must be three upper-case letters.
absl::Status ValidateCharge(const Charge& charge);

// INVALID_ARGUMENT naming the field: merchant is required; merchant, reference
// and payer_id must each be at most 512 bytes.
absl::Status ValidateLabels(const std::string& merchant, const std::string& reference,
                            const std::string& payer_id);

// A canonical encoding of everything a charge asks for, idempotency key
// excluded. Two charges are the same request exactly when their fingerprints
// are equal; Pay and Authorize with the same arguments differ.
std::string Fingerprint(const Charge& charge, ChargeMode mode);

// The payment a validated charge creates: CAPTURED for kPay (raises
// kApproved), AUTHORIZED for kAuthorize (raises kAuthorized); version 1.
Transition OpenPayment(const Charge& charge, ChargeMode mode, std::string payment_id,
                       absl::Time now);

// The VOIDED, zero-amount payment a Cancel records under a key nobody has paid
// with. Raises no event: no money was ever reserved, so no subscriber has
// anything to undo.
Transition VoidUnpaid(const std::string& idempotency_key, const std::string& merchant,
                      const std::string& reference, std::string payment_id, absl::Time now);

// AUTHORIZED → CAPTURED (kApproved). A CAPTURED payment is returned unchanged:
// capturing twice cannot take the money twice. FAILED_PRECONDITION from
// VOIDED or REFUNDED.
absl::StatusOr<Transition> Capture(const Payment& payment, absl::Time now);

// AUTHORIZED → VOIDED (kVoided). A VOIDED payment is returned unchanged.
// FAILED_PRECONDITION from CAPTURED (captured money goes back with Refund) and
// from REFUNDED.
absl::StatusOr<Transition> Void(const Payment& payment, absl::Time now);

// CAPTURED → REFUNDED (kRefunded). A REFUNDED payment is returned unchanged.
// FAILED_PRECONDITION from AUTHORIZED (cancel it instead) and from VOIDED.
absl::StatusOr<Transition> Refund(const Payment& payment, absl::Time now);

// The payload of the event for the outbox; nullptr for kNone.
std::unique_ptr<google::protobuf::Message> EventPayload(PaymentEvent event, const Payment& payment);

// "AUTHORIZED", "CAPTURED", "VOIDED", "REFUNDED" or "UNSPECIFIED".
std::string_view StatusName(PaymentStatus status);

}  // namespace billing
