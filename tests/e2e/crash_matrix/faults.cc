#include "tests/e2e/crash_matrix/faults.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "tests/e2e/crash_matrix/streams.h"

namespace mesh::crash_matrix {
namespace {

// The exit codes of the drills (services/usedcar/purchase and libs/messaging).
constexpr int kCrashAfterChargeExit = 86;
constexpr int kCrashAfterCommitExit = 87;
// Operations the clients may start after a drill is armed, at least: a drill
// fires only when traffic reaches its spot.
constexpr int64_t kOpsForADrill = 64;

}  // namespace

const char* FaultName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kTerm:
      return "SIGTERM";
    case FaultKind::kKill:
      return "SIGKILL";
    case FaultKind::kCrashAfterCharge:
      return "crash-after-charge";
    case FaultKind::kCrashAfterCommit:
      return "crash-after-commit";
    case FaultKind::kReplay:
      return "replay";
    case FaultKind::kExitedOnItsOwn:
      return "EXITED ON ITS OWN";
  }
  return "?";
}

std::vector<Fault> MakeFaultPlan(const FaultOptions& options, int64_t ops) {
  std::mt19937_64 rng(options.seed ^ 0x5eedfa17ULL);
  std::vector<Fault> plan;
  // Rounds visit every process once per signal, each round in its own order.
  for (int round = 0; round < options.rounds; ++round) {
    for (FaultKind kind : {FaultKind::kTerm, FaultKind::kKill}) {
      std::vector<std::string> order = options.processes;
      std::shuffle(order.begin(), order.end(), rng);
      for (const std::string& process : order)
        plan.push_back(Fault{.kind = kind, .target = process});
    }
  }
  std::vector<Fault> drills;
  for (int i = 0; i < options.charge_drills; ++i) {
    drills.push_back(Fault{.kind = FaultKind::kCrashAfterCharge, .target = "purchase"});
  }
  for (int i = 0; i < options.commit_drills && !options.commit_targets.empty(); ++i) {
    drills.push_back(Fault{.kind = FaultKind::kCrashAfterCommit,
                           .target = options.commit_targets[i % options.commit_targets.size()]});
  }
  for (int i = 0; i < options.replay_drills && !options.replay_targets.empty(); ++i) {
    drills.push_back(Fault{.kind = FaultKind::kReplay,
                           .target = options.replay_targets[i % options.replay_targets.size()]});
  }
  for (Fault& drill : drills) {
    const size_t at = std::uniform_int_distribution<size_t>(0, plan.size())(rng);
    plan.insert(plan.begin() + static_cast<std::ptrdiff_t>(at), std::move(drill));
  }
  std::vector<int64_t> points;
  std::uniform_real_distribution<double> where(0.05, 0.95);
  for (size_t i = 0; i < plan.size(); ++i) {
    points.push_back(static_cast<int64_t>(where(rng) * static_cast<double>(ops)));
  }
  std::sort(points.begin(), points.end());
  std::uniform_int_distribution<int64_t> downtime(
      0, std::max<int64_t>(0, absl::ToInt64Milliseconds(options.max_downtime)));
  for (size_t i = 0; i < plan.size(); ++i) {
    plan[i].point = points[i];
    plan[i].downtime = absl::Milliseconds(downtime(rng));
  }
  return plan;
}

