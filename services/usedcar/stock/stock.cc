#include "services/usedcar/stock/stock.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace usedcar::stock {
namespace {

void Touch(Stock& stock, absl::Time now) {
  const int64_t micros = absl::ToUnixMicros(now);
  stock.mutable_update_time()->set_seconds(micros / 1000000);
  stock.mutable_update_time()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  stock.set_version(stock.version() + 1);
}

v1::StockChanged Changed(const Stock& stock, int64_t delta, std::string_view cause,
                         const ConsignmentRef* ref) {
  v1::StockChanged changed;
  changed.set_car_id(stock.car_id());
  changed.set_total(stock.quantity());
  changed.set_delta(delta);
  changed.set_cause(std::string(cause));
  if (ref != nullptr) {
    changed.set_consignment_id(ref->consignment_id);
    changed.set_purchase_id(ref->purchase_id);
  }
  return changed;
}

}  // namespace

absl::Status ValidateId(std::string_view field, std::string_view value) {
  const std::string name(field);
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(name, " is required"));
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be at most ", kMaxIdLength, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateStockIn(const v1::StockInRequest& request) {
  if (absl::Status s = ValidateId("car_id", request.car_id()); !s.ok()) return s;
  if (request.quantity() < 1 || request.quantity() > kMaxStockIn) {
    return absl::InvalidArgumentError(absl::StrCat("quantity must be between 1 and ", kMaxStockIn));
  }
  return ValidateId("idempotency_key", request.idempotency_key());
}

Stock EmptyStock(std::string_view car_id) {
  Stock stock;
  stock.set_car_id(std::string(car_id));
  return stock;
}

absl::StatusOr<v1::StockChanged> StockIn(Stock& stock, int64_t quantity, absl::Time now) {
  if (stock.stocked_in() > std::numeric_limits<int64_t>::max() - quantity) {
    return absl::OutOfRangeError(
        absl::StrCat("car ", stock.car_id(), " cannot take ", quantity, " more units"));
  }
  stock.set_stocked_in(stock.stocked_in() + quantity);
  stock.set_quantity(stock.quantity() + quantity);
  Touch(stock, now);
  return Changed(stock, quantity, kCauseStockIn, nullptr);
}

std::string_view MarkName(ConsignmentMark mark) {
  switch (mark) {
    case ConsignmentMark::kNone: return "none";
    case ConsignmentMark::kReserved: return "reserved";
    case ConsignmentMark::kShort: return "short";
    case ConsignmentMark::kReturned: return "returned";
    case ConsignmentMark::kCancelled: return "cancelled";
  }
  return "none";
}

std::optional<ConsignmentMark> ParseMark(std::string_view name) {
  for (ConsignmentMark mark :
       {ConsignmentMark::kNone, ConsignmentMark::kReserved, ConsignmentMark::kShort,
        ConsignmentMark::kReturned, ConsignmentMark::kCancelled}) {
    if (MarkName(mark) == name) return mark;
  }
  return std::nullopt;
}

Decision ApplyConsigned(Stock& stock, ConsignmentMark mark, const ConsignmentRef& ref,
                        absl::Time now) {
  Decision decision;
  if (mark != ConsignmentMark::kNone) return decision;
  if (stock.quantity() < 1) {
    decision.mark = ConsignmentMark::kShort;
    v1::StockShortage& shortage = decision.shortage.emplace();
    shortage.set_car_id(stock.car_id());
    shortage.set_consignment_id(ref.consignment_id);
    shortage.set_purchase_id(ref.purchase_id);
    shortage.set_customer_id(ref.customer_id);
    return decision;
  }
  stock.set_quantity(stock.quantity() - 1);
  stock.set_consigned(stock.consigned() + 1);
  Touch(stock, now);
  decision.mark = ConsignmentMark::kReserved;
  decision.changed = Changed(stock, -1, kCauseConsigned, &ref);
  return decision;
}

Decision ApplyConsignCancelled(Stock& stock, ConsignmentMark mark, const ConsignmentRef& ref,
                               absl::Time now) {
  Decision decision;
  switch (mark) {
    case ConsignmentMark::kReserved:
      stock.set_quantity(stock.quantity() + 1);
      stock.set_returned(stock.returned() + 1);
      Touch(stock, now);
      decision.mark = ConsignmentMark::kReturned;
      decision.changed = Changed(stock, 1, kCauseConsignCancelled, &ref);
      break;
    case ConsignmentMark::kNone:
    case ConsignmentMark::kShort: decision.mark = ConsignmentMark::kCancelled; break;
    case ConsignmentMark::kReturned:
    case ConsignmentMark::kCancelled: break;
  }
  return decision;
}

bool Balanced(const Stock& stock) {
  return stock.quantity() >= 0 && stock.stocked_in() >= 0 && stock.consigned() >= 0 &&
         stock.returned() >= 0 &&
         stock.quantity() == stock.stocked_in() - stock.consigned() + stock.returned();
}

}  // namespace usedcar::stock
