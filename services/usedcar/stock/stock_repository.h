// Stocks, idempotency keys, consignment marks and outgoing events in the
// stock context's own RocksDB.
//
// Column families (besides the store's state / outbox / inbox):
//   state         car_id → Stock
//   stock_ins     idempotency_key → the StockIn it applied and its result
//   consignments  consignment_id → its car and ConsignmentMark
//
// Callers load, decide with the pure functions of stock.h, stage the changes
// and events into one UnitOfWork and Commit it (DESIGN §3.1), holding the
// locks below for the whole load-modify-commit, so that two commands or
// events on one car never both take its last unit.
//
// Thread-safe. The store is not owned and must outlive the repository.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/usedcar/stock/stock.h"

namespace usedcar::stock {

inline constexpr char kProducer[] = "usedcar.stock";
inline constexpr char kAggregateType[] = "Stock";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// A StockIn applied under an idempotency key.
struct StockInRecord {
  int64_t quantity = 0;
  // The stock right after it; its car_id is the StockIn's.
  Stock stock;
};

struct ConsignmentRecord {
  std::string car_id;
  ConsignmentMark mark = ConsignmentMark::kNone;
};

// Where an outgoing event came from.
struct EventOrigin {
  std::string correlation_id;
  std::string causation_id;
  // W3C trace context; a fresh one is made when empty.
  std::string traceparent;
};

class StockRepository {
 public:
  // The column families to pass to mesh::storage::Store::Open.
  static std::vector<std::string> ColumnFamilies();

  explicit StockRepository(mesh::storage::Store* store) : store_(store) {}
  StockRepository(const StockRepository&) = delete;
  StockRepository& operator=(const StockRepository&) = delete;

  // Lock order: an idempotency key or a consignment first, then its car.
  // Never hold two locks of one kind.
  std::unique_lock<std::mutex> LockKey(std::string_view idempotency_key) {
    return key_locks_.Lock(idempotency_key);
  }
  std::unique_lock<std::mutex> LockConsignment(std::string_view consignment_id) {
    return consignment_locks_.Lock(consignment_id);
  }
  std::unique_lock<std::mutex> LockCar(std::string_view car_id) { return car_locks_.Lock(car_id); }

  // nullopt for a car never stocked. DATA_LOSS for a row that does not parse.
  absl::StatusOr<std::optional<Stock>> Get(std::string_view car_id) const;
  absl::StatusOr<std::optional<StockInRecord>> FindStockIn(std::string_view idempotency_key) const;
  absl::StatusOr<std::optional<ConsignmentRecord>> FindConsignment(
      std::string_view consignment_id) const;

  static void PutStock(mesh::storage::UnitOfWork& work, const Stock& stock);
  static void PutStockIn(mesh::storage::UnitOfWork& work, std::string_view idempotency_key,
                         const StockInRecord& record);
  static void PutConsignment(mesh::storage::UnitOfWork& work, std::string_view consignment_id,
                             const ConsignmentRecord& record);
  // Queues payload for the outbox: producer "usedcar.stock", aggregate
  // "Stock" / car_id / the stock's version.
  static void AddEvent(mesh::storage::UnitOfWork& work, const Stock& stock,
                       const google::protobuf::Message& payload, const EventOrigin& origin,
                       absl::Time now);

  absl::Status Commit(mesh::storage::UnitOfWork& work) { return store_->Commit(work); }

  struct Page {
    std::vector<Stock> stocks;
    // Empty on the last page.
    std::string next_page_token;
  };
  // Stocks in car_id order, page_size (1..kMaxPageSize, the caller resolves
  // the default) at a time. INVALID_ARGUMENT for a page_token this repository
  // did not issue.
  absl::StatusOr<Page> List(int page_size, std::string_view page_token) const;

 private:
  mesh::storage::Store* store_;
  mesh::storage::KeyLock key_locks_;
  mesh::storage::KeyLock consignment_locks_;
  mesh::storage::KeyLock car_locks_;
};

}  // namespace usedcar::stock