std::vector<FaultRecord> FaultInjector::Run(const std::vector<Fault>& plan,
                                            Dispatcher& dispatcher) {
  std::vector<FaultRecord> records;
  for (size_t i = 0; i < plan.size(); ++i) {
    FaultRecord record;
    record.fault = plan[i];
    // While the clients work towards the point, a process that dies on its
    // own is recorded and brought back, or the clients would wait for it.
    const absl::Time give_up = absl::Now() + options_.reach_timeout;
    bool reached = false;
    while (!reached && absl::Now() < give_up) {
      reached = dispatcher.WaitUntilHeld(absl::Seconds(1));
      for (FaultRecord& crashed : Sweep(dispatcher.handed_out())) {
        records.push_back(std::move(crashed));
      }
    }
    if (!reached) {
      record.problem = "the clients did not reach the fault's point in time; injected late";
    }
    record.handed_out = dispatcher.handed_out();
    record.injected_at = Since();
    Inject(record);
    // The clients go on while the process comes back: they see the outage.
    // A drill fires only on traffic, so it gets some even when the next
    // fault's point is already reached.
    int64_t hold = i + 1 < plan.size() ? plan[i + 1].point : INT64_MAX;
    if (record.fault.kind == FaultKind::kCrashAfterCharge ||
        record.fault.kind == FaultKind::kCrashAfterCommit) {
      hold = std::max(hold, record.handed_out + kOpsForADrill);
    }
    dispatcher.HoldAt(hold);
    Recover(record);
    record.recovered_at = Since();
    records.push_back(std::move(record));
  }
  dispatcher.Release();
  for (FaultRecord& crashed : Sweep(dispatcher.handed_out())) records.push_back(std::move(crashed));
  return records;
}

std::vector<FaultRecord> FaultInjector::Sweep(int64_t handed_out) {
  std::vector<FaultRecord> found;
  auto record = [&](const std::string& name, std::string outcome) {
    FaultRecord crashed;
    crashed.fault = Fault{.kind = FaultKind::kExitedOnItsOwn, .target = name};
    crashed.injected_at = Since();
    crashed.handed_out = handed_out;
    crashed.outcome = std::move(outcome);
    crashed.problem = "died although no fault stopped it";
    return crashed;
  };
  for (const ServiceSpec& spec : Services()) {
    if (cluster_->Running(spec.name)) continue;
    absl::StatusOr<int> code = cluster_->WaitExit(spec.name, absl::ZeroDuration());
    FaultRecord crashed = record(
        spec.name, absl::StrCat(code.ok() ? absl::StrCat("exit ", *code) : code.status().ToString(),
                                "; last log line: ", cluster_->LastLogLine(spec.name)));
    Restart(spec.name, crashed);
    crashed.recovered_at = Since();
    found.push_back(std::move(crashed));
  }
  if (!cluster_->NatsRunning()) {
    FaultRecord crashed = record(kNats, "nats-server exited");
    absl::Status started = cluster_->StartNats();
    if (!started.ok())
      crashed.problem += absl::StrCat("; and did not come back: ", started.ToString());
    crashed.recovered_at = Since();
    found.push_back(std::move(crashed));
  }
  return found;
}

