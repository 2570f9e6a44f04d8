#include "libs/server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "libs/logging/logging.h"
#include "libs/metrics/server_interceptor.h"

namespace mesh::server {
namespace {

// The signal handler may only write to a pipe; Wait() reads it.
int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);
}

void InstallSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      logging::Error("cannot create the signal pipe", {{"errno", errno}});
      return;
    }
    struct sigaction action = {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
  });
}

}  // namespace

void DefineServerFlags(config::Config& config, int default_port, int default_metrics_port,
                       std::string default_data_dir) {
  config.DefineString("host", "127.0.0.1", "address to listen on (0.0.0.0 in a cluster)");
  config.DefineInt("port", default_port, "gRPC port");
  config.DefineInt("metrics_port", default_metrics_port,
                   "Prometheus /metrics HTTP port; -1 turns it off");
  config.DefineString("data_dir", std::move(default_data_dir), "RocksDB directory of this service");
  config.DefineString("log_level", "info", "debug, info, warn or error");
  config.DefineDuration("shutdown_grace", absl::Milliseconds(200),
                        "on SIGTERM, how long to report NOT_SERVING before refusing calls");
  config.DefineDuration("drain_timeout", absl::Seconds(15),
                        "on SIGTERM, how long in-flight calls may take to finish");
  config.DefineInt("blocking_threads", 64,
                   "threads for calls' blocking storage work; more lets RocksDB group more "
                   "commits into one fsync");
}

ServerOptions ServerOptionsFromConfig(std::string service_name, const config::Config& config) {
  ServerOptions options;
  options.service_name = std::move(service_name);
  options.host = config.GetString("host");
  options.port = static_cast<int>(config.GetInt("port"));
  options.metrics_port = static_cast<int>(config.GetInt("metrics_port"));
  options.shutdown_grace = config.GetDuration("shutdown_grace");
  options.drain_timeout = config.GetDuration("drain_timeout");
  return options;
}

bool InitService(config::Config& config, int argc, char** argv, std::string_view service_name,
                 int* exit_code) {
  // Debian's abseil is built with debug checks: absl::Mutex would otherwise
  // keep a lock graph on every acquisition (about 5% of a service's CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::Status parsed = config.Parse(argc, argv);
  if (config.help_requested()) {
    std::cout << config.Usage();
    *exit_code = 0;
    return false;
  }
  absl::StatusOr<logging::Level> level =
      parsed.ok() ? logging::ParseLevel(config.GetString("log_level"))
                  : absl::StatusOr<logging::Level>(logging::Level::kInfo);
  logging::Init(service_name, level.ok() ? *level : logging::Level::kInfo);
  if (!parsed.ok() || !level.ok()) {
    logging::Error("bad configuration",
                   {{"error", std::string(parsed.ok() ? level.status().message()
                                                      : parsed.message())}});
    std::cerr << config.Usage();
    *exit_code = 2;
    return false;
  }
  logging::Info("starting", {{"config", config.Dump()}});
  return true;
}

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  RequestShutdown();
  if (readiness_thread_.joinable()) readiness_thread_.join();
}

void Server::AddService(grpc::Service* service) { services_.push_back(service); }

void Server::SetReadiness(std::function<absl::Status()> check) { readiness_ = std::move(check); }

void Server::OnDrained(std::function<void()> hook) { drained_hooks_.push_back(std::move(hook)); }

void Server::OnShutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

int Server::metrics_port() const { return exporter_ ? exporter_->port() : -1; }

std::string Server::address() const { return absl::StrCat(options_.host, ":", port_); }

absl::Status Server::Start() {
  InstallSignalHandlers();
  // Reflection describes services from the generated descriptor pool; touching
  // the health descriptor keeps grpc.health.v1 linked in, so reflection can
  // describe the built-in health service too.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options_.host, ":", options_.port),
                           grpc::InsecureServerCredentials(), &port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(metrics::MakeServerMetricsInterceptorFactory(metrics::DefaultRegistry()));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::InternalError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
  }
  if (options_.metrics_port >= 0) {
    absl::StatusOr<std::unique_ptr<metrics::HttpExporter>> exporter =
        metrics::HttpExporter::Start(options_.host, options_.metrics_port,
                                     metrics::DefaultRegistry());
    if (!exporter.ok()) return exporter.status();
    exporter_ = std::move(*exporter);
  }
  SetServing(readiness_ ? readiness_().ok() : true);
  readiness_thread_ = std::thread([this] { WatchReadiness(); });
  logging::Info("serving", {{"address", address()}, {"metrics_port", metrics_port()}});
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  if (serving == serving_) return;
  serving_ = serving;
  server_->GetHealthCheckService()->SetServingStatus(serving);
  metrics::DefaultRegistry()
      .GetGauge("mesh_serving", "1 while the health service reports SERVING")
      .Set(serving ? 1 : 0);
}

void Server::WatchReadiness() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutting_down_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (shutting_down_ || !readiness_) continue;
    absl::Status ready = readiness_();
    if (!ready.ok() && serving_) logging::Warn("not ready", {{"error", ready.ToString()}});
    SetServing(ready.ok());
  }
}

void Server::RequestShutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  if (g_signal_pipe[1] >= 0) OnSignal(0);
}

int Server::Run() {
  if (absl::Status started = Start(); !started.ok()) {
    logging::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }
  Wait();
  return 0;
}

void Server::Wait() {
  if (server_ == nullptr) return;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shutting_down_) break;
    }
    pollfd fd = {g_signal_pipe[0], POLLIN, 0};
    if (poll(&fd, 1, 1000) > 0) {
      char buf[16];
      while (read(g_signal_pipe[0], buf, sizeof(buf)) > 0) {
      }
      break;
    }
  }
  RequestShutdown();
  if (readiness_thread_.joinable()) readiness_thread_.join();
  logging::Info("shutting down: reporting NOT_SERVING");
  {
    std::lock_guard<std::mutex> lock(mu_);
    server_->GetHealthCheckService()->SetServingStatus(false);
    serving_ = false;
  }
  absl::SleepFor(options_.shutdown_grace);
  for (const auto& hook : shutdown_hooks_) hook();
  logging::Info("draining in-flight calls");
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  for (auto it = drained_hooks_.rbegin(); it != drained_hooks_.rend(); ++it) (*it)();
  if (exporter_) exporter_->Stop();
  logging::Info("stopped");
}

}  // namespace mesh::server
