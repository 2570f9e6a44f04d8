// echo_server: the bare gRPC baseline of tools/bench. The same server stack
// as every service (libs/server: health, reflection, per-method metrics,
// graceful SIGTERM), with an EchoService that has no storage and no logic.
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/server/server.h"
#include "tools/loadgen/echo_service.h"

int main(int argc, char** argv) {
  mesh::config::Config config("echo_server", "ECHO_SERVER",
                              "mesh.bench.v1.EchoService: the bare gRPC baseline of tools/bench.");
  mesh::server::DefineServerFlags(config, 50050, 9450, "");
  config.DefineDuration("cpu_per_call", absl::ZeroDuration(),
                        "CPU time each call spends before answering; 0 for the bare baseline "
                        "(tools/bench's agreement stage makes the server the bottleneck with it)");
  int exit_code = 0;
  if (!mesh::server::InitService(config, argc, argv, "echo_server", &exit_code)) return exit_code;

  mesh::loadgen::EchoService service(config.GetDuration("cpu_per_call"));
  mesh::server::Server server(mesh::server::ServerOptionsFromConfig("echo_server", config));
  server.AddService(&service);
  return server.Run();
}