void FaultInjector::Inject(FaultRecord& record) {
  const Fault& fault = record.fault;
  fired_at_launch_ = false;
  if (fault.target == kNats) {
    if (fault.kind == FaultKind::kTerm) {
      absl::Status stopped = cluster_->StopNats();
      record.outcome = stopped.ok() ? "stopped" : stopped.ToString();
      if (!stopped.ok()) record.problem = "nats-server did not stop cleanly on SIGTERM";
    } else {
      cluster_->KillNats();
      record.outcome = "killed";
    }
    return;
  }
  switch (fault.kind) {
    case FaultKind::kTerm: {
      absl::StatusOr<int> code = cluster_->Terminate(fault.target, options_.term_grace);
      record.outcome = code.ok() ? absl::StrCat("exit ", *code) : code.status().ToString();
      if (!code.ok() || *code != 0) record.problem = "SIGTERM did not end in a clean exit 0";
      return;
    }
    case FaultKind::kKill:
      cluster_->Kill(fault.target);
      record.outcome = "killed";
      return;
    case FaultKind::kExitedOnItsOwn:
      return;
    case FaultKind::kReplay: {
      cluster_->Kill(fault.target);
      absl::StatusOr<DeletedDurables> deleted = absl::UnavailableError("no service");
      if (const ServiceSpec* spec = FindService(fault.target); spec != nullptr) {
        // The broker may be coming back from a bounce of its own.
        for (int attempt = 0; attempt < 50; ++attempt) {
          deleted = DeleteDurables(*nats_, spec->context);
          if (deleted.ok()) break;
          absl::SleepFor(absl::Milliseconds(200));
        }
      }
      record.outcome = deleted.ok()
                           ? absl::StrCat("killed, ", deleted->deleted, " durables deleted, ",
                                          deleted->delivered, " events to redeliver")
                           : deleted.status().ToString();
      if (!deleted.ok()) record.problem = "could not delete the durables";
      return;
    }
    case FaultKind::kCrashAfterCharge:
    case FaultKind::kCrashAfterCommit: {
      // A clean stop first, so that the drill's launch is the only crash.
      absl::StatusOr<int> code = cluster_->Terminate(fault.target, options_.term_grace);
      if (!code.ok() || *code != 0) {
        record.problem = "SIGTERM before the drill did not end in a clean exit 0";
      }
      const std::string flag = fault.kind == FaultKind::kCrashAfterCharge
                                   ? "--fault_crash_after_charge=true"
                                   : "--fault_crash_after_commit_before_publish=true";
      absl::StatusOr<LaunchResult> launched = cluster_->Launch(fault.target, {flag});
      if (!launched.ok()) {
        record.problem = absl::StrCat("the drill's launch failed: ", launched.status().ToString());
      } else if (launched->exited.has_value()) {
        // Events waiting for it made the drill fire during start-up.
        fired_at_launch_ = true;
        const int expected = fault.kind == FaultKind::kCrashAfterCharge ? kCrashAfterChargeExit
                                                                        : kCrashAfterCommitExit;
        record.outcome = absl::StrCat("exit ", *launched->exited, " at start-up");
        if (*launched->exited != expected) {
          record.problem = absl::StrCat("the drill exited ", *launched->exited, ", not ", expected);
        }
      }
      return;
    }
  }
}

void FaultInjector::Recover(FaultRecord& record) {
  const Fault& fault = record.fault;
  if (fault.kind == FaultKind::kCrashAfterCharge) {
    if (!fired_at_launch_) AwaitDrill(fault.target, kCrashAfterChargeExit, record);
  } else if (fault.kind == FaultKind::kCrashAfterCommit) {
    if (!fired_at_launch_) AwaitDrill(fault.target, kCrashAfterCommitExit, record);
  }
  absl::SleepFor(fault.downtime);
  if (fault.target == kNats) {
    absl::Status started = cluster_->StartNats();
    if (!started.ok()) {
      record.problem = absl::StrCat("nats-server did not come back: ", started.ToString());
    }
    return;
  }
  Restart(fault.target, record);
}

void FaultInjector::AwaitDrill(const std::string& name, int expected, FaultRecord& record) {
  absl::StatusOr<int> code = cluster_->WaitExit(name, options_.drill_wait);
  if (code.ok()) {
    record.outcome = absl::StrCat("exit ", *code);
    if (*code != expected) {
      record.problem = absl::StrCat("the drill exited ", *code, ", not ", expected);
    }
    return;
  }
  // Nothing reached the drill's spot in time (e.g. no traffic for it).
  absl::StatusOr<int> stopped = cluster_->Terminate(name, options_.term_grace);
  record.outcome = absl::StrCat(
      "drill did not fire within ", absl::FormatDuration(options_.drill_wait), "; stopped with ",
      stopped.ok() ? absl::StrCat("exit ", *stopped) : stopped.status().ToString());
  record.problem = "the drill did not fire";
}

void FaultInjector::Restart(const std::string& name, FaultRecord& record) {
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<LaunchResult> launched = cluster_->Launch(name);
    if (launched.ok() && !launched->exited.has_value()) return;
    last = launched.ok()
               ? absl::InternalError(absl::StrCat("exited at start-up with ", *launched->exited))
               : launched.status();
  }
  record.problem = absl::StrCat(name, " did not come back: ", last.ToString());
}

}  // namespace mesh::crash_matrix
