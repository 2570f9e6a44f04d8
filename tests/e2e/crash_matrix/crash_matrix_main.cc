// The crash matrix (issue "nothing lost, nothing twice"): runs every used-car
// process for real, drives a seeded workload through them while bouncing each
// process with SIGTERM and SIGKILL and firing the crash drills, waits for the
// system to settle, and checks DESIGN §3's promises over every service's own
// API and the streams. Prints a report, writes it to --report, and exits 0
// when every invariant holds, 1 on any violation, 2 when the run itself
// could not be carried out.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/config/config.h"
#include "libs/messaging/nats_client.h"
#include "libs/testing/paths.h"
#include "tests/e2e/crash_matrix/cluster.h"
#include "tests/e2e/crash_matrix/faults.h"
#include "tests/e2e/crash_matrix/invariants.h"
#include "tests/e2e/crash_matrix/report.h"
#include "tests/e2e/crash_matrix/snapshot.h"
#include "tests/e2e/crash_matrix/workload.h"

namespace mesh::crash_matrix {
namespace {

constexpr int kViolation = 1;
constexpr int kBroken = 2;

void DefineFlags(config::Config& config) {
  config.DefineInt("seed", 1, "seed of the workload and of the fault plan");
  config.DefineInt("purchases", 2000, "purchases in the workload (conflict purchases included)");
  config.DefineInt("buyers", 16, "distinct buyers");
  config.DefineInt("cars", 40, "ordinary cars (conflict cars come on top)");
  config.DefineDouble("cancel_share", 0.15,
                      "share of ordinary purchases the buyer cancels once paid");
  config.DefineInt("conflicts", 20, "pairs of buyers racing for a car with one unit");
  config.DefineInt("stock_ins", 80, "stock-ins during the run");
  config.DefineInt("clients", 4, "client threads");
  config.DefineDuration("call_timeout", absl::Seconds(5), "deadline of one client call");
  config.DefineDuration("give_up_after", absl::Seconds(120),
                        "a client gives up on an operation after retrying it this long");
  config.DefineString("processes", "billing,purchase,consign,stock,dashboard,notification,nats",
                      "processes bounced with SIGTERM and SIGKILL");
  config.DefineInt("rounds", 2, "times each process is bounced with each signal");
  config.DefineInt("charge_drills", 2,
                   "purchase crashes right after billing charged, before it commits (exit 86)");
  config.DefineInt("commit_drills", 4,
                   "crashes right after a commit, before the relay publishes it (exit 87)");
  config.DefineString("commit_targets", "purchase,billing,consign,stock",
                      "services the commit drills visit in turn");
  config.DefineInt("replay_drills", 2,
                   "consumers killed with their durables deleted, so every event comes again");
  config.DefineString("replay_targets", "consign,stock,dashboard,notification,purchase",
                      "services the replay drills visit in turn");
  config.DefineDuration("max_downtime", absl::Milliseconds(500),
                        "longest time a bounced process stays down (drawn from the seed)");
  config.DefineDuration("converge_timeout", absl::Seconds(120),
                        "how long the system may take to settle after the workload");
  config.DefineString("skip_inbox_in", "",
                      "services started with --fault_skip_inbox=true: switches a guarantee off "
                      "to show that the harness catches it");
  config.DefineString("report", "", "also write the report to this file");
  config.DefineString("work_dir", "",
                      "data and logs; empty: a fresh temporary directory, removed after a pass");
  config.DefineBool("keep_failed_work_dir", true,
                    "keep the temporary work directory (data and logs) when the run fails");
  config.DefineString("build_dir", "",
                      "where the service binaries are; empty: this binary's build");
  config.DefineString("service_log_level", "info", "--log_level of every service");
}

std::vector<std::string> List(const std::string& csv) {
  return absl::StrSplit(csv, ',', absl::SkipWhitespace());
}

// Waits until nothing moves (no unsettled purchase, no consumer backlog, no
// stream growing for a few seconds), then checks. A violation found at rest
// is checked again a few times, in case something was still on its way
// (e.g. a relay backing off); the timeout bounds it all.
std::vector<InvariantResult> SettleAndCheck(const Cluster& cluster, messaging::NatsClient& nats,
                                            const Plan& plan, const Workload& workload,
                                            FaultInjector& injector, absl::Duration timeout,
                                            RunReport& report) {
  std::vector<FaultRecord>& faults = report.faults;
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + timeout;
  constexpr int kQuietPolls = 3;
  constexpr int kChecksAtRest = 3;
  std::vector<uint64_t> last_seqs;
  std::string moving = "not polled yet";
  int rounds = 0, quiet = 0, failed_at_rest = 0;
  for (;;) {
    const bool final_round = absl::Now() >= deadline;
    // A process that dies now is a violation too; it is started again so
    // that the rest can still be checked.
    for (FaultRecord& crashed : injector.Sweep(static_cast<int64_t>(plan.ops.size()))) {
      faults.push_back(std::move(crashed));
    }
    absl::StatusOr<std::string> still = StillMoving(cluster, nats);
    std::vector<uint64_t> seqs;
    for (const std::string& stream : StoryStreams()) {
      absl::StatusOr<uint64_t> seq = LastSequence(nats, stream);
      seqs.push_back(seq.ok() ? *seq : 0);
    }
    moving = still.ok() ? *still : still.status().ToString();
    quiet = still.ok() && still->empty() && seqs == last_seqs ? quiet + 1 : 0;
    const bool at_rest = quiet >= kQuietPolls;
    last_seqs = seqs;
    if (at_rest || final_round) {
      ++rounds;
      absl::StatusOr<Snapshot> snapshot = TakeSnapshot(cluster, nats, plan.buyers);
      std::vector<InvariantResult> results;
      if (snapshot.ok()) {
        const Facts facts = IndexFacts(*snapshot);
        results = CheckInvariants(Evidence{.snapshot = *snapshot,
                                           .facts = facts,
                                           .plan = plan,
                                           .outcomes = workload.outcomes(),
                                           .initial_outcomes = workload.initial_outcomes(),
                                           .faults = faults});
        report.stream_events.clear();
        for (const auto& [name, contents] : snapshot->streams) {
          report.stream_events[name] = contents.events.size();
        }
      } else {
        InvariantResult failed{.name = "snapshot_taken",
                               .promise = "every service and the broker answer after the run"};
        failed.Fail(snapshot.status().ToString());
        results.push_back(std::move(failed));
      }
      bool all_pass = true;
      for (const InvariantResult& result : results) all_pass = all_pass && result.passed();
      failed_at_rest += at_rest && !all_pass;
      if (all_pass || final_round || failed_at_rest >= kChecksAtRest) {
        report.convergence = absl::StrCat(
            at_rest ? "settled" : absl::StrCat("did NOT settle (", moving, ")"), "; checked ",
            rounds, " time(s), ",
            absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(100))),
            " after the workload");
        return results;
      }
      std::cerr << "crash_matrix: violations remain; checking again once more has settled\n";
    }
    absl::SleepFor(absl::Seconds(1));
  }
}

