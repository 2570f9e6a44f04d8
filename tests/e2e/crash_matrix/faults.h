// The crash matrix's fault plan and the injector that carries it out.
//
// The plan bounces every process in turn, each with SIGTERM and with
// SIGKILL, for a number of rounds, plus drills placed exactly where a crash
// hurts most:
//   - crash-after-charge: purchase exits (86) right after billing charged,
//     before it commits the sale;
//   - crash-after-commit: a service exits (87) right after a commit that
//     added outbox rows, before its relay publishes them;
//   - replay: a consumer is killed and its durable consumers are deleted, so
//     the broker delivers every event to it again (its inbox must absorb
//     them).
// Each fault has a point in the workload (the index of an operation), drawn
// from the seed; the injector holds the clients at that point, injects the
// fault, lets the clients go on and brings the process back meanwhile.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/messaging/nats_client.h"
#include "tests/e2e/crash_matrix/cluster.h"
#include "tests/e2e/crash_matrix/workload.h"

namespace mesh::crash_matrix {

// kExitedOnItsOwn is not injected: it records a process found dead that no
// fault had stopped (a crash of its own), which is then started again.
enum class FaultKind {
  kTerm,
  kKill,
  kCrashAfterCharge,
  kCrashAfterCommit,
  kReplay,
  kExitedOnItsOwn
};

// "SIGTERM", "SIGKILL", "crash-after-charge", "crash-after-commit", "replay",
// "EXITED ON ITS OWN".
const char* FaultName(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kKill;
  std::string target;  // a service name or kNats
  int64_t point = 0;   // the operation the clients are held at
  absl::Duration downtime;
};

struct FaultOptions {
  uint64_t seed = 1;
  // Bounced with SIGTERM and SIGKILL, `rounds` times each.
  std::vector<std::string> processes = {"billing",   "purchase",     "consign", "stock",
                                        "dashboard", "notification", kNats};
  int rounds = 2;
  int charge_drills = 2;
  int commit_drills = 4;
  std::vector<std::string> commit_targets = {"purchase", "billing", "consign", "stock"};
  int replay_drills = 2;
  std::vector<std::string> replay_targets = {"consign", "stock", "dashboard", "notification",
                                             "purchase"};
  absl::Duration max_downtime = absl::Milliseconds(500);
  // Longer than a service's drain (15 s) plus its relay flush (5 s).
  absl::Duration term_grace = absl::Seconds(30);
  // How long a drill may take to fire before it is called off.
  absl::Duration drill_wait = absl::Seconds(30);
  // How long the injector waits for the clients to reach a fault's point.
  absl::Duration reach_timeout = absl::Minutes(3);
};

// Deterministic in options. Points are spread over [5%, 95%] of `ops` and
// ascend in plan order.
std::vector<Fault> MakeFaultPlan(const FaultOptions& options, int64_t ops);

// What happened when a fault was injected.
struct FaultRecord {
  Fault fault;
  absl::Duration injected_at;   // since the run started
  absl::Duration recovered_at;  // the process serves again
  int64_t handed_out = 0;       // operations handed to the clients before it
  std::string outcome;          // e.g. "exit 0", "exit 86 (drill fired)"
  // Empty when the process behaved as promised: SIGTERM exits 0, a drill
  // exits with its code, every restart serves again.
  std::string problem;
};

class FaultInjector {
 public:
  // Neither is owned. `nats` is used to delete durables for replays.
  FaultInjector(Cluster* cluster, messaging::NatsClient* nats, FaultOptions options,
                absl::Time run_start)
      : cluster_(cluster), nats_(nats), options_(std::move(options)), run_start_(run_start) {}

  // Carries out the plan while the clients run over `dispatcher`, then
  // releases them. Must run on the thread that started the cluster. Every
  // process runs normally again when it returns (unless a restart failed,
  // which the record says).
  std::vector<FaultRecord> Run(const std::vector<Fault>& plan, Dispatcher& dispatcher);

  // Finds processes that died although no fault stopped them, records each
  // (a problem: a crash nobody asked for, noted at `handed_out` operations)
  // and starts it again. Run sweeps
  // before every fault; call it again afterwards from the same thread.
  std::vector<FaultRecord> Sweep(int64_t handed_out);

 private:
  // Injects the fault while the clients are held; Recover runs after they
  // are released.
  void Inject(FaultRecord& record);
  void Recover(FaultRecord& record);
  // Launches the service normally, retrying a failed start a few times.
  void Restart(const std::string& name, FaultRecord& record);
  // Waits for a drill to fire and records its exit status.
  void AwaitDrill(const std::string& name, int expected, FaultRecord& record);
  absl::Duration Since() const { return absl::Now() - run_start_; }

  Cluster* cluster_;
  messaging::NatsClient* nats_;
  FaultOptions options_;
  absl::Time run_start_;
  // Set by Inject when the drill already fired during its launch.
  bool fired_at_launch_ = false;
};

}  // namespace mesh::crash_matrix
