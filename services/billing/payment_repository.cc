#include "services/billing/payment_repository.h"

#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"
#include "libs/storage/ids.h"

namespace billing {
namespace {

using mesh::storage::kState;

constexpr std::string_view kKeys = "keys";
constexpr std::string_view kByRef = "by_ref";
constexpr std::string_view kByPayer = "by_payer";

constexpr std::string_view kPayOp = "pay";
constexpr std::string_view kCaptureOp = "capture";
constexpr std::string_view kRefundOp = "refund";

// The fingerprint of a key that Cancel voided before any Pay used it: every
// later Pay or Authorize with the key gets the voided payment back.
constexpr std::string_view kVoidedUnpaid = "cancel";

// Length-prefixed segments keep composite keys prefix-free: the rows of
// merchant "a" never share a prefix with those of merchant "a/b".
std::string Segment(const std::string& part) { return absl::StrCat(part.size(), ":", part); }

// Splits one segment off the front of `in`.
bool ReadSegment(std::string_view& in, std::string& out) {
  const size_t colon = in.find(':');
  uint64_t size = 0;
  if (colon == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(in.data(), colon), &size) ||
      size > in.size() - colon - 1) {
    return false;
  }
  out.assign(in.substr(colon + 1, size));
  in.remove_prefix(colon + 1 + size);
  return true;
}

std::string KeyRow(std::string_view op, const std::string& idempotency_key) {
  return absl::StrCat(std::string(op), "/", idempotency_key);
}

std::string ByRefKey(const Payment& payment) {
  return absl::StrCat(Segment(payment.merchant()), Segment(payment.reference()),
                      payment.payment_id());
}

std::string ByPayerKey(const Payment& payment) {
  return absl::StrCat(Segment(payment.payer_id()), payment.payment_id());
}

// FNV-1a: stable across processes and builds, unlike std::hash. It only has to
// catch tokens that were mangled or made for other filters, not forgeries.
uint64_t Checksum(std::string_view data) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string TokenChecksum(std::string_view cf, const std::string& prefix, const ListQuery& query,
                          std::string_view last_key) {
  const std::string material =
      absl::StrCat("billing.page.v1", Segment(std::string(cf)), Segment(prefix),
                   Segment(query.payer_id), std::string(last_key));
  uint64_t sum = Checksum(material);
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(sum & 0xff);
    sum >>= 8;
  }
  return bytes;
}

std::string EncodeToken(std::string_view cf, const std::string& prefix, const ListQuery& query,
                        const std::string& last_key) {
  std::string token;
  absl::WebSafeBase64Escape(last_key + TokenChecksum(cf, prefix, query, last_key), &token);
  return token;
}

absl::StatusOr<std::string> DecodeToken(std::string_view cf, const std::string& prefix,
                                        const ListQuery& query) {
  const absl::Status invalid = absl::InvalidArgumentError(
      "page.page_token is not a token this server issued for these filters");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(query.page_token, &raw) || raw.size() <= 8) return invalid;
  std::string last_key = raw.substr(0, raw.size() - 8);
  if (raw.substr(raw.size() - 8) != TokenChecksum(cf, prefix, query, last_key) ||
      last_key.compare(0, prefix.size(), prefix) != 0) {
    return invalid;
  }
  return last_key;
}

}  // namespace

std::vector<std::string> PaymentRepository::ColumnFamilies() {
  return {std::string(kKeys), std::string(kByRef), std::string(kByPayer)};
}

PaymentRepository::PaymentRepository(mesh::storage::Store& store,
                                     const mesh::resilience::Clock& clock)
    : store_(store), clock_(clock) {}

absl::StatusOr<Payment> PaymentRepository::Open(const Charge& charge, ChargeMode mode,
                                                const CommandContext& context) {
  RETURN_IF_ERROR(ValidateCharge(charge));
  const std::string key_row = KeyRow(kPayOp, charge.idempotency_key);
  const std::string fingerprint = Fingerprint(charge, mode);
  std::unique_lock<std::mutex> lock = payment_locks_.Lock(charge.idempotency_key);
  ASSIGN_OR_RETURN(std::optional<KeyRecord> known, FindKey(key_row));
  if (known.has_value()) {
    if (known->fingerprint != fingerprint && known->fingerprint != kVoidedUnpaid) {
      return absl::AlreadyExistsError(absl::StrCat("idempotency_key ", charge.idempotency_key,
                                                   " was used for a different request"));
    }
    return Load(known->payment_id);
  }
  const absl::Time now = clock_.Now();
  Transition opened = OpenPayment(charge, mode, mesh::storage::NewId("pay_"), now);
  RETURN_IF_ERROR(Save(opened, /*is_new=*/true, key_row,
                       KeyRecord{opened.payment.payment_id(), fingerprint}, charge.idempotency_key,
                       context, now));
  return std::move(opened.payment);
}