int Run(int argc, char** argv) {
  config::Config config("crash_matrix", "CRASH_MATRIX",
                        "Kills every used-car process during a seeded workload and checks that "
                        "nothing was lost, applied twice, or charged without a sale.");
  DefineFlags(config);
  if (absl::Status parsed = config.Parse(argc, argv); !parsed.ok()) {
    std::cerr << parsed << "\n" << config.Usage();
    return kBroken;
  }
  if (config.help_requested()) {
    std::cout << config.Usage();
    return 0;
  }
  const absl::Time run_start = absl::Now();
  RunReport report;
  report.settings = config.Dump();

  WorkloadOptions workload_options;
  workload_options.seed = static_cast<uint64_t>(config.GetInt("seed"));
  workload_options.purchases = static_cast<int>(config.GetInt("purchases"));
  workload_options.buyers = static_cast<int>(config.GetInt("buyers"));
  workload_options.cars = static_cast<int>(config.GetInt("cars"));
  workload_options.cancel_share = config.GetDouble("cancel_share");
  workload_options.conflicts = static_cast<int>(config.GetInt("conflicts"));
  workload_options.stock_ins = static_cast<int>(config.GetInt("stock_ins"));
  workload_options.clients = static_cast<int>(config.GetInt("clients"));
  workload_options.call_timeout = config.GetDuration("call_timeout");
  workload_options.give_up_after = config.GetDuration("give_up_after");
  report.workload = workload_options;

  FaultOptions fault_options;
  fault_options.seed = workload_options.seed;
  fault_options.processes = List(config.GetString("processes"));
  fault_options.rounds = static_cast<int>(config.GetInt("rounds"));
  fault_options.charge_drills = static_cast<int>(config.GetInt("charge_drills"));
  fault_options.commit_drills = static_cast<int>(config.GetInt("commit_drills"));
  fault_options.commit_targets = List(config.GetString("commit_targets"));
  fault_options.replay_drills = static_cast<int>(config.GetInt("replay_drills"));
  fault_options.replay_targets = List(config.GetString("replay_targets"));
  fault_options.max_downtime = config.GetDuration("max_downtime");
  fault_options.reach_timeout = workload_options.give_up_after + absl::Minutes(1);

  std::unique_ptr<testing::TempDir> temp_dir;
  std::string work_dir = config.GetString("work_dir");
  if (work_dir.empty()) {
    temp_dir = std::make_unique<testing::TempDir>();
    work_dir = temp_dir->path();
  }
  report.work_dir = work_dir;
  ClusterOptions cluster_options;
  cluster_options.build_dir =
      config.GetString("build_dir").empty() ? testing::BuildDir() : config.GetString("build_dir");
  cluster_options.work_dir = work_dir;
  cluster_options.log_level = config.GetString("service_log_level");
  for (const std::string& service : List(config.GetString("skip_inbox_in"))) {
    cluster_options.extra_flags[service].emplace_back("--fault_skip_inbox=true");
  }

  std::cerr << "crash_matrix: starting nats-server and every service in " << work_dir << "\n";
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::cerr << "crash_matrix: cannot start the system: " << cluster.status() << "\n";
    if (temp_dir) setenv("MESH_KEEP_TEST_DIRS", "1", 1);
    return kBroken;
  }
  absl::StatusOr<std::unique_ptr<messaging::NatsClient>> nats =
      messaging::NatsClient::Connect({.url = (*cluster)->nats_url(), .name = "crash_matrix"});
  if (!nats.ok()) {
    std::cerr << "crash_matrix: cannot connect to nats-server: " << nats.status() << "\n";
    return kBroken;
  }

  const Plan plan = MakePlan(workload_options);
  Workload workload(plan, workload_options, (*cluster)->channel("purchase"),
                    (*cluster)->channel("stock"));
  if (absl::Status stocked = workload.StockInitial(); !stocked.ok()) {
    std::cerr << "crash_matrix: " << stocked << "\n";
    return kBroken;
  }
  const std::vector<Fault> fault_plan =
      MakeFaultPlan(fault_options, static_cast<int64_t>(plan.ops.size()));
  std::cerr << "crash_matrix: " << plan.ops.size() << " operations, " << fault_plan.size()
            << " faults\n";

  Dispatcher dispatcher(static_cast<int64_t>(plan.ops.size()));
  if (!fault_plan.empty()) dispatcher.HoldAt(fault_plan.front().point);
  const absl::Time workload_start = absl::Now();
  workload.Start(&dispatcher);
  FaultInjector injector(cluster->get(), nats->get(), fault_options, run_start);
  report.faults = injector.Run(fault_plan, dispatcher);
  workload.Join();
  for (FaultRecord& crashed : injector.Sweep(static_cast<int64_t>(plan.ops.size()))) {
    report.faults.push_back(std::move(crashed));
  }
  report.workload_time = absl::Now() - workload_start;
  report.plan = &plan;
  report.outcomes = &workload.outcomes();
  report.calls = workload.stats();
  std::cerr << "crash_matrix: workload done in " << report.workload_time
            << "; waiting for the system to settle\n";

  report.results = SettleAndCheck(**cluster, **nats, plan, workload, injector,
                                  config.GetDuration("converge_timeout"), report);
  report.total_time = absl::Now() - run_start;
  (*cluster)->KillAll();

  const std::string text = FormatReport(report);
  std::cout << text << std::flush;
  if (const std::string path = config.GetString("report"); !path.empty()) {
    std::ofstream file(path);
    file << text;
    if (!file) std::cerr << "crash_matrix: cannot write the report to " << path << "\n";
  }
  const bool passed = Passed(report);
  // A failed run keeps its data and logs for the post-mortem.
  if (!passed && temp_dir && config.GetBool("keep_failed_work_dir")) {
    setenv("MESH_KEEP_TEST_DIRS", "1", 1);
  }
  return passed ? 0 : kViolation;
}

}  // namespace
}  // namespace mesh::crash_matrix

int main(int argc, char** argv) { return mesh::crash_matrix::Run(argc, argv); }
