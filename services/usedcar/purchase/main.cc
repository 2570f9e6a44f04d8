// Wires the purchase context: store, billing client, service, resolver, server.
#include <memory>

#include "grpcpp/grpcpp.h"
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/metrics/registry.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/usedcar/purchase/billing_client.h"
#include "services/usedcar/purchase/purchase_policy.h"
#include "services/usedcar/purchase/purchase_repository.h"
#include "services/usedcar/purchase/purchase_resolver.h"
#include "services/usedcar/purchase/purchase_service.h"

int main(int argc, char** argv) {
  using namespace usedcar::purchase;
  mesh::config::Config config("purchase", "PURCHASE",
                              "usedcar.purchase: buyers purchase cars and pay through billing");
  mesh::server::DefineServerFlags(config, 50052, 9452, "var/purchase");
  config.DefineBool("store_sync", true, "fsync RocksDB's log on every commit");
  config.DefineString("billing_target", "127.0.0.1:50051", "billing's gRPC address");
  config.DefineDuration("billing_timeout", absl::Seconds(2),
                        "deadline of one billing call, cut to the caller's own deadline");
  config.DefineInt("billing_max_in_flight", 256, "bulkhead: billing calls in flight at most");
  config.DefineInt("breaker_window", 20, "breaker: calls in the sliding window");
  config.DefineInt("breaker_minimum_calls", 10, "breaker: calls needed before it may open");
  config.DefineDouble("breaker_failure_rate", 0.5, "breaker: failure rate that opens it");
  config.DefineDuration("breaker_slow_call", absl::Seconds(1), "breaker: a call this slow is slow");
  config.DefineDouble("breaker_slow_rate", 0.8, "breaker: slow-call rate that opens it");
  config.DefineDuration("breaker_open", absl::Seconds(5), "breaker: how long it stays open");
  config.DefineInt("breaker_trial_calls", 3, "breaker: trial calls when half-open");
  config.DefineInt("retry_max_attempts", 3, "attempts per billing call with an idempotency key");
  config.DefineDuration("resolve_interval", absl::Seconds(2),
                        "how often unsettled purchases are settled with billing");
  config.DefineBool("fault_crash_after_charge", false,
                    "fault drill: exit right after billing charged, before committing");
  mesh::messaging::DefineMessagingFlags(config);
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "purchase", &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
      mesh::server::OpenStore(config, PurchaseRepository::ColumnFamilies());
  if (!store.ok()) return 1;
  PurchaseRepository repository(store->get());

  mesh::resilience::GuardOptions guard;
  guard.call_timeout = config.GetDuration("billing_timeout");
  guard.max_in_flight = static_cast<int>(config.GetInt("billing_max_in_flight"));
  guard.breaker.window_size = static_cast<int>(config.GetInt("breaker_window"));
  guard.breaker.minimum_calls = static_cast<int>(config.GetInt("breaker_minimum_calls"));
  guard.breaker.failure_rate_threshold = config.GetDouble("breaker_failure_rate");
  guard.breaker.slow_call_duration = config.GetDuration("breaker_slow_call");
  guard.breaker.slow_call_rate_threshold = config.GetDouble("breaker_slow_rate");
  guard.breaker.open_duration = config.GetDuration("breaker_open");
  guard.breaker.half_open_trial_calls = static_cast<int>(config.GetInt("breaker_trial_calls"));
  guard.retry.max_attempts = static_cast<int>(config.GetInt("retry_max_attempts"));
  BillingClient billing(
      grpc::CreateChannel(config.GetString("billing_target"), grpc::InsecureChannelCredentials()),
      guard, mesh::resilience::SystemClock(), &mesh::metrics::DefaultRegistry());

  mesh::server::BlockingPool pool(static_cast<int>(config.GetInt("blocking_threads")));
  PurchaseService service(&repository, &billing, mesh::resilience::SystemClock(),
                          {.crash_after_charge = config.GetBool("fault_crash_after_charge")},
                          &pool);
  PurchaseResolver resolver(&repository, &billing, guard.call_timeout + absl::Seconds(1));

  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> messaging =
      mesh::messaging::MessagingRuntime::Create(config, "usedcar.purchase", store->get());
  if (!messaging.ok()) return 1;
  PurchasePolicy policy(&repository, &billing);
  policy.Register((*messaging)->consumer());

  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("purchase", config));
  server.AddService(&service);
  (*messaging)->Attach(server, *store);
  // Added after Attach, so it runs first: the resolver stops before consuming
  // stops, the outbox flushes and the store closes.
  server.OnDrained([&] { resolver.Stop(); });
  // The resolver's first pass may commit events at once, and the relay sets
  // the store's outbox listener as it starts: relay first.
  (*messaging)->Start();
  resolver.Start(config.GetDuration("resolve_interval"));
  return server.Run();
}