absl::StatusOr<Payment> PaymentRepository::Capture(const std::string& idempotency_key,
                                                   const std::string& payment_id,
                                                   const CommandContext& context) {
  return Act(kCaptureOp, idempotency_key, payment_id, &billing::Capture, context);
}

absl::StatusOr<Payment> PaymentRepository::Refund(const std::string& idempotency_key,
                                                  const std::string& payment_id,
                                                  const CommandContext& context) {
  return Act(kRefundOp, idempotency_key, payment_id, &billing::Refund, context);
}

absl::StatusOr<Payment> PaymentRepository::Act(std::string_view op,
                                               const std::string& idempotency_key,
                                               const std::string& payment_id, Step step,
                                               const CommandContext& context) {
  RETURN_IF_ERROR(ValidateKey("idempotency_key", idempotency_key));
  RETURN_IF_ERROR(ValidateKey("payment_id", payment_id));
  const std::string key_row = KeyRow(op, idempotency_key);
  std::unique_lock<std::mutex> op_lock = op_locks_.Lock(key_row);
  ASSIGN_OR_RETURN(std::optional<KeyRecord> known, FindKey(key_row));
  if (known.has_value()) {
    if (known->payment_id != payment_id) {
      return absl::AlreadyExistsError(
          absl::StrCat("idempotency_key ", idempotency_key, " was used for a different request"));
    }
    return Load(payment_id);
  }
  // Every command on a payment locks the key that created it, which Cancel
  // knows without loading anything.
  ASSIGN_OR_RETURN(Payment found, Load(payment_id));
  std::unique_lock<std::mutex> payment_lock = payment_locks_.Lock(found.idempotency_key());
  ASSIGN_OR_RETURN(Payment current, Load(payment_id));
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(Transition transition, step(current, now));
  RETURN_IF_ERROR(Save(transition, /*is_new=*/false, key_row, KeyRecord{payment_id, payment_id},
                       idempotency_key, context, now));
  return std::move(transition.payment);
}

absl::StatusOr<Payment> PaymentRepository::Cancel(const std::string& idempotency_key,
                                                  const std::string& merchant,
                                                  const std::string& reference,
                                                  const CommandContext& context) {
  RETURN_IF_ERROR(ValidateKey("idempotency_key", idempotency_key));
  const std::string key_row = KeyRow(kPayOp, idempotency_key);
  std::unique_lock<std::mutex> lock = payment_locks_.Lock(idempotency_key);
  ASSIGN_OR_RETURN(std::optional<KeyRecord> known, FindKey(key_row));
  const absl::Time now = clock_.Now();
  if (known.has_value()) {
    ASSIGN_OR_RETURN(Payment current, Load(known->payment_id));
    ASSIGN_OR_RETURN(Transition voided, Void(current, now));
    RETURN_IF_ERROR(
        Save(voided, /*is_new=*/false, /*key_row=*/"", KeyRecord{}, idempotency_key, context, now));
    return std::move(voided.payment);
  }
  RETURN_IF_ERROR(ValidateLabels(merchant, reference, /*payer_id=*/""));
  Transition voided =
      VoidUnpaid(idempotency_key, merchant, reference, mesh::storage::NewId("pay_"), now);
  RETURN_IF_ERROR(Save(voided, /*is_new=*/true, key_row,
                       KeyRecord{voided.payment.payment_id(), std::string(kVoidedUnpaid)},
                       idempotency_key, context, now));
  return std::move(voided.payment);
}

absl::StatusOr<Payment> PaymentRepository::Get(const std::string& payment_id) const {
  RETURN_IF_ERROR(ValidateKey("payment_id", payment_id));
  return Load(payment_id);
}

absl::StatusOr<Payment> PaymentRepository::GetByKey(const std::string& idempotency_key) const {
  RETURN_IF_ERROR(ValidateKey("idempotency_key", idempotency_key));
  ASSIGN_OR_RETURN(std::optional<KeyRecord> known, FindKey(KeyRow(kPayOp, idempotency_key)));
  if (!known.has_value()) {
    return absl::NotFoundError(absl::StrCat("no payment with idempotency_key ", idempotency_key));
  }
  return Load(known->payment_id);
}

