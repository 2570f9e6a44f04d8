// The bootstrap every service shares: a gRPC server with reflection, the
// standard health service, per-method metrics, a Prometheus endpoint, and a
// graceful SIGTERM (DESIGN §3.7).
//
// Shutdown order on SIGTERM/SIGINT or RequestShutdown():
//   1. health reports NOT_SERVING, so load balancers stop sending;
//   2. after shutdown_grace, the server stops accepting and in-flight calls
//      finish (up to drain_timeout, then they are cancelled);
//   3. the OnDrained hooks run, newest first (flush the relay, close the store).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "libs/config/config.h"
#include "libs/metrics/http_exporter.h"
#include "libs/metrics/registry.h"

namespace mesh::server {

struct ServerOptions {
  std::string service_name;
  std::string host = "127.0.0.1";
  int port = 0;          // 0 picks a free port; see Server::port()
  int metrics_port = 0;  // 0 picks a free port; -1 turns the endpoint off
  absl::Duration shutdown_grace = absl::Milliseconds(200);
  absl::Duration drain_timeout = absl::Seconds(15);
};

// Defines host, port, metrics_port, data_dir, log_level, shutdown_grace,
// drain_timeout and blocking_threads with these defaults.
void DefineServerFlags(config::Config& config, int default_port, int default_metrics_port,
                       std::string default_data_dir);
ServerOptions ServerOptionsFromConfig(std::string service_name, const config::Config& config);

// Parses flags and environment, sets up JSON logging, and prints usage for
// --help. Returns false when main should exit (code in *exit_code).
bool InitService(config::Config& config, int argc, char** argv, std::string_view service_name,
                 int* exit_code);

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Services are not owned and must outlive the server.
  void AddService(grpc::Service* service);
  // Readiness: health is SERVING only while this returns OK. Checked at start
  // and every second. Depends on the local store, never on the broker.
  void SetReadiness(std::function<absl::Status()> check);
  void OnDrained(std::function<void()> hook);
  // Runs once shutdown begins, after NOT_SERVING and before the server stops
  // accepting: end long-lived streams here, or draining waits drain_timeout for them.
  void OnShutdown(std::function<void()> hook);

  // Binds and starts serving. INTERNAL when the port cannot be bound.
  absl::Status Start();
  int port() const { return port_; }
  int metrics_port() const;
  std::string address() const;

  // Blocks until a shutdown is requested, then runs the shutdown sequence.
  void Wait();
  // Start, then Wait: main's last line. Returns the process's exit code: 1
  // (after logging "cannot start") when the server cannot start, else 0.
  int Run();
  // Safe from any thread; the signal handler does the same.
  void RequestShutdown();

 private:
  void SetServing(bool serving);
  void WatchReadiness();

  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::function<absl::Status()> readiness_;
  std::vector<std::function<void()>> drained_hooks_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::HttpExporter> exporter_;
  int port_ = 0;
  std::thread readiness_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  bool serving_ = false;
};

}  // namespace mesh::server
