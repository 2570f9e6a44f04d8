// Drives an RpcClient: closed loop (a fixed number of calls outstanding, to
// find the highest rate) or open loop (a fixed rate on a fixed timetable, to
// measure latency at a given load without coordinated omission).
#pragma once

#include <cstdint>
#include <functional>

#include "tools/loadgen/report.h"
#include "tools/loadgen/rpc_client.h"
#include "tools/loadgen/schedule.h"

namespace mesh::loadgen {

struct RunOptions {
  // Closed loop (rate == 0): this many calls outstanding at all times; each
  // answer sends the next call on the same channel.
  int concurrency = 16;
  // Open loop (rate > 0): calls per second, due on OpenLoopSchedule.
  int64_t rate = 0;
  // Calls during the warmup are made but not measured.
  Nanos warmup = 2 * kNanosPerSecond;
  Nanos duration = 10 * kNanosPerSecond;
  // Open loop: a due call is dropped (and counted) while this many are
  // outstanding, and counted late when it leaves later than late_after.
  int64_t max_in_flight = 10'000;
  Nanos late_after = 1'000'000;
  // After the run, how long to wait for the calls still outstanding.
  Nanos drain_timeout = 15 * kNanosPerSecond;
  // Called about once a second, from a thread of the runner; may be empty.
  std::function<void(const Progress&)> on_progress;
};

// Runs the load and blocks until it is over: warmup + duration, then until
// every outstanding call is answered or drain_timeout passes. Fills every
// field of the result except rpc and target. `client` must outlive the
// calls: keep it until the process exits when the result has unfinished > 0.
RunResult Run(RpcClient& client, const RunOptions& options);

}  // namespace mesh::loadgen
