#include "tests/e2e/crash_matrix/cluster.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/status/status.h"
#include "libs/testing/ports.h"

namespace mesh::crash_matrix {

const std::vector<ServiceSpec>& Services() {
  static const auto* kServices = new std::vector<ServiceSpec>{
      {"billing", "services/billing/billing", "billing", false},
      {"purchase", "services/usedcar/purchase/purchase", "usedcar.purchase", true},
      {"consign", "services/usedcar/consign/consign", "usedcar.consign", true},
      {"stock", "services/usedcar/stock/stock", "usedcar.stock", true},
      {"dashboard", "services/usedcar/dashboard/dashboard", "usedcar.dashboard", true},
      {"notification", "services/notification/notification", "notification", true},
  };
  return *kServices;
}

const ServiceSpec* FindService(const std::string& name) {
  for (const ServiceSpec& spec : Services()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options)));
  std::error_code ec;
  std::filesystem::create_directories(cluster->options_.work_dir + "/logs", ec);
  if (ec) return absl::InternalError(absl::StrCat("create the log directory: ", ec.message()));
  absl::StatusOr<std::unique_ptr<testing::NatsServer>> nats =
      testing::NatsServer::Start(cluster->options_.work_dir + "/nats");
  if (!nats.ok()) return nats.status();
  cluster->nats_ = std::move(*nats);
  for (const ServiceSpec& spec : Services()) {
    cluster->ports_[spec.name] = testing::FreePort();
    grpc::ChannelArguments args;
    // The default reconnect backoff grows to seconds; a restarted service
    // should see its clients again at once.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
    cluster->channels_[spec.name] = grpc::CreateCustomChannel(
        cluster->address(spec.name), grpc::InsecureChannelCredentials(), args);
  }
  for (const ServiceSpec& spec : Services()) {
    absl::StatusOr<LaunchResult> launched = cluster->Launch(spec.name);
    if (!launched.ok()) return launched.status();
    if (launched->exited.has_value()) {
      return absl::InternalError(
          absl::StrCat(spec.name, " exited at start-up with status ", *launched->exited));
    }
  }
  return cluster;
}

Cluster::~Cluster() { KillAll(); }

void Cluster::KillAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, process] : processes_) {
    if (process) process->Kill();
  }
  if (nats_) nats_->Kill();
}

std::string Cluster::address(const std::string& name) const {
  auto port = ports_.find(name);
  return port == ports_.end() ? "" : absl::StrCat("127.0.0.1:", port->second);
}

std::shared_ptr<grpc::Channel> Cluster::channel(const std::string& name) const {
  auto channel = channels_.find(name);
  return channel == channels_.end() ? nullptr : channel->second;
}

std::vector<std::string> Cluster::logs(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(name);
  return it == logs_.end() ? std::vector<std::string>{} : it->second;
}

std::string Cluster::LastLogLine(const std::string& name) const {
  std::vector<std::string> all = logs(name);
  if (all.empty()) return "";
  std::ifstream log(all.back());
  std::string line, last;
  while (std::getline(log, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

absl::StatusOr<LaunchResult> Cluster::Launch(const std::string& name,
                                             const std::vector<std::string>& drill) {
  const ServiceSpec* spec = FindService(name);
  if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown service ", name));
  if (Running(name)) return absl::FailedPreconditionError(absl::StrCat(name, " is running"));
  testing::ProcessOptions options;
  options.binary = absl::StrCat(options_.build_dir, "/", spec->binary);
  options.args = {"--host=127.0.0.1",
                  absl::StrCat("--port=", ports_.at(name)),
                  "--metrics_port=-1",
                  absl::StrCat("--data_dir=", options_.work_dir, "/", name),
                  absl::StrCat("--nats_url=", nats_->url()),
                  absl::StrCat("--log_level=", options_.log_level),
                  "--shutdown_grace=50ms"};
  if (name == "purchase") {
    options.args.push_back(absl::StrCat("--billing_target=", address("billing")));
    // A breaker that stays open for seconds after each billing bounce would
    // only slow the run down; a resolver that waits long leaves purchases
    // pending for the convergence wait.
    for (const char* flag :
         {"--billing_timeout=1s", "--breaker_open=500ms", "--resolve_interval=500ms"}) {
      options.args.push_back(flag);
    }
  }
  auto extra = options_.extra_flags.find(name);
  if (extra != options_.extra_flags.end()) {
    options.args.insert(options.args.end(), extra->second.begin(), extra->second.end());
  }
  options.args.insert(options.args.end(), drill.begin(), drill.end());
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string>& logs = logs_[name];
    options.log_path =
        absl::StrCat(options_.work_dir, "/logs/", name, ".", logs.size() + 1, ".log");
    logs.push_back(options.log_path);
  }
  absl::StatusOr<std::unique_ptr<testing::Process>> started = testing::Process::Start(options);
  if (!started.ok()) return started.status();
  testing::Process* process = started->get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    processes_[name] = std::move(*started);
  }
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  absl::Status serving = absl::UnavailableError("not started");
  while (absl::Now() < deadline) {
    if (!process->Running()) {
      absl::StatusOr<int> code = process->Wait(absl::ZeroDuration());
      if (!code.ok()) return code.status();
      return LaunchResult{.exited = *code};
    }
    // Short waits, so that a drill that exits at start-up is seen at once.
    serving = testing::WaitForServing(address(name), absl::Milliseconds(500));
    if (serving.ok()) return LaunchResult{};
  }
  process->Kill();
  return absl::UnavailableError(absl::StrCat(name, " did not report SERVING within ",
                                             absl::FormatDuration(options_.start_timeout), ": ",
                                             serving.message(), "; log ", options.log_path));
}

bool Cluster::Running(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = processes_.find(name);
  return it != processes_.end() && it->second != nullptr && it->second->Running();
}

absl::StatusOr<testing::Process*> Cluster::Started(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = processes_.find(name);
  if (it == processes_.end() || it->second == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(name, " was never started"));
  }
  return it->second.get();
}

absl::StatusOr<int> Cluster::Terminate(const std::string& name, absl::Duration grace) {
  ASSIGN_OR_RETURN(testing::Process * process, Started(name));
  return process->Terminate(grace);
}

void Cluster::Kill(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = processes_.find(name);
  if (it != processes_.end() && it->second != nullptr) it->second->Kill();
}

absl::StatusOr<int> Cluster::WaitExit(const std::string& name, absl::Duration timeout) {
  ASSIGN_OR_RETURN(testing::Process * process, Started(name));
  return process->Wait(timeout);
}

absl::Status Cluster::StopNats() { return nats_->Stop(); }

void Cluster::KillNats() { nats_->Kill(); }

absl::Status Cluster::StartNats() { return nats_->Restart(); }

}  // namespace mesh::crash_matrix
