#include "services/usedcar/purchase/purchase.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace usedcar::purchase {
namespace {

constexpr size_t kMaxIdLength = 128;

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

void Touch(Purchase& purchase, absl::Time now) {
  SetTime(purchase.mutable_update_time(), now);
  purchase.set_version(purchase.version() + 1);
}

absl::Status CheckId(absl::string_view field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be at most ", kMaxIdLength, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status WrongState(const Purchase& purchase, absl::string_view action) {
  return absl::FailedPreconditionError(absl::StrCat("purchase ", purchase.purchase_id(), " is ",
                                                    std::string(StatusName(purchase.status())), "; cannot ",
                                                    action));
}

}  // namespace

std::string_view StatusName(PurchaseStatus status) {
  switch (status) {
    case v1::PURCHASE_STATUS_PENDING: return "PENDING";
    case v1::PURCHASE_STATUS_PAID: return "PAID";
    case v1::PURCHASE_STATUS_CANCELLING: return "CANCELLING";
    case v1::PURCHASE_STATUS_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
  }
}

absl::Status ValidateRequest(const v1::RequestPurchaseRequest& request) {
  if (absl::Status s = CheckId("request_id", request.request_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("customer_id", request.customer_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("car_id", request.car_id()); !s.ok()) return s;
  if (!request.has_price()) return absl::InvalidArgumentError("price is required");
  const std::string& currency = request.price().currency_code();
  if (currency.size() != 3 || !absl::ascii_isupper(currency[0]) ||
      !absl::ascii_isupper(currency[1]) || !absl::ascii_isupper(currency[2])) {
    return absl::InvalidArgumentError(
        "price.currency_code must be a 3-letter ISO 4217 code such as KRW");
  }
  if (request.price().amount_minor() <= 0) {
    return absl::InvalidArgumentError("price.amount_minor must be positive");
  }
  return absl::OkStatus();
}

bool SameRequest(const Purchase& purchase, const v1::RequestPurchaseRequest& request) {
  return purchase.customer_id() == request.customer_id() && purchase.car_id() == request.car_id() &&
         purchase.price().currency_code() == request.price().currency_code() &&
         purchase.price().amount_minor() == request.price().amount_minor();
}

Purchase NewPending(const v1::RequestPurchaseRequest& request, std::string purchase_id,
                    absl::Time now) {
  Purchase purchase;
  purchase.set_purchase_id(std::move(purchase_id));
  purchase.set_request_id(request.request_id());
  purchase.set_customer_id(request.customer_id());
  purchase.set_car_id(request.car_id());
  *purchase.mutable_price() = request.price();
  purchase.set_status(v1::PURCHASE_STATUS_PENDING);
  SetTime(purchase.mutable_create_time(), now);
  SetTime(purchase.mutable_update_time(), now);
  purchase.set_version(1);
  return purchase;
}

std::string Reference(const Purchase& purchase) {
  return absl::StrCat(kMerchant, "/purchase/", purchase.purchase_id());
}

std::string PaymentKey(const Purchase& purchase) { return purchase.purchase_id(); }

std::string RefundKey(const Purchase& purchase) {
  return absl::StrCat(purchase.purchase_id(), "/refund");
}

absl::StatusOr<std::optional<v1::Purchased>> MarkPaid(Purchase& purchase,
                                                      std::string_view payment_id,
                                                      absl::Time now) {
  if (purchase.status() != v1::PURCHASE_STATUS_PENDING) {
    if (purchase.payment_id() == payment_id) return std::nullopt;
    return WrongState(purchase, "mark it paid");
  }
  if (payment_id.empty()) return absl::InvalidArgumentError("payment_id is required");
  purchase.set_status(v1::PURCHASE_STATUS_PAID);
  purchase.set_payment_id(std::string(payment_id));
  SetTime(purchase.mutable_paid_time(), now);
  Touch(purchase, now);
  v1::Purchased event;
  event.set_purchase_id(purchase.purchase_id());
  event.set_customer_id(purchase.customer_id());
  event.set_car_id(purchase.car_id());
  *event.mutable_price() = purchase.price();
  event.set_payment_id(purchase.payment_id());
  return event;
}

absl::StatusOr<bool> BeginCancel(Purchase& purchase, std::string_view reason, absl::Time now) {
  switch (purchase.status()) {
    case v1::PURCHASE_STATUS_PAID:
      purchase.set_status(v1::PURCHASE_STATUS_CANCELLING);
      purchase.set_cancel_reason(std::string(reason));
      Touch(purchase, now);
      return true;
    case v1::PURCHASE_STATUS_CANCELLING:
    case v1::PURCHASE_STATUS_CANCELLED:
      return false;
    case v1::PURCHASE_STATUS_PENDING:
      return absl::FailedPreconditionError(absl::StrCat(
          "purchase ", purchase.purchase_id(), " is PENDING payment; it can be cancelled once paid"));
    default:
      return WrongState(purchase, "cancel it");
  }
}

absl::StatusOr<std::optional<v1::PurchaseCancelled>> MarkCancelled(Purchase& purchase,
                                                                   absl::Time now) {
  if (purchase.status() == v1::PURCHASE_STATUS_CANCELLED) return std::nullopt;
  if (purchase.status() != v1::PURCHASE_STATUS_CANCELLING) {
    return WrongState(purchase, "mark it cancelled");
  }
  purchase.set_status(v1::PURCHASE_STATUS_CANCELLED);
  SetTime(purchase.mutable_cancel_time(), now);
  Touch(purchase, now);
  v1::PurchaseCancelled event;
  event.set_purchase_id(purchase.purchase_id());
  event.set_customer_id(purchase.customer_id());
  event.set_car_id(purchase.car_id());
  event.set_payment_id(purchase.payment_id());
  event.set_reason(purchase.cancel_reason());
  return event;
}

}  // namespace usedcar::purchase
