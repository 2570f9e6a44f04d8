#include "services/usedcar/dashboard/purchase_view.h"

#include <functional>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"

namespace usedcar::dashboard {
namespace {

using common::v1::EventEnvelope;
using google::protobuf::Timestamp;

absl::Time ToTime(const Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void SetTime(Timestamp* t, absl::Time time) {
  const int64_t nanos = absl::ToUnixNanos(time);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  t->set_seconds(seconds);
  t->set_nanos(static_cast<int32_t>(rest));
}

// The earliest occurrence wins, so that a field is the same whatever order
// the events that set it arrived in. A zero timestamp is an unset one (no
// event happens at the epoch).
void SetEarliest(Timestamp* t, absl::Time time) {
  const bool unset = t->seconds() == 0 && t->nanos() == 0;
  if (unset || time < ToTime(*t)) SetTime(t, time);
}

void Fill(std::string* field, const std::string& value) {
  if (field->empty()) *field = value;
}

template <typename Payload>
absl::StatusOr<Payload> Unpack(const EventEnvelope& event) {
  Payload payload;
  RETURN_IF_ERROR(mesh::messaging::UnpackPayload(event, &payload));
  return payload;
}

absl::Status MissingPurchase(const EventEnvelope& event) {
  return absl::InvalidArgumentError(absl::StrCat(event.event_type(), " event ", event.event_id(),
                                                 " has no purchase_id"));
}

ViewEvent Wrap(std::string purchase_id, const EventEnvelope& event, ViewPayload payload) {
  return ViewEvent{std::move(purchase_id), ToTime(event.occur_time()), std::move(payload)};
}

using Reader = std::function<absl::StatusOr<std::optional<ViewEvent>>(const EventEnvelope&)>;

// Events whose payload names the purchase directly.
template <typename Payload>
Reader ByPurchaseId() {
  return [](const EventEnvelope& event) -> absl::StatusOr<std::optional<ViewEvent>> {
    ASSIGN_OR_RETURN(Payload payload, Unpack<Payload>(event));
    if (payload.purchase_id().empty()) return MissingPurchase(event);
    std::string id = payload.purchase_id();
    return Wrap(std::move(id), event, std::move(payload));
  };
}

// Billing knows purchases only by reference; payments of other merchants,
// or of usedcar references that are not purchases, are not ours.
template <typename Payload>
Reader ByReference() {
  return [](const EventEnvelope& event) -> absl::StatusOr<std::optional<ViewEvent>> {
    ASSIGN_OR_RETURN(Payload payload, Unpack<Payload>(event));
    if (payload.merchant() != kMerchant) return std::nullopt;
    const absl::string_view reference = payload.reference();
    const absl::string_view prefix(kPurchaseReferencePrefix.data(),
                                   kPurchaseReferencePrefix.size());
    if (!absl::StartsWith(reference, prefix)) return std::nullopt;
    std::string id(reference.substr(prefix.size()));
    if (id.empty()) return MissingPurchase(event);
    return Wrap(std::move(id), event, std::move(payload));
  };
}

// A stock-in changes stock without a purchase; only consignments' changes count.
Reader StockChangeReader() {
  return [](const EventEnvelope& event) -> absl::StatusOr<std::optional<ViewEvent>> {
    ASSIGN_OR_RETURN(stock::v1::StockChanged payload, Unpack<stock::v1::StockChanged>(event));
    if (payload.purchase_id().empty()) return std::nullopt;
    std::string id = payload.purchase_id();
    return Wrap(std::move(id), event, std::move(payload));
  };
}

struct Entry {
  Subscription subscription;
  Reader read;
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry>* entries = new std::vector<Entry>{
      {{kPurchaseProducer, "Purchased"}, ByPurchaseId<purchase::v1::Purchased>()},
      {{kPurchaseProducer, "PurchaseCancelled"}, ByPurchaseId<purchase::v1::PurchaseCancelled>()},
      {{kBillingProducer, "PayApproved"}, ByReference<billing::v1::PayApproved>()},
      {{kBillingProducer, "PayCancelled"}, ByReference<billing::v1::PayCancelled>()},
      {{kConsignProducer, "Consigned"}, ByPurchaseId<consign::v1::Consigned>()},
      {{kConsignProducer, "ConsignCancelled"}, ByPurchaseId<consign::v1::ConsignCancelled>()},
      {{kConsignProducer, "ConsignDelivered"}, ByPurchaseId<consign::v1::ConsignDelivered>()},
      {{kStockProducer, "StockChanged"}, StockChangeReader()},
      {{kStockProducer, "StockShortage"}, ByPurchaseId<stock::v1::StockShortage>()},
  };
  return *entries;
}

// Applies one payload's own fields. Each overload touches only what its
// event knows.
class Folder {
 public:
  Folder(PurchaseView& view, absl::Time occur_time) : view_(view), at_(occur_time) {}

  void operator()(const purchase::v1::Purchased& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_payment_id(), e.payment_id());
    if (!view_.has_price() && e.has_price()) *view_.mutable_price() = e.price();
    RaisePurchase(v1::VIEW_PURCHASE_STATUS_PAID);
    SetEarliest(view_.mutable_purchased_time(), at_);
  }

  void operator()(const purchase::v1::PurchaseCancelled& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_payment_id(), e.payment_id());
    RaisePurchase(v1::VIEW_PURCHASE_STATUS_CANCELLED);
    // The purchase's own reason is the one the buyer should read.
    view_.set_cancel_reason(e.reason());
    SetEarliest(view_.mutable_cancelled_time(), at_);
  }

