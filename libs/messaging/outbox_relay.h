// The outbox relay (DESIGN §3.2): a background thread that publishes a
// store's outbox rows to JetStream in commit order, with Msg-Id = event id,
// and deletes the rows once the broker acked them. Publishes are pipelined
// (asynchronous, many in flight), and a failed batch is published again
// from its first row: the Msg-Id makes the broker drop the duplicates.
// While the broker is down the rows stay on disk and the relay backs off.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "libs/messaging/nats_client.h"
#include "libs/storage/store.h"

namespace mesh::metrics {
class Registry;
}

namespace mesh::messaging {

struct RelayOptions {
  // The producing context; rows go to Subject(context, event_type).
  std::string context;
  int batch_size = 512;
  absl::Duration ack_timeout = absl::Seconds(5);
  absl::Duration idle_poll = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(2);
  // Keep acked rows this long, and publish them again after a restart. A
  // broker that acks before fsync (nats-server 2.9 has no sync_interval) can
  // lose acked events in an OS crash; republishing closes that gap, and the
  // broker's Msg-Id window drops what it did keep. Only rows young enough for
  // that window to still hold their id are republished (the relay reads the
  // stream's window), so a stream never stores an event twice; older ones
  // are purged. Zero deletes rows as soon as they are acked.
  absl::Duration retain = absl::ZeroDuration();
  // Fault drill: the process exits with code 87 right after the first
  // commit that adds outbox rows, before the relay publishes them (the relay
  // publishes nothing until then, so the crash lands exactly between
  // "commit" and "publish"). The crash matrix uses it; never set in service.
  bool fault_crash_after_commit = false;
};

class OutboxRelay {
 public:
  // registry may be null; otherwise outbox depth and published counts are exported.
  OutboxRelay(storage::Store* store, NatsClient* client, RelayOptions options,
              metrics::Registry* registry);
  ~OutboxRelay();

  // Starts the thread and wakes it on every store commit that adds events.
  void Start();
  // Publishes what is left for up to flush_timeout, then stops the thread
  // and removes the depth gauge: once it returns, the relay no longer reads
  // the store, which may then be closed.
  void Stop(absl::Duration flush_timeout = absl::Seconds(5));

  uint64_t published() const { return published_.load(); }
  // Rows the broker has not acked yet.
  uint64_t pending() const { return store_->OutboxDepth() - retained_.load(); }

 private:
  void Run();
  // Publishes up to one batch; returns how many rows were acked, or an error.
  absl::StatusOr<int> PublishBatch();
  // Deletes retained rows older than options_.retain.
  absl::Status Purge();

  storage::Store* store_;
  NatsClient* client_;
  RelayOptions options_;
  metrics::Registry* registry_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool pending_ = false;
  absl::Time flush_deadline_ = absl::InfiniteFuture();
  bool stream_ready_ = false;
  // Rows younger than this are still within the stream's duplicate window
  // when the broker gets them: the window less a margin for the publish.
  absl::Duration republish_limit_ = absl::ZeroDuration();
  std::atomic<uint64_t> published_{0};
  // Rows up to this sequence are in the stream (persisted in the store, so a
  // restart knows it); those kept for options_.retain are counted in
  // retained_. The relay publishes rows after scan_after_, which starts at
  // zero in every process: retained rows go out again first.
  uint64_t acked_through_ = 0;
  uint64_t scan_after_ = 0;
  std::atomic<uint64_t> retained_{0};
  absl::Time last_purge_ = absl::InfinitePast();
};

}  // namespace mesh::messaging