absl::StatusOr<ListPage> PaymentRepository::List(const ListQuery& query) const {
  if (query.page_size < 1 || query.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size must be between 1 and ", kMaxPageSize));
  }
  if (!query.reference.empty() && query.merchant.empty()) {
    return absl::InvalidArgumentError("merchant is required to filter by reference");
  }
  // The narrowest index that answers the filters; the payer filter is applied
  // on top of by_ref when a merchant is given as well.
  std::string_view cf = kState;
  std::string prefix;
  bool filter_payer = false;
  if (!query.merchant.empty()) {
    cf = kByRef;
    prefix = Segment(query.merchant);
    if (!query.reference.empty()) prefix += Segment(query.reference);
    filter_payer = !query.payer_id.empty();
  } else if (!query.payer_id.empty()) {
    cf = kByPayer;
    prefix = Segment(query.payer_id);
  }
  std::string start_after;
  if (!query.page_token.empty()) {
    ASSIGN_OR_RETURN(start_after, DecodeToken(cf, prefix, query));
  }

  ListPage page;
  std::string last_key;
  bool more = false;
  absl::Status failure;
  RETURN_IF_ERROR(
      store_.Scan(cf, prefix, start_after, [&](std::string_view key, std::string_view value) {
        Payment payment;
        if (cf == kState) {
          if (!payment.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            failure =
                absl::DataLossError(absl::StrCat("payment ", std::string(key), " does not parse"));
            return false;
          }
        } else {
          absl::StatusOr<Payment> loaded = Load(std::string(value));
          if (!loaded.ok()) {
            failure = loaded.status();
            return false;
          }
          payment = *std::move(loaded);
        }
        if (filter_payer && payment.payer_id() != query.payer_id) return true;
        if (static_cast<int>(page.payments.size()) == query.page_size) {
          more = true;
          return false;
        }
        page.payments.push_back(std::move(payment));
        last_key.assign(key);
        return true;
      }));
  RETURN_IF_ERROR(failure);
  if (more) page.next_page_token = EncodeToken(cf, prefix, query, last_key);
  return page;
}

absl::StatusOr<std::optional<PaymentRepository::KeyRecord>> PaymentRepository::FindKey(
    const std::string& key_row) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_.Get(kKeys, key_row));
  if (!row.has_value()) return std::optional<KeyRecord>();
  std::string_view rest = *row;
  KeyRecord record;
  if (!ReadSegment(rest, record.payment_id)) {
    return absl::DataLossError(absl::StrCat("idempotency row ", key_row, " does not parse"));
  }
  record.fingerprint.assign(rest);
  return std::optional<KeyRecord>(std::move(record));
}

absl::StatusOr<Payment> PaymentRepository::Load(const std::string& payment_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_.Get(kState, payment_id));
  if (!row.has_value()) {
    return absl::NotFoundError(absl::StrCat("no payment with payment_id ", payment_id));
  }
  Payment payment;
  if (!payment.ParseFromString(*row)) {
    return absl::DataLossError(absl::StrCat("payment ", payment_id, " does not parse"));
  }
  return payment;
}

absl::Status PaymentRepository::Save(const Transition& transition, bool is_new,
                                     const std::string& key_row, const KeyRecord& record,
                                     const std::string& causation_id, const CommandContext& context,
                                     absl::Time now) {
  const Payment& payment = transition.payment;
  mesh::storage::UnitOfWork work;
  if (is_new || transition.changed()) {
    work.Put(kState, payment.payment_id(), payment.SerializeAsString());
  }
  if (is_new) {
    work.Put(kByRef, ByRefKey(payment), payment.payment_id());
    if (!payment.payer_id().empty()) work.Put(kByPayer, ByPayerKey(payment), payment.payment_id());
  }
  if (!key_row.empty()) {
    work.Put(kKeys, key_row, absl::StrCat(Segment(record.payment_id), record.fingerprint));
  }
  if (std::unique_ptr<google::protobuf::Message> payload =
          EventPayload(transition.event, payment)) {
    mesh::messaging::EventContext event_context;
    event_context.producer = kProducer;
    event_context.aggregate_type = kAggregateType;
    event_context.aggregate_id = payment.payment_id();
    event_context.aggregate_version = payment.version();
    event_context.correlation_id =
        payment.reference().empty() ? payment.payment_id() : payment.reference();
    event_context.causation_id = causation_id;
    event_context.traceparent = context.traceparent;
    work.AddEvent(mesh::messaging::MakeEvent(event_context, *payload, now));
  }
  if (work.empty()) return absl::OkStatus();
  return store_.Commit(work);
}

}  // namespace billing
