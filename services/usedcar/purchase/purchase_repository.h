// Stores purchases, their indexes and their outgoing events in one RocksDB.
//
// Column families: state (purchase_id → Purchase), requests (request_id →
// purchase_id), by_customer (customer_id/purchase_id → ""), unsettled
// (purchase_id → "" while PENDING or CANCELLING). Every save writes
// state, indexes and outbox events in one unit of work (DESIGN §3.1).
// Thread-safe; callers serialise changes to one purchase with Lock().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/usedcar/purchase/purchase.h"

namespace usedcar::purchase {

inline constexpr std::string_view kProducer = "usedcar.purchase";

class PurchaseRepository {
 public:
  explicit PurchaseRepository(mesh::storage::Store* store) : store_(store) {}

  static std::vector<std::string> ColumnFamilies() { return {"requests", "by_customer", "unsettled"}; }

  std::unique_lock<std::mutex> Lock(std::string_view key) { return locks_.Lock(key); }

  absl::StatusOr<std::optional<Purchase>> Get(std::string_view purchase_id) const;
  absl::StatusOr<std::optional<Purchase>> FindByRequest(std::string_view request_id) const;

  // Writes a new purchase with its indexes.
  absl::Status Insert(const Purchase& purchase);
  // Writes the purchase and, in the same batch, the event (if any) in the
  // outbox and whatever `work` already holds (an event handler's inbox mark).
  absl::Status Save(const Purchase& purchase, const google::protobuf::Message* event,
                    std::string_view causation_id,
                    mesh::storage::UnitOfWork work = mesh::storage::UnitOfWork());
  // Commits work that changes no purchase (an event handler's inbox mark).
  absl::Status Commit(mesh::storage::UnitOfWork& work) { return store_->Commit(work); }
  // Deletes an abandoned purchase (never charged) and its indexes, so that
  // the same request_id may be tried again.
  absl::Status Remove(const Purchase& purchase);

  struct Page {
    std::vector<Purchase> purchases;
    std::string next_page_token;
  };
  // By customer (or every purchase when empty), in id order. INVALID_ARGUMENT
  // for a page token not issued for this listing.
  absl::StatusOr<Page> List(std::string_view customer_id, int page_size,
                            std::string_view page_token) const;

  // Purchases whose payment or refund is still open, for the resolver.
  absl::StatusOr<std::vector<Purchase>> ListUnsettled() const;

 private:
  mesh::storage::Store* store_;
  mesh::storage::KeyLock locks_;
};

}  // namespace usedcar::purchase