  void operator()(const billing::v1::PayApproved& e) {
    Fill(view_.mutable_payment_id(), e.payment_id());
    RaisePayment(v1::VIEW_PAYMENT_STATUS_CAPTURED);
    SetEarliest(view_.mutable_paid_time(), at_);
  }

  void operator()(const billing::v1::PayCancelled& e) {
    Fill(view_.mutable_payment_id(), e.payment_id());
    RaisePayment(e.kind() == "voided" ? v1::VIEW_PAYMENT_STATUS_VOIDED
                                      : v1::VIEW_PAYMENT_STATUS_REFUNDED);
    SetEarliest(view_.mutable_refunded_time(), at_);
  }

  void operator()(const consign::v1::Consigned& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_consignment_id(), e.consignment_id());
    RaiseConsign(v1::VIEW_CONSIGN_STATUS_CONSIGNED);
    SetEarliest(view_.mutable_consigned_time(), at_);
  }

  void operator()(const consign::v1::ConsignCancelled& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_consignment_id(), e.consignment_id());
    RaiseConsign(v1::VIEW_CONSIGN_STATUS_CANCELLED);
    // Until the purchase's own cancellation arrives, the consignment's reason
    // ("out of stock") is the best answer to "why".
    if (view_.purchase_status() != v1::VIEW_PURCHASE_STATUS_CANCELLED &&
        view_.cancel_reason().empty()) {
      view_.set_cancel_reason(e.reason());
    }
  }

  void operator()(const consign::v1::ConsignDelivered& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_consignment_id(), e.consignment_id());
    RaiseConsign(v1::VIEW_CONSIGN_STATUS_DELIVERED);
    SetEarliest(view_.mutable_delivered_time(), at_);
  }

  void operator()(const stock::v1::StockChanged& e) {
    Fill(view_.mutable_car_id(), e.car_id());
    Fill(view_.mutable_consignment_id(), e.consignment_id());
    if (e.delta() == 0) return;
    RaiseStock(e.delta() < 0 ? v1::VIEW_STOCK_STATUS_DECREASED : v1::VIEW_STOCK_STATUS_RETURNED,
               e.total());
  }

  void operator()(const stock::v1::StockShortage& e) {
    FillIdentity(e.customer_id(), e.car_id());
    Fill(view_.mutable_consignment_id(), e.consignment_id());
    RaiseStock(v1::VIEW_STOCK_STATUS_SHORTAGE, 0);
  }

 private:
  void FillIdentity(const std::string& customer_id, const std::string& car_id) {
    Fill(view_.mutable_customer_id(), customer_id);
    Fill(view_.mutable_car_id(), car_id);
  }

  void RaisePurchase(v1::ViewPurchaseStatus status) {
    if (status > view_.purchase_status()) view_.set_purchase_status(status);
  }
  void RaisePayment(v1::ViewPaymentStatus status) {
    if (status > view_.payment_status()) view_.set_payment_status(status);
  }
  void RaiseConsign(v1::ViewConsignStatus status) {
    if (status > view_.consign_status()) view_.set_consign_status(status);
  }

  // The stock fields describe one change, so they move together.
  void RaiseStock(v1::ViewStockStatus status, int64_t total) {
    const bool higher = status > view_.stock_status();
    const bool later_tie = status == view_.stock_status() &&
                           (!view_.has_stock_changed_time() ||
                            at_ > ToTime(view_.stock_changed_time()));
    if (!higher && !later_tie) return;
    view_.set_stock_status(status);
    view_.set_stock_total_after(total);
    SetTime(view_.mutable_stock_changed_time(), at_);
  }

  PurchaseView& view_;
  const absl::Time at_;
};

}  // namespace

const std::vector<Subscription>& Subscriptions() {
  static const std::vector<Subscription>* subscriptions = [] {
    auto* list = new std::vector<Subscription>();
    for (const Entry& entry : Entries()) list->push_back(entry.subscription);
    return list;
  }();
  return *subscriptions;
}

absl::StatusOr<std::optional<ViewEvent>> ReadViewEvent(const EventEnvelope& event) {
  for (const Entry& entry : Entries()) {
    if (event.producer() == entry.subscription.producer &&
        event.event_type() == entry.subscription.event_type) {
      return entry.read(event);
    }
  }
  return std::nullopt;
}

void ApplyViewEvent(const ViewEvent& event, absl::Time now, PurchaseView& view) {
  if (view.purchase_id().empty()) view.set_purchase_id(event.purchase_id);
  std::visit(Folder(view, event.occur_time), event.payload);
  if (!view.has_last_event_time() || event.occur_time > ToTime(view.last_event_time())) {
    SetTime(view.mutable_last_event_time(), event.occur_time);
  }
  view.set_version(view.version() + 1);
  SetTime(view.mutable_update_time(), now);
}

}  // namespace usedcar::dashboard
