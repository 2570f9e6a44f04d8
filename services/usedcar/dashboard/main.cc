// Wires the dashboard context: store, repository, view handlers, service,
// messaging runtime, server.
#include <memory>

#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/metrics/registry.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/usedcar/dashboard/dashboard_policy.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "services/usedcar/dashboard/dashboard_service.h"

int main(int argc, char** argv) {
  using namespace usedcar::dashboard;
  mesh::config::Config config(
      "dashboard", "DASHBOARD",
      "usedcar.dashboard: the buyer's view of purchase, payment, consignment and stock, built "
      "from events");
  mesh::server::DefineServerFlags(config, 50055, 9455, "var/dashboard");
  config.DefineBool("store_sync", false,
                    "fsync RocksDB's log on every commit (views can be rebuilt from events)");
  mesh::messaging::DefineMessagingFlags(config);
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "dashboard", &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
      mesh::server::OpenStore(config, DashboardRepository::ColumnFamilies());
  if (!store.ok()) return 1;
  DashboardRepository repository(store->get());

  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> messaging =
      mesh::messaging::MessagingRuntime::Create(config, "usedcar.dashboard", store->get());
  if (!messaging.ok()) return 1;
  DashboardPolicy policy(&repository, mesh::resilience::SystemClock(),
                         &mesh::metrics::DefaultRegistry());
  policy.Register((*messaging)->consumer());
  mesh::messaging::EventConsumer* consumer = &(*messaging)->consumer();
  DashboardService service(&repository, [consumer] { return consumer->Rewind(); });

  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("dashboard", config));
  server.AddService(&service);
  // End the watch streams as shutdown begins, so draining does not wait for them.
  server.OnShutdown([&] { service.Shutdown(); });
  (*messaging)->Attach(server, *store);
  (*messaging)->Start();
  return server.Run();
}
