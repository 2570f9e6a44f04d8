// Wires the consign context: store, repository, service, event policies,
// messaging runtime and server.
#include <memory>

#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/usedcar/consign/consign_policy.h"
#include "services/usedcar/consign/consign_service.h"
#include "services/usedcar/consign/consignment_repository.h"

int main(int argc, char** argv) {
  using namespace usedcar::consign;
  mesh::config::Config config("consign", "CONSIGN",
                              "usedcar.consign: ships paid cars to their buyers (탁송)");
  mesh::server::DefineServerFlags(config, 50053, 9453, "var/consign");
  mesh::messaging::DefineMessagingFlags(config);
  config.DefineBool("store_sync", true, "fsync RocksDB's log on every commit");
  config.DefineBool("auto_dispatch", true,
                    "consign a car as soon as its purchase is paid; when false it stays "
                    "SCHEDULED until MarkConsigned");
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "consign", &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
      mesh::server::OpenStore(config, ConsignmentRepository::ColumnFamilies());
  if (!store.ok()) return 1;
  ConsignmentRepository repository(store->get());
  ConsignService service(&repository, mesh::resilience::SystemClock());
  ConsignPolicy policy(&repository, mesh::resilience::SystemClock(),
                       {.auto_dispatch = config.GetBool("auto_dispatch")});

  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> runtime =
      mesh::messaging::MessagingRuntime::Create(config, "usedcar.consign", store->get());
  if (!runtime.ok()) return 1;
  RegisterPolicies((*runtime)->consumer(), policy);

  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("consign", config));
  server.AddService(&service);
  (*runtime)->Attach(server, *store);
  (*runtime)->Start();
  return server.Run();
}
