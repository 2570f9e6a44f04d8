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
  // broker's Msg-Id window or the consumers' inbox drop what it did keep.
  // Zero deletes rows as soon as they are acked.
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
  // Rows not yet acked by the broker in this process's lifetime.
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
  std::atomic<uint64_t> published_{0};
  // Rows up to this sequence are acked (and retained). Starts at zero in
  // every process, so retained rows are published again after a restart.
  uint64_t acked_through_ = 0;
  std::atomic<uint64_t> retained_{0};
  absl::Time last_purge_ = absl::InfinitePast();
};

}  // namespace mesh::messaging
