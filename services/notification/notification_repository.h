// Stores notifications, the recipient index and the deliveries waiting to be
// sent, in the notification context's own RocksDB.
//
// Column families: state (notification_id → Notification), by_recipient
// (recipient \0 inverted create time \0 notification_id → "", so a prefix
// scan is newest first), due (next try time \0 notification_id \0 sink → "",
// one row per PENDING delivery, so a scan meets the earliest first).
//
// Thread-safe. A notification is written once by the policy (serialise with
// Lock(event_id)) and afterwards only by the delivery sender.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/notification/notification.h"

namespace notification {

class NotificationRepository {
 public:
  explicit NotificationRepository(mesh::storage::Store* store) : store_(store) {}

  static std::vector<std::string> ColumnFamilies() { return {"by_recipient", "due"}; }

  std::unique_lock<std::mutex> Lock(std::string_view key) { return locks_.Lock(key); }

  // nullopt when absent; DATA_LOSS when the stored row does not parse.
  absl::StatusOr<std::optional<Notification>> Get(std::string_view notification_id) const;

  // Adds a new notification to `work`: its state, its recipient index row
  // and a due row for each PENDING delivery.
  static void AddNew(mesh::storage::UnitOfWork& work, const Notification& notification);

  absl::Status Commit(mesh::storage::UnitOfWork& work) { return store_->Commit(work); }

  // Writes a notification after one try of its delivery to `sink`, moving
  // or dropping that delivery's due row (which was due at `was_due`). The
  // fsync is deferred to SyncAttempts, once per batch of deliveries: a crash
  // of the machine before it repeats those tries, as a crash between a
  // send and its record always could (deliveries are at least once).
  absl::Status SaveAttempt(const Notification& notification, std::string_view sink,
                           absl::Time was_due);
  // Makes the attempts saved so far durable.
  absl::Status SyncAttempts() { return store_->Sync(); }

  struct Page {
    std::vector<Notification> notifications;
    std::string next_page_token;
  };
  // The recipient's notifications, newest first. INVALID_ARGUMENT for a page
  // token not issued for this recipient.
  absl::StatusOr<Page> ListByRecipient(std::string_view recipient, int page_size,
                                       std::string_view page_token) const;

  struct Due {
    std::string notification_id;
    std::string sink;
    absl::Time due;
  };
  // Up to `limit` deliveries due at or before `now`, earliest first, and
  // when the next one after them is due (nullopt: none is waiting).
  struct DueBatch {
    std::vector<Due> due;
    std::optional<absl::Time> next;
  };
  absl::StatusOr<DueBatch> ListDue(absl::Time now, int limit) const;
  // Deletes one due row.
  absl::Status DropDue(const Due& due);

 private:
  mesh::storage::Store* store_;
  mesh::storage::KeyLock locks_;
};

}  // namespace notification
