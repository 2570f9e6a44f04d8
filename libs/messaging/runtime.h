// Everything an event-driven service needs from the broker, wired once:
// the NATS connection, the outbox relay for its own events, the consumer of
// other contexts' events, and the dead-letter admin service.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/messaging/dead_letter_service.h"
#include "libs/messaging/event_consumer.h"
#include "libs/messaging/nats_client.h"
#include "libs/messaging/outbox_relay.h"
#include "libs/server/server.h"
#include "libs/storage/store.h"

namespace mesh::messaging {

// --nats_url (default nats://127.0.0.1:4222), --max_deliver (5),
// --relay_batch (512), --relay_flush_timeout (5s), --outbox_retain (2m),
// --fault_fail_event_type (""), --fault_skip_inbox (false),
// --fault_crash_after_commit_before_publish (false).
void DefineMessagingFlags(config::Config& config);

class MessagingRuntime {
 public:
  // service names the outbox relay's subjects ("<service>.<EventType>") and
  // the durable consumers. Succeeds while the broker is down. On failure logs
  // "cannot set up messaging" with the error, so main only has to exit.
  static absl::StatusOr<std::unique_ptr<MessagingRuntime>> Create(const config::Config& config,
                                                                  std::string service,
                                                                  storage::Store* store);
  ~MessagingRuntime();

  // Register handlers before Start().
  EventConsumer& consumer() { return *consumer_; }
  OutboxRelay& relay() { return *relay_; }
  NatsClient& client() { return *client_; }

  // Serves the dead-letter admin service and ties the store's life to the
  // server: readiness is the store's, and once in-flight calls have drained,
  // consuming stops, the outbox flushes, `before_close` runs (a service's own
  // worker that writes to the store), and the store closes, in that order.
  // Drained hooks the caller adds afterwards run before all of this.
  void Attach(server::Server& server, std::unique_ptr<storage::Store>& store,
              std::function<void()> before_close = nullptr);
  // Starts the relay and the consumer; never blocks on the broker.
  void Start();
  // Stops consuming, then publishes what is left (up to the flush timeout).
  void Stop();

 private:
  MessagingRuntime() = default;

  std::unique_ptr<NatsClient> client_;
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<EventConsumer> consumer_;
  std::unique_ptr<DeadLetterService> dead_letters_;
  absl::Duration flush_timeout_;
  bool started_ = false;
};

}  // namespace mesh::messaging
