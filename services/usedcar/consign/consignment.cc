#include "services/usedcar/consign/consignment.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace usedcar::consign {
namespace {

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

void Touch(Consignment& consignment, absl::Time now) {
  SetTime(consignment.mutable_update_time(), now);
  consignment.set_version(consignment.version() + 1);
}

absl::Status WrongState(const Consignment& consignment, absl::string_view action) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot ", action, " a consignment that is ", std::string(StatusName(consignment.status()))));
}

// Every event names the consignment the same way; only the type differs.
template <typename Event>
Event EventOf(const Consignment& consignment) {
  Event event;
  event.set_consignment_id(consignment.consignment_id());
  event.set_purchase_id(consignment.purchase_id());
  event.set_customer_id(consignment.customer_id());
  event.set_car_id(consignment.car_id());
  return event;
}

}  // namespace

std::string ConsignmentIdFor(std::string_view purchase_id) {
  return absl::StrCat("con_", absl::string_view(purchase_id.data(), purchase_id.size()));
}

std::string Reference(const Consignment& consignment) {
  return absl::StrCat("usedcar/purchase/", consignment.purchase_id());
}

std::string_view StatusName(ConsignmentStatus status) {
  switch (status) {
    case v1::CONSIGNMENT_STATUS_SCHEDULED: return "SCHEDULED";
    case v1::CONSIGNMENT_STATUS_CONSIGNED: return "CONSIGNED";
    case v1::CONSIGNMENT_STATUS_DELIVERED: return "DELIVERED";
    case v1::CONSIGNMENT_STATUS_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
  }
}

Consignment NewScheduled(std::string_view purchase_id, std::string_view customer_id,
                         std::string_view car_id, absl::Time now) {
  Consignment consignment;
  consignment.set_consignment_id(ConsignmentIdFor(purchase_id));
  consignment.set_purchase_id(std::string(purchase_id));
  consignment.set_customer_id(std::string(customer_id));
  consignment.set_car_id(std::string(car_id));
  consignment.set_status(v1::CONSIGNMENT_STATUS_SCHEDULED);
  SetTime(consignment.mutable_create_time(), now);
  SetTime(consignment.mutable_update_time(), now);
  consignment.set_version(1);
  return consignment;
}

absl::StatusOr<std::optional<v1::Consigned>> MarkConsigned(Consignment& consignment,
                                                           absl::Time now) {
  switch (consignment.status()) {
    case v1::CONSIGNMENT_STATUS_SCHEDULED:
      consignment.set_status(v1::CONSIGNMENT_STATUS_CONSIGNED);
      SetTime(consignment.mutable_consign_time(), now);
      Touch(consignment, now);
      return EventOf<v1::Consigned>(consignment);
    case v1::CONSIGNMENT_STATUS_CONSIGNED:
      return std::nullopt;
    default:
      return WrongState(consignment, "consign");
  }
}

absl::StatusOr<std::optional<v1::ConsignDelivered>> MarkDelivered(Consignment& consignment,
                                                                  absl::Time now) {
  switch (consignment.status()) {
    case v1::CONSIGNMENT_STATUS_CONSIGNED:
      consignment.set_status(v1::CONSIGNMENT_STATUS_DELIVERED);
      SetTime(consignment.mutable_deliver_time(), now);
      Touch(consignment, now);
      return EventOf<v1::ConsignDelivered>(consignment);
    case v1::CONSIGNMENT_STATUS_DELIVERED:
      return std::nullopt;
    default:
      return WrongState(consignment, "deliver");
  }
}

absl::StatusOr<std::optional<v1::ConsignCancelled>> Cancel(Consignment& consignment,
                                                           std::string_view reason,
                                                           absl::Time now) {
  const ConsignmentStatus before = consignment.status();
  switch (before) {
    case v1::CONSIGNMENT_STATUS_SCHEDULED:
    case v1::CONSIGNMENT_STATUS_CONSIGNED: {
      consignment.set_status(v1::CONSIGNMENT_STATUS_CANCELLED);
      consignment.set_cancel_reason(std::string(reason));
      SetTime(consignment.mutable_cancel_time(), now);
      Touch(consignment, now);
      v1::ConsignCancelled event = EventOf<v1::ConsignCancelled>(consignment);
      event.set_reason(consignment.cancel_reason());
      event.set_was_consigned(before == v1::CONSIGNMENT_STATUS_CONSIGNED);
      return event;
    }
    case v1::CONSIGNMENT_STATUS_CANCELLED:
      return std::nullopt;
    default:
      return WrongState(consignment, "cancel");
  }
}

}  // namespace usedcar::consign
