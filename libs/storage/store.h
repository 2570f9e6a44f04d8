// A RocksDB database with column families, written only through units of work.
//
// Every store has the column families "state" (aggregates), "outbox" (events
// waiting for the relay, keyed by a commit sequence) and "inbox" (ids of
// events already applied), plus any the service asks for (indexes). A unit of
// work commits all of its writes, outbox events and inbox marks in ONE
// WriteBatch (DESIGN §3.1).
//
// Thread-safe: Get, Scan and Commit may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/v1/event.pb.h"
#include "rocksdb/db.h"

namespace mesh::storage {

inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kOutbox = "outbox";
inline constexpr std::string_view kInbox = "inbox";

struct StoreOptions {
  std::string path;
  // fsync the write-ahead log on every commit. Money and sales want true.
  bool sync = true;
  // Column families beyond state, outbox and inbox.
  std::vector<std::string> extra_column_families;
};

// Maps a RocksDB status: NotFound → NOT_FOUND, Busy/TimedOut/TryAgain →
// UNAVAILABLE, Corruption → DATA_LOSS, everything else → INTERNAL.
absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context);

class UnitOfWork {
 public:
  void Put(std::string_view cf, std::string_view key, std::string_view value);
  void Delete(std::string_view cf, std::string_view key);
  // Queues an event for the outbox; its row key is assigned at commit, in commit order.
  void AddEvent(const common::v1::EventEnvelope& event);
  // Records that the event with this id has been applied.
  void MarkInbox(std::string_view event_id);
  // Commit without waiting for the log's fsync; whoever relies on the work
  // being durable (a consumer, before it acks) calls Store::Sync first, which
  // covers every deferred commit with one fsync. Until then the work's outbox
  // events stay invisible to the relay, so nothing is published that an
  // operating-system crash could still take back. (A crashed process loses
  // nothing: the log was written, only not yet fsynced.)
  void DeferSync() { defer_sync_ = true; }
  bool empty() const { return ops_.empty() && events_.empty(); }
  const std::vector<common::v1::EventEnvelope>& events() const { return events_; }

 private:
  friend class Store;
  struct Op {
    std::string cf;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  std::vector<Op> ops_;
  std::vector<common::v1::EventEnvelope> events_;
  bool defer_sync_ = false;
};

class Store {
 public:
  // Creates the directory and column families when missing.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  // nullopt when the key is absent. INVALID_ARGUMENT for an unknown column family.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view cf, std::string_view key) const;

  // Visits keys with the prefix in order, starting after start_after (or at the
  // first key when empty), until fn returns false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  absl::Status Scan(std::string_view cf, std::string_view prefix, std::string_view start_after,
                    const Visitor& fn) const;

  // Writes the unit of work atomically. Outbox keys are big-endian sequence
  // numbers, so key order is commit order. Concurrent commits share fsyncs
  // (RocksDB groups their log writes); no lock is held while writing.
  absl::Status Commit(UnitOfWork& work);

  // Makes every commit deferred so far durable with one fsync of the log
  // (none when the store does not sync), then shows their outbox events to
  // the relay.
  absl::Status Sync();
  // fsyncs of the log made by Sync so far (how well deferred commits batch).
  uint64_t SyncCount() const { return syncs_.load(); }

  // Whether an event id has been applied.
  absl::StatusOr<bool> InboxContains(std::string_view event_id) const;

  // Rows currently waiting in the outbox.
  uint64_t OutboxDepth() const;
  // Deletes outbox rows with sequence <= up_to (after the broker acked them).
  absl::Status DeleteOutboxThrough(uint64_t up_to);
  // The highest outbox sequence the broker has acked, as last recorded: a
  // relay that keeps acked rows (RelayOptions::retain) knows after a restart
  // which of them are already in the stream. Recorded without fsync: an OS
  // crash may roll it back, which only republishes rows the broker drops as
  // duplicates. Zero until recorded.
  uint64_t OutboxAcked() const { return outbox_acked_.load(); }
  absl::Status SetOutboxAcked(uint64_t through);
  // Visits outbox rows in commit order, starting after the given sequence.
  // Only rows below every commit still in flight are visible, so a reader
  // never sees a higher sequence before a lower one lands.
  absl::Status ScanOutbox(uint64_t after,
                          const std::function<bool(uint64_t seq, std::string_view row)>& fn) const;

  // A cheap read that proves the store answers; used for readiness.
  absl::Status Check() const;

  // Called after every commit that added outbox rows (the relay's wake-up).
  // Set once, before concurrent use.
  void SetOutboxListener(std::function<void()> listener) { outbox_listener_ = std::move(listener); }

  // Deletes every key of a column family (rebuilding a view from its events).
  absl::Status Clear(std::string_view cf);

  rocksdb::DB* db() { return db_.get(); }

 private:
  Store() = default;
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Handle(std::string_view cf) const;

  rocksdb::WriteOptions write_options_;
  // write_options_ without the fsync: deferred commits, the acked watermark.
  rocksdb::WriteOptions unsynced_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
  // The visible outbox ends below the first commit still writing.
  uint64_t VisibleOutboxSeq() const;

  // Guards sequence assignment and the commits in flight (not the writes).
  mutable std::mutex commit_mu_;
  uint64_t last_outbox_seq_ = 0;
  // first sequence → last sequence of each commit still writing, or written
  // with its fsync deferred and not yet synced.
  std::map<uint64_t, uint64_t> in_flight_;
  // First sequences of deferred commits written and waiting for Sync.
  std::vector<uint64_t> deferred_;
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> outbox_depth_{0};
  std::atomic<uint64_t> outbox_acked_{0};
  std::function<void()> outbox_listener_;
};

// Encodes a sequence so that byte order equals numeric order.
std::string OutboxKey(uint64_t seq);
uint64_t DecodeOutboxKey(std::string_view key);

}  // namespace mesh::storage
