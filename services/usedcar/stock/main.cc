// Wires the stock context: store, repository, service, event policies,
// messaging runtime and server.
#include <memory>

#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/usedcar/stock/stock_policy.h"
#include "services/usedcar/stock/stock_repository.h"
#include "services/usedcar/stock/stock_service.h"

int main(int argc, char** argv) {
  using namespace usedcar::stock;
  mesh::config::Config config("stock", "STOCK",
                              "usedcar.stock: the cars on hand (재고), taken by consignments");
  mesh::server::DefineServerFlags(config, 50054, 9454, "var/stock");
  mesh::messaging::DefineMessagingFlags(config);
  config.DefineBool("store_sync", true, "fsync RocksDB's log on every commit");
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "stock", &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
      mesh::server::OpenStore(config, StockRepository::ColumnFamilies());
  if (!store.ok()) return 1;
  StockRepository repository(store->get());
  StockService service(&repository, mesh::resilience::SystemClock());
  StockPolicy policy(&repository, mesh::resilience::SystemClock());

  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> runtime =
      mesh::messaging::MessagingRuntime::Create(config, kProducer, store->get());
  if (!runtime.ok()) return 1;
  RegisterPolicies((*runtime)->consumer(), policy);

  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("stock", config));
  server.AddService(&service);
  (*runtime)->Attach(server, *store);
  (*runtime)->Start();
  return server.Run();
}
