// The Stock aggregate (the seed's 재고): the units of one car on hand, and
// what each consignment of that car did to them.
//
// A consignment's mark records its effect on the stock, so that every
// consignment takes a unit at most once and gives back only a unit it took:
//
//   (none) ──Consigned, stock ≥ 1──▶ RESERVED ──ConsignCancelled──▶ RETURNED
//     │  └───Consigned, stock = 0──▶ SHORT ────ConsignCancelled──▶ CANCELLED
//     └──────ConsignCancelled (arrived first)───────────────────▶ CANCELLED
//
// Any other (mark, event) pair changes nothing, which absorbs duplicates and
// a Consigned that arrives after its ConsignCancelled. Hence, always:
//   quantity == stocked_in - consigned + returned, and quantity >= 0.
//
// Pure domain logic: no gRPC, no storage. Every function is thread-safe (none
// keeps state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "usedcar/stock/v1/stock.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace usedcar::stock {

using v1::Stock;

inline constexpr size_t kMaxIdLength = 128;
inline constexpr int64_t kMaxStockIn = 1'000'000;

// The causes StockChanged carries.
inline constexpr std::string_view kCauseStockIn = "stock-in";
inline constexpr std::string_view kCauseConsigned = "consigned";
inline constexpr std::string_view kCauseConsignCancelled = "consign-cancelled";

// INVALID_ARGUMENT naming the first bad field: car_id, then quantity, then
// idempotency_key (see ValidateId; "quantity must be between 1 and 1000000").
absl::Status ValidateStockIn(const v1::StockInRequest& request);

// INVALID_ARGUMENT "<field> is required", "<field> must be at most 128
// characters" or "<field> must be printable ASCII without spaces".
absl::Status ValidateId(std::string_view field, std::string_view value);

// A car never stocked in: everything 0, version 0.
Stock EmptyStock(std::string_view car_id);

// Adds quantity units (already validated) and bumps the version. Returns the
// StockChanged to publish. OUT_OF_RANGE, changing nothing, when stocked_in
// would overflow.
absl::StatusOr<v1::StockChanged> StockIn(Stock& stock, int64_t quantity, absl::Time now);

enum class ConsignmentMark {
  kNone,       // no event of this consignment applied yet
  kReserved,   // took one unit
  kShort,      // found none left; StockShortage raised
  kReturned,   // its unit came back
  kCancelled,  // cancelled without ever taking a unit (a tombstone)
};

// "none", "reserved", "short", "returned", "cancelled".
std::string_view MarkName(ConsignmentMark mark);
// The inverse of MarkName; nullopt for any other text.
std::optional<ConsignmentMark> ParseMark(std::string_view name);

// The consignment an event is about.
struct ConsignmentRef {
  std::string consignment_id;
  std::string purchase_id;
  std::string customer_id;
};

// What one consignment event does. When mark is set, the consignment's mark
// becomes it; when changed is set, the stock was changed (version bumped) and
// must be saved. Nothing set: the event changes nothing.
struct Decision {
  std::optional<ConsignmentMark> mark;
  std::optional<v1::StockChanged> changed;
  std::optional<v1::StockShortage> shortage;
};

// A consignment left with the car. With no mark and a unit on hand: takes it
// (RESERVED, StockChanged cause "consigned", delta -1). With no mark and none
// on hand: SHORT and StockShortage, stock untouched. With any mark: nothing.
Decision ApplyConsigned(Stock& stock, ConsignmentMark mark, const ConsignmentRef& ref,
                        absl::Time now);

// A consignment was cancelled. RESERVED: the unit comes back (RETURNED,
// StockChanged cause "consign-cancelled", delta +1). No mark or SHORT:
// CANCELLED, so a late Consigned takes nothing; no event. RETURNED or
// CANCELLED: nothing.
Decision ApplyConsignCancelled(Stock& stock, ConsignmentMark mark, const ConsignmentRef& ref,
                               absl::Time now);

// quantity == stocked_in - consigned + returned, and every counter >= 0.
bool Balanced(const Stock& stock);

}  // namespace usedcar::stock
