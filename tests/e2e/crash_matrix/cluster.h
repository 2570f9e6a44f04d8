// The system under test for the crash matrix: a real nats-server and every
// used-car service as real processes on free loopback ports, each with its
// own RocksDB under one work directory, started, signalled and restarted on
// demand.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/process.h"

namespace mesh::crash_matrix {

// The name of the broker in fault plans and reports.
inline constexpr char kNats[] = "nats";

// One row of the service table.
struct ServiceSpec {
  std::string name;     // "purchase"
  std::string binary;   // relative to the build directory
  std::string context;  // the messaging service name, e.g. "usedcar.purchase"
  bool consumes;        // whether it owns durable consumers
};

// Every service, in start order (billing before purchase, which calls it).
const std::vector<ServiceSpec>& Services();
// The row of `name`; nullptr for an unknown name (and for kNats).
const ServiceSpec* FindService(const std::string& name);

struct ClusterOptions {
  std::string build_dir;
  // Data, logs and the broker's store go below it.
  std::string work_dir;
  std::string log_level = "info";
  // Flags added to every launch of a service, e.g. a fault drill that stays
  // on for the whole run: {"dashboard", {"--fault_skip_inbox=true"}}.
  std::map<std::string, std::vector<std::string>> extra_flags;
  absl::Duration start_timeout = absl::Seconds(30);
};

// How one launch ended up.
struct LaunchResult {
  // Set when the process exited before it reported SERVING (a drill that
  // fires at start-up); the value is its exit status.
  std::optional<int> exited;
};

// Processes are started from the thread that calls Start and Launch, and die
// when that thread exits (testing::Process): call them from one long-lived
// thread. address() and channel() may be called from any thread. Other
// methods are thread-compatible.
class Cluster {
 public:
  // Starts nats-server and every service, and waits until each is SERVING.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();  // kills every process it started that still runs

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts the service with its flags plus `drill` (for this launch only)
  // and waits until it is SERVING, or until it exits (a drill that fires at
  // once). The service must not be running. UNAVAILABLE if it neither
  // serves nor exits within the start timeout (it is killed then).
  absl::StatusOr<LaunchResult> Launch(const std::string& name,
                                      const std::vector<std::string>& drill = {});
  // SIGTERM, then SIGKILL after `grace`; returns the exit status.
  absl::StatusOr<int> Terminate(const std::string& name, absl::Duration grace);
  // SIGKILL. No-op if not running.
  void Kill(const std::string& name);
  // Waits for the process to exit on its own; DEADLINE_EXCEEDED if it still runs.
  absl::StatusOr<int> WaitExit(const std::string& name, absl::Duration timeout);
  bool Running(const std::string& name);

  // The broker: SIGTERM (OK if it shut down cleanly), SIGKILL, start again.
  absl::Status StopNats();
  void KillNats();
  absl::Status StartNats();
  bool NatsRunning() const { return nats_->Running(); }

  std::string address(const std::string& name) const;
  std::string nats_url() const { return nats_->url(); }
  // A channel that reconnects quickly after the service restarts.
  std::shared_ptr<grpc::Channel> channel(const std::string& name) const;
  // The log files of every launch of the service, oldest first.
  std::vector<std::string> logs(const std::string& name) const;
  // The last line of the newest log of the service ("" if none).
  std::string LastLogLine(const std::string& name) const;

  void KillAll();

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  // The process of a service started before; FAILED_PRECONDITION otherwise.
  absl::StatusOr<testing::Process*> Started(const std::string& name) const;

  ClusterOptions options_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::map<std::string, int> ports_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<testing::Process>> processes_;
  std::map<std::string, std::vector<std::string>> logs_;
};

}  // namespace mesh::crash_matrix
