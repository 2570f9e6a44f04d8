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
};

class OutboxRelay {
 public:
  // registry may be null; otherwise outbox depth and published counts are exported.
  OutboxRelay(storage::Store* store, NatsClient* client, RelayOptions options,
              metrics::Registry* registry);
  ~OutboxRelay();

  // Starts the thread and wakes it on every store commit that adds events.
  void Start();
  // Publishes what is left for up to flush_timeout, then stops the thread.
  void Stop(absl::Duration flush_timeout = absl::Seconds(5));

  uint64_t published() const { return published_.load(); }

 private:
  void Run();
  // Publishes up to one batch; returns how many rows were acked, or an error.
  absl::StatusOr<int> PublishBatch();

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
};

}  // namespace mesh::messaging
