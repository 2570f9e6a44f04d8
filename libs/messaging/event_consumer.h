// Idempotent durable pull consumers (DESIGN §3.3).
//
// For each producing context it reads, a service has one durable pull
// consumer named after the service (replicas share it and compete). For every
// message:
//   - a malformed envelope goes to the dead-letter stream at once;
//   - an event already in the store's inbox is acked and skipped;
//   - otherwise the handler runs with a unit of work that already carries the
//     inbox mark; it adds its effect and commits that work itself, so effect
//     and mark land in one WriteBatch. The commit defers its fsync: once a
//     pull request's events are applied, one Store::Sync makes them all
//     durable, and only then are they acked (one fsync per batch, not per
//     event);
//   - a handler error is Nak'ed with backoff; after max_deliver deliveries
//     (or at once, for INVALID_ARGUMENT: an event that can never apply) the
//     message goes to DLQ.<service> with the error, and is terminated there.
// Events no handler is registered for are acked and ignored.
//
// Thread-safe. Handlers of one producer run one at a time, in stream order.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/event.h"
#include "libs/messaging/nats_client.h"
#include "libs/storage/store.h"

namespace mesh::metrics {
class Registry;
}

namespace mesh::messaging {

struct ConsumerOptions {
  // The consuming service, e.g. "usedcar.consign".
  std::string service;
  int max_deliver = 5;
  absl::Duration ack_wait = absl::Seconds(30);
  // Delay before redelivery after the n-th failure (the last repeats).
  std::vector<absl::Duration> nak_backoff = {absl::Milliseconds(100), absl::Milliseconds(500),
                                             absl::Seconds(2)};
  int fetch_batch = 64;
  // Fault drill: every event of this type fails as a transient error, so it
  // is retried, then dead-lettered; restart without it and replay.
  std::string fault_fail_event_type;
  // Fault drill that switches a guarantee off: the inbox is neither checked
  // nor marked, so a redelivered event is applied again. Only for proving
  // that the crash matrix (tests/e2e/crash_matrix) catches the breakage.
  bool fault_skip_inbox = false;
};

using EventHandler =
    std::function<absl::Status(const common::v1::EventEnvelope& event, storage::UnitOfWork& work)>;

class EventConsumer {
 public:
  EventConsumer(storage::Store* store, NatsClient* client, ConsumerOptions options,
                metrics::Registry* registry);
  ~EventConsumer();

  // Registers the handler of one event type of one producing context, e.g.
  // ("usedcar.purchase", "Purchased"). Call before Start.
  void On(std::string_view producer, std::string_view event_type, EventHandler handler);

  // Typed form: the payload is unpacked first; a payload of the wrong type or
  // that does not parse is INVALID_ARGUMENT (dead-lettered at once).
  template <typename Payload>
  void On(std::string_view producer,
          std::function<absl::Status(const Payload&, const common::v1::EventEnvelope&,
                                     storage::UnitOfWork&)>
              handler) {
    On(producer, Payload::descriptor()->name(),
       [handler = std::move(handler)](const common::v1::EventEnvelope& event,
                                      storage::UnitOfWork& work) -> absl::Status {
         Payload payload;
         absl::Status unpacked = UnpackPayload(event, &payload);
         if (!unpacked.ok()) return unpacked;
         return handler(payload, event, work);
       });
  }

  // Provisions streams, durables and the dead-letter stream, then starts one
  // fetch thread per producer. Provisioning retries in the background while
  // the broker is down; Start itself never blocks on the broker.
  void Start();
  void Stop();

  // Applies one event as a delivery would (inbox check, handler, commit),
  // without the broker, and durably. Used to replay dead letters.
  absl::Status Apply(const common::v1::EventEnvelope& event);

  // Deletes the durables and starts them again from the first message of each
  // stream. The caller clears its own views and inbox first. Used to rebuild views.
  absl::Status Rewind();

  const std::string& service() const { return options_.service; }
  NatsClient* client() { return client_; }

 private:
  struct Source;
  // Makes sure of the streams and the durable, and subscribes to the replies
  // of the source's pull requests.
  absl::Status Subscribe(Source* source);
  // The source's thread: provisions, consumes, and provisions again when
  // consuming breaks, until stopped.
  void Run(Source* source);
  // Pulls until a pull fails or several in a row go unanswered.
  void Consume(Source* source);
  struct Pulled {
    int delivered = 0;
    // Whether the broker answered the request (an event or a status).
    bool answered = false;
  };
  // Makes one pull request (busy: up to fetch_batch events, whatever is
  // there; idle: the next one) and delivers what arrives until the broker
  // ends it or it expires.
  absl::StatusOr<Pulled> Pull(Source* source, bool busy);
  void Deliver(Source* source, natsMsg* message);
  // Makes the source's applied events durable with one fsync, then acks them.
  void AckApplied(Source* source);
  // Apply, with the commit's fsync deferred to AckApplied when defer_sync.
  absl::Status ApplyEvent(const common::v1::EventEnvelope& event, bool defer_sync);
  absl::Status DeadLetter(natsMsg* message, const std::string& error, int deliveries);
  const EventHandler* Find(const std::string& producer, const std::string& event_type) const;

  storage::Store* store_;
  NatsClient* client_;
  ConsumerOptions options_;
  metrics::Registry* registry_;
  std::map<std::string, std::map<std::string, EventHandler>> handlers_;
  std::vector<std::unique_ptr<Source>> sources_;
};

}  // namespace mesh::messaging
