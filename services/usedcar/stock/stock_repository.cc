#include "services/usedcar/stock/stock_repository.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"

namespace usedcar::stock {
namespace {

using mesh::storage::kState;
using mesh::storage::UnitOfWork;

constexpr std::string_view kStockIns = "stock_ins";
constexpr std::string_view kConsignments = "consignments";

// Tags page tokens, so that a token from another service or listing is
// refused rather than silently read as a car id.
constexpr absl::string_view kTokenTag = "stock.v1:";

absl::StatusOr<Stock> ParseStock(std::string_view bytes, std::string_view what) {
  Stock stock;
  if (!stock.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", std::string(what), " does not parse"));
  }
  return stock;
}

// Splits "<head>/<tail>" at the first slash.
bool SplitOnce(std::string_view row, std::string_view& head, std::string_view& tail) {
  const size_t slash = row.find('/');
  if (slash == std::string_view::npos) return false;
  head = row.substr(0, slash);
  tail = row.substr(slash + 1);
  return true;
}

}  // namespace

std::vector<std::string> StockRepository::ColumnFamilies() {
  return {std::string(kStockIns), std::string(kConsignments)};
}

absl::StatusOr<std::optional<Stock>> StockRepository::Get(std::string_view car_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kState, car_id));
  if (!row.has_value()) return std::optional<Stock>();
  ASSIGN_OR_RETURN(Stock stock, ParseStock(*row, "stock"));
  return std::optional<Stock>(std::move(stock));
}

absl::StatusOr<std::optional<StockInRecord>> StockRepository::FindStockIn(
    std::string_view idempotency_key) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kStockIns, idempotency_key));
  if (!row.has_value()) return std::optional<StockInRecord>();
  std::string_view quantity;
  std::string_view stock;
  StockInRecord record;
  if (!SplitOnce(*row, quantity, stock) ||
      !absl::SimpleAtoi(absl::string_view(quantity.data(), quantity.size()), &record.quantity)) {
    return absl::DataLossError("stored stock-in record does not parse");
  }
  ASSIGN_OR_RETURN(record.stock, ParseStock(stock, "stock-in record"));
  return std::optional<StockInRecord>(std::move(record));
}

absl::StatusOr<std::optional<ConsignmentRecord>> StockRepository::FindConsignment(
    std::string_view consignment_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kConsignments, consignment_id));
  if (!row.has_value()) return std::optional<ConsignmentRecord>();
  std::string_view mark;
  std::string_view car_id;
  std::optional<ConsignmentMark> parsed;
  if (!SplitOnce(*row, mark, car_id) || !(parsed = ParseMark(mark)).has_value()) {
    return absl::DataLossError("stored consignment mark does not parse");
  }
  return std::optional<ConsignmentRecord>(ConsignmentRecord{std::string(car_id), *parsed});
}

void StockRepository::PutStock(UnitOfWork& work, const Stock& stock) {
  work.Put(kState, stock.car_id(), stock.SerializeAsString());
}

void StockRepository::PutStockIn(UnitOfWork& work, std::string_view idempotency_key,
                                 const StockInRecord& record) {
  work.Put(kStockIns, idempotency_key,
           absl::StrCat(record.quantity, "/", record.stock.SerializeAsString()));
}

void StockRepository::PutConsignment(UnitOfWork& work, std::string_view consignment_id,
                                     const ConsignmentRecord& record) {
  work.Put(kConsignments, consignment_id,
           absl::StrCat(std::string(MarkName(record.mark)), "/", record.car_id));
}

void StockRepository::AddEvent(UnitOfWork& work, const Stock& stock,
                               const google::protobuf::Message& payload, const EventOrigin& origin,
                               absl::Time now) {
  mesh::messaging::EventContext context;
  context.producer = kProducer;
  context.aggregate_type = kAggregateType;
  context.aggregate_id = stock.car_id();
  context.aggregate_version = stock.version();
  context.correlation_id = origin.correlation_id;
  context.causation_id = origin.causation_id;
  context.traceparent = origin.traceparent;
  work.AddEvent(mesh::messaging::MakeEvent(context, payload, now));
}

absl::StatusOr<StockRepository::Page> StockRepository::List(int page_size,
                                                            std::string_view page_token) const {
  std::string cursor;
  if (!page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(absl::string_view(page_token.data(), page_token.size()),
                                     &raw) ||
        raw.size() <= kTokenTag.size() || !absl::StartsWith(raw, kTokenTag)) {
      return absl::InvalidArgumentError("page.page_token is not a token this service issued");
    }
    cursor = raw.substr(kTokenTag.size());
  }
  Page page;
  std::string last_key;
  bool more = false;
  absl::Status read_error;
  RETURN_IF_ERROR(
      store_->Scan(kState, "", cursor, [&](std::string_view key, std::string_view value) {
        if (static_cast<int>(page.stocks.size()) == page_size) {
          more = true;
          return false;
        }
        absl::StatusOr<Stock> stock = ParseStock(value, "stock");
        if (!stock.ok()) {
          read_error = stock.status();
          return false;
        }
        page.stocks.push_back(*std::move(stock));
        last_key = std::string(key);
        return true;
      }));
  RETURN_IF_ERROR(read_error);
  if (more) page.next_page_token = absl::WebSafeBase64Escape(absl::StrCat(kTokenTag, last_key));
  return page;
}

}  // namespace usedcar::stock
