#include "libs/messaging/runtime.h"

#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"

namespace mesh::messaging {

void DefineMessagingFlags(config::Config& config) {
  config.DefineString("nats_url", "nats://127.0.0.1:4222", "NATS server with JetStream");
  config.DefineInt("max_deliver", 5,
                   "deliveries of a failing event before it goes to the dead-letter stream");
  config.DefineInt("relay_batch", 512, "outbox rows published per pipelined batch");
  config.DefineString("fault_fail_event_type", "",
                      "fault drill: fail every consumed event of this type (it ends in the "
                      "dead-letter stream)");
  config.DefineBool("fault_skip_inbox", false,
                    "fault drill: neither check nor mark the inbox, so a redelivered event "
                    "is applied again (proves the crash matrix catches a broken guarantee)");
  config.DefineBool("fault_crash_after_commit_before_publish", false,
                    "fault drill: exit with code 87 right after the first commit that adds "
                    "outbox rows, before the relay publishes them");
  config.DefineDuration("outbox_retain", absl::Minutes(2),
                        "keep acked outbox rows this long and publish them again after a "
                        "restart, in case the broker lost them (0s deletes them at once)");
  config.DefineDuration("relay_flush_timeout", absl::Seconds(5),
                        "on shutdown, how long the relay may keep publishing what is left");
}

absl::StatusOr<std::unique_ptr<MessagingRuntime>> MessagingRuntime::Create(
    const config::Config& config, std::string service, storage::Store* store) {
  std::unique_ptr<MessagingRuntime> runtime(new MessagingRuntime());
  absl::StatusOr<std::unique_ptr<NatsClient>> client =
      NatsClient::Connect({.url = config.GetString("nats_url"), .name = service});
  if (!client.ok()) {
    logging::Error("cannot set up messaging", {{"error", client.status().ToString()}});
    return client.status();
  }
  runtime->client_ = std::move(*client);
  RelayOptions relay;
  relay.context = service;
  relay.batch_size = static_cast<int>(config.GetInt("relay_batch"));
  relay.retain = config.GetDuration("outbox_retain");
  relay.fault_crash_after_commit = config.GetBool("fault_crash_after_commit_before_publish");
  runtime->relay_ = std::make_unique<OutboxRelay>(store, runtime->client_.get(), relay,
                                                  &metrics::DefaultRegistry());
  ConsumerOptions consumer;
  consumer.service = service;
  consumer.max_deliver = static_cast<int>(config.GetInt("max_deliver"));
  consumer.fault_fail_event_type = config.GetString("fault_fail_event_type");
  consumer.fault_skip_inbox = config.GetBool("fault_skip_inbox");
  runtime->consumer_ = std::make_unique<EventConsumer>(store, runtime->client_.get(), consumer,
                                                       &metrics::DefaultRegistry());
  runtime->dead_letters_ = std::make_unique<DeadLetterService>(runtime->consumer_.get());
  runtime->flush_timeout_ = config.GetDuration("relay_flush_timeout");
  return runtime;
}

MessagingRuntime::~MessagingRuntime() { Stop(); }

void MessagingRuntime::Attach(server::Server& server, std::unique_ptr<storage::Store>& store,
                              std::function<void()> before_close) {
  server.AddService(dead_letters_.get());
  server.SetReadiness([&store] { return store->Check(); });
  server.OnDrained([this, &store, before_close = std::move(before_close)] {
    Stop();
    if (before_close) before_close();
    store.reset();
  });
}

void MessagingRuntime::Start() {
  started_ = true;
  relay_->Start();
  consumer_->Start();
}

void MessagingRuntime::Stop() {
  if (!started_) return;
  started_ = false;
  consumer_->Stop();
  relay_->Stop(flush_timeout_);
}

}  // namespace mesh::messaging
