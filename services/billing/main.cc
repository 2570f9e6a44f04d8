// billing: the payment service every domain calls (DESIGN §1).
#include <memory>
#include <string>
#include <utility>

#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/messaging/runtime.h"
#include "libs/resilience/clock.h"
#include "libs/server/server.h"
#include "libs/server/store_flags.h"
#include "libs/storage/store.h"
#include "services/billing/billing_service.h"
#include "services/billing/payment_repository.h"

int main(int argc, char** argv) {
  mesh::config::Config config("billing", "BILLING",
                              "The payment service shared by every domain: Pay, Authorize, "
                              "Capture, Cancel, Refund, GetPayment, ListPayments.");
  mesh::server::DefineServerFlags(config, 50051, 9451, "var/billing");
  config.DefineBool("store_sync", true,
                    "fsync RocksDB's write-ahead log on every commit (this is money)");
  config.DefineDuration("fault_latency", absl::ZeroDuration(),
                        "fault drill: answer Pay, Authorize and Capture this much later");
  config.DefineDouble("fault_failure_rate", 0,
                      "fault drill: fraction (0..1) of Pay, Authorize and Capture calls that "
                      "fail with UNAVAILABLE and charge nothing");
  mesh::messaging::DefineMessagingFlags(config);
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "billing", &exit_code)) return exit_code;

  billing::FaultOptions faults;
  faults.latency = config.GetDuration("fault_latency");
  faults.failure_rate = config.GetDouble("fault_failure_rate");
  if (absl::Status valid = billing::ValidateFaultOptions(faults); !valid.ok()) {
    mesh::logging::Error("bad configuration", {{"error", std::string(valid.message())}});
    return 2;
  }
  if (faults.latency > absl::ZeroDuration() || faults.failure_rate > 0) {
    mesh::logging::Warn("fault drill armed",
                        {{"fault_latency", absl::FormatDuration(faults.latency)},
                         {"fault_failure_rate", faults.failure_rate}});
  }

  absl::StatusOr<std::unique_ptr<mesh::storage::Store>> opened =
      mesh::server::OpenStore(config, billing::PaymentRepository::ColumnFamilies());
  if (!opened.ok()) return 1;
  std::unique_ptr<mesh::storage::Store> store = *std::move(opened);

  billing::PaymentRepository repository(*store, mesh::resilience::SystemClock());
  mesh::server::BlockingPool pool(static_cast<int>(config.GetInt("blocking_threads")));
  billing::BillingService service(repository, faults, &pool);

  // Billing only produces: its outbox relay publishes PayApproved and friends.
  absl::StatusOr<std::unique_ptr<mesh::messaging::MessagingRuntime>> messaging =
      mesh::messaging::MessagingRuntime::Create(config, "billing", store.get());
  if (!messaging.ok()) return 1;
  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("billing", config));
  server.AddService(&service);
  (*messaging)->Attach(server, store);
  (*messaging)->Start();
  return server.Run();
}
