// Stores consignments, their customer index, purchase tombstones and the
// outgoing events in one RocksDB (DESIGN §3.1).
//
// Column families: state (consignment_id → Consignment), by_customer
// (customer_id NUL consignment_id → ""), tombstones (purchase_id → reason,
// for a purchase cancelled before its Purchased event arrived). Writers stage
// state and events into a UnitOfWork, which an event handler shares with the
// consumer's inbox mark, then commit it once.
//
// Thread-safe. Callers serialise load-modify-commit on one consignment with
// Lock(consignment_id); a purchase's tombstone is guarded by the lock of
// ConsignmentIdFor(purchase_id).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/usedcar/consign/consignment.h"

namespace usedcar::consign {

inline constexpr std::string_view kProducer = "usedcar.consign";
inline constexpr std::string_view kAggregateType = "Consignment";

// Where a change came from; copied into the envelope of the event it emits.
struct EventOrigin {
  std::string correlation_id;
  // The incoming event's id, or the RPC's name.
  std::string causation_id;
  // Propagated W3C trace context; a fresh one is made when empty.
  std::string traceparent;
};

class ConsignmentRepository {
 public:
  explicit ConsignmentRepository(mesh::storage::Store* store) : store_(store) {}

  static std::vector<std::string> ColumnFamilies() { return {"by_customer", "tombstones"}; }

  std::unique_lock<std::mutex> Lock(std::string_view consignment_id) {
    return locks_.Lock(consignment_id);
  }

  // nullopt when absent; DATA_LOSS when the stored row does not parse.
  absl::StatusOr<std::optional<Consignment>> Get(std::string_view consignment_id) const;
  absl::StatusOr<std::optional<Consignment>> GetByPurchase(std::string_view purchase_id) const;
  // Whether the purchase was cancelled before a consignment existed.
  absl::StatusOr<bool> IsTombstoned(std::string_view purchase_id) const;

  // Adds the consignment, its index and, when event is not null, the event
  // (aggregate version = the consignment's) to the unit of work.
  void Stage(mesh::storage::UnitOfWork& work, const Consignment& consignment,
             const google::protobuf::Message* event, const EventOrigin& origin,
             absl::Time now) const;
  void StageTombstone(mesh::storage::UnitOfWork& work, std::string_view purchase_id,
                      std::string_view reason) const;
  absl::Status Commit(mesh::storage::UnitOfWork& work) { return store_->Commit(work); }

  struct Page {
    std::vector<Consignment> consignments;
    std::string next_page_token;
  };
  // By customer (or every consignment when empty), in id order. INVALID_ARGUMENT
  // naming page.page_token for a token not issued for this listing.
  absl::StatusOr<Page> List(std::string_view customer_id, int page_size,
                            std::string_view page_token) const;

 private:
  mesh::storage::Store* store_;
  mesh::storage::KeyLock locks_;
};

}  // namespace usedcar::consign
