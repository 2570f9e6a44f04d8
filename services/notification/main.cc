// Wires the notification context: store, rules, channels, the background
// sender, the event consumer and the query API.
#include <memory>
#include <string>
#include <vector>

#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/metrics/registry.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/notification/delivery_sender.h"
#include "services/notification/log_sink_channel.h"
#include "services/notification/notification_policy.h"
#include "services/notification/notification_repository.h"
#include "services/notification/notification_service.h"
#include "services/notification/rules.h"
#include "services/notification/webhook_channel.h"

int main(int argc, char** argv) {
  using namespace notification;
  mesh::config::Config config(
      "notification", "NOTIFICATION",
      "notification: turns every domain's events into messages for people (KakaoTalk alerts)");
  mesh::server::DefineServerFlags(config, 50056, 9456, "var/notification");
  mesh::messaging::DefineMessagingFlags(config);
  config.DefineBool("store_sync", true, "fsync RocksDB's log on every commit");
  config.DefineString("log_sink_path", "",
                      "file the log sink appends one JSON object per line to; "
                      "empty means <data_dir>/notifications.jsonl");
  config.DefineString("webhook_url", "",
                      "URL each notification is POSTed to as JSON; empty turns the webhook off");
  config.DefineDuration("webhook_timeout", absl::Seconds(2),
                        "limit on connecting to, writing to and reading from the webhook");
  config.DefineInt("delivery_max_attempts", 5, "tries per sink before a delivery is FAILED");
  config.DefineDuration("delivery_backoff", absl::Seconds(1),
                        "wait before the first retry; doubles per retry");
  config.DefineDuration("delivery_max_backoff", absl::Minutes(1), "longest wait between retries");
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "notification", &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
      mesh::server::OpenStore(config, NotificationRepository::ColumnFamilies());
  if (!store.ok()) return 1;
  NotificationRepository repository(store->get());

  std::string log_sink_path = config.GetString("log_sink_path");
  if (log_sink_path.empty()) log_sink_path = config.GetString("data_dir") + "/notifications.jsonl";
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> log_sink = LogSinkChannel::Open(log_sink_path);
  if (!log_sink.ok()) {
    mesh::logging::Error("cannot open the log sink", {{"error", log_sink.status().ToString()}});
    return 1;
  }
  std::vector<Channel*> channels = {log_sink->get()};
  std::unique_ptr<WebhookChannel> webhook;
  if (const std::string url = config.GetString("webhook_url"); !url.empty()) {
    absl::StatusOr<std::unique_ptr<WebhookChannel>> created =
        WebhookChannel::Create(url, config.GetDuration("webhook_timeout"));
    if (!created.ok()) {
      mesh::logging::Error("bad webhook", {{"error", created.status().ToString()}});
      return 1;
    }
    webhook = std::move(*created);
    channels.push_back(webhook.get());
  }
  std::vector<std::string> sinks;
  for (Channel* channel : channels) sinks.push_back(channel->name());

  SenderOptions sender_options;
  sender_options.retry.max_attempts = static_cast<int>(config.GetInt("delivery_max_attempts"));
  sender_options.retry.initial_backoff = config.GetDuration("delivery_backoff");
  sender_options.retry.max_backoff = config.GetDuration("delivery_max_backoff");
  DeliverySender sender(&repository, channels, mesh::resilience::SystemClock(), sender_options,
                        &mesh::metrics::DefaultRegistry());
  NotificationPolicy policy(&repository, AllRules(), sinks, mesh::resilience::SystemClock(),
                            &mesh::metrics::DefaultRegistry());
  policy.OnCreated([&sender] { sender.Wake(); });

  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> runtime =
      mesh::messaging::MessagingRuntime::Create(config, "notification", store->get());
  if (!runtime.ok()) return 1;
  for (const NotificationPolicy::Subscription& subscription : policy.Subscriptions()) {
    (*runtime)->consumer().On(
        subscription.producer, subscription.event_type,
        [&policy](const common::v1::EventEnvelope& event, mesh::storage::UnitOfWork& work) {
          return policy.Handle(event, work);
        });
  }

  NotificationService service(&repository);
  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("notification", config));
  server.AddService(&service);
  // Once drained: stop consuming, then stop sending, then close the store
  // both of them write to.
  (*runtime)->Attach(server, *store, [&] { sender.Stop(); });
  if (absl::Status started = server.Start(); !started.ok()) {
    mesh::logging::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }
  sender.Start();
  (*runtime)->Start();
  server.Wait();
  return 0;
}
