// Payments in the service's own RocksDB, with their idempotency keys, list
// indexes and outbox events.
//
// Column families (besides the store's state / outbox / inbox):
//   state     payment_id → Payment
//   keys      "<op>/<idempotency_key>" → the payment it touched and a
//             fingerprint of the request; op is "pay" for Pay, Authorize and
//             Cancel (the keys that name a payment), "capture" or "refund"
//   by_ref    merchant, reference, payment_id → payment_id
//   by_payer  payer_id, payment_id → payment_id
//
// Every command loads, runs the pure transition from payment.h and commits the
// payment, its key, its index rows and its event (PayAuthorized, PayApproved or
// PayCancelled; producer "billing", aggregate "Payment", correlation id = the
// payment's reference) in ONE unit of work (DESIGN §3.1). Commands on the
// same idempotency key or payment are serialised, so concurrent duplicates
// charge once. A command that fails writes nothing.
//
// Thread-safe. The store and clock are not owned and must outlive this object.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/resilience/clock.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/billing/payment.h"

namespace billing {

inline constexpr char kProducer[] = "billing";
inline constexpr char kAggregateType[] = "Payment";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// Where a command came from, for the events it raises.
struct CommandContext {
  // W3C trace context of the request; a fresh one is made when empty.
  std::string traceparent;
};

struct ListQuery {
  // Filters; empty means any. reference needs merchant.
  std::string merchant;
  std::string reference;
  std::string payer_id;
  // 1..kMaxPageSize; the caller resolves the default.
  int page_size = 50;
  // A next_page_token from an earlier page with the same filters, or empty.
  std::string page_token;
};

struct ListPage {
  std::vector<Payment> payments;
  // Empty on the last page.
  std::string next_page_token;
};

class PaymentRepository {
 public:
  // The column families to pass to mesh::storage::Store::Open.
  static std::vector<std::string> ColumnFamilies();

  PaymentRepository(mesh::storage::Store& store, const mesh::resilience::Clock& clock);

  PaymentRepository(const PaymentRepository&) = delete;
  PaymentRepository& operator=(const PaymentRepository&) = delete;

  // Pay (kPay) or Authorize (kAuthorize). With a new key, creates the payment.
  // With a known key and the same arguments, returns that payment as it is
  // now, whatever its status, and charges nothing. A key that a Cancel voided
  // returns the VOIDED payment. INVALID_ARGUMENT from ValidateCharge;
  // ALREADY_EXISTS "idempotency_key X was used for a different request".
  absl::StatusOr<Payment> Open(const Charge& charge, ChargeMode mode,
                               const CommandContext& context);

  // Capture or Refund the payment. A repeat with the same idempotency key
  // returns the payment as it is now. INVALID_ARGUMENT for an empty
  // idempotency_key or payment_id; ALREADY_EXISTS when the key was used for
  // another payment; NOT_FOUND for an unknown payment; FAILED_PRECONDITION
  // from the state machine.
  absl::StatusOr<Payment> Capture(const std::string& idempotency_key, const std::string& payment_id,
                                  const CommandContext& context);
  absl::StatusOr<Payment> Refund(const std::string& idempotency_key, const std::string& payment_id,
                                 const CommandContext& context);

  // Voids the payment created with idempotency_key. When there is none,
  // records a VOIDED payment of amount 0 for merchant and reference under the
  // key (INVALID_ARGUMENT "merchant is required" when merchant is empty).
  // FAILED_PRECONDITION for a CAPTURED or REFUNDED payment.
  absl::StatusOr<Payment> Cancel(const std::string& idempotency_key, const std::string& merchant,
                                 const std::string& reference, const CommandContext& context);

  // NOT_FOUND "no payment with payment_id X".
  absl::StatusOr<Payment> Get(const std::string& payment_id) const;
  // The payment created (or voided by Cancel) with the key.
  // NOT_FOUND "no payment with idempotency_key X".
  absl::StatusOr<Payment> GetByKey(const std::string& idempotency_key) const;

  // One page of payments matching every filter, in a stable order; each
  // payment appears on exactly one page while the set does not change.
  // INVALID_ARGUMENT for a reference without a merchant, a page_size out of
  // range, or a page_token this repository did not issue for these filters.
  absl::StatusOr<ListPage> List(const ListQuery& query) const;

 private:
  struct KeyRecord {
    std::string payment_id;
    std::string fingerprint;
  };
  using Step = absl::StatusOr<Transition> (*)(const Payment&, absl::Time);

  absl::StatusOr<std::optional<KeyRecord>> FindKey(const std::string& key_row) const;
  absl::StatusOr<Payment> Load(const std::string& payment_id) const;
  // Capture and Refund: runs step on the payment under the op's key.
  absl::StatusOr<Payment> Act(std::string_view op, const std::string& idempotency_key,
                              const std::string& payment_id, Step step,
                              const CommandContext& context);
  // Commits the payment when new or changed (with its index rows when new),
  // the key row unless key_row is empty, and the transition's event.
  absl::Status Save(const Transition& transition, bool is_new, const std::string& key_row,
                    const KeyRecord& record, const std::string& causation_id,
                    const CommandContext& context, absl::Time now);

  mesh::storage::Store& store_;
  const mesh::resilience::Clock& clock_;
  // Lock order: an op key (capture/refund) before a payment key, never two of
  // one kind, so no two commands can wait on each other.
  mesh::storage::KeyLock op_locks_;
  mesh::storage::KeyLock payment_locks_;
};

}  // namespace billing
