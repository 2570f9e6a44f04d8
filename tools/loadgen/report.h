// What a load run measured, and how it is printed: the JSON file tools/bench
// reads, the one-line summary on stdout and the progress line on stderr.
// Pure functions; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tools/loadgen/histogram.h"
#include "tools/loadgen/schedule.h"

namespace mesh::loadgen {

// gRPC status codes, OK (0) to UNAUTHENTICATED (16).
inline constexpr int kStatusCodes = 17;

struct RunResult {
  std::string rpc;
  std::string target;
  bool open_loop = false;
  int channels = 1;
  // Closed loop: calls kept outstanding.
  int concurrency = 0;
  // Open loop: calls per second offered.
  int64_t rate = 0;
  Nanos warmup = 0;
  Nanos duration = 0;

  // The measured calls: those that completed inside the measurement window
  // (closed loop), or those due inside it (open loop). Latency in
  // nanoseconds, from the send (closed loop) or from the intended send time
  // (open loop).
  HistogramSnapshot latency;
  std::array<int64_t, kStatusCodes> codes{};
  // The first message seen for each non-OK code.
  std::map<int, std::string> error_samples;

  // Open loop only. Calls due in the window, calls not sent because
  // max_in_flight were outstanding, calls sent later than the tolerance, and
  // how late calls left (nanoseconds after their intended time).
  int64_t intended = 0;
  int64_t dropped = 0;
  int64_t late = 0;
  HistogramSnapshot send_lag;

  // Calls still unanswered when the run stopped waiting for them.
  int64_t unfinished = 0;

  // Every call answered, warmup and stragglers included, and the CPU time
  // (user + system) the load generator's process spent meanwhile: what the
  // client takes from a machine it shares with the server.
  int64_t calls_total = 0;
  double client_cpu_seconds = 0;

  int64_t completed() const;
  int64_t ok() const { return codes[0]; }
  int64_t errors() const { return completed() - ok(); }
  // Completed calls per second of measurement window.
  double achieved_rate() const;
};

// "OK", "UNAVAILABLE", ...; "CODE_<n>" outside 0..16.
std::string CodeName(int code);

// `text` as the inside of a JSON string literal.
std::string JsonEscape(std::string_view text);

// The whole result as one JSON object (latencies in milliseconds):
// {"rpc":…, "mode":"closed"|"open", "rate":…, "ok_rate":…,
//  "latency_ms":{"p50","p90","p99","p999","max","mean","min"},
//  "status_codes":{"OK":n,…}, "error_samples":{…}, "open_loop":{…},
//  "client_cpu_us_per_call":…, …}
std::string ToJson(const RunResult& result);

// One line for stdout, e.g.
// "echo closed c=64 ch=2: 25012.3/s, p50 1.020 ms, p90 …, errors 0".
std::string SummaryLine(const RunResult& result);

// A snapshot of a run in progress.
struct Progress {
  Nanos elapsed = 0;
  Nanos total = 0;
  std::string_view phase;
  // Completions per second over the last interval.
  double rate = 0;
  int64_t in_flight = 0;
  int64_t errors = 0;
  int64_t dropped = 0;
  // p99 of the measured calls so far; 0 before any.
  uint64_t p99 = 0;
};

// "[  3.0s/12.0s] measure    12345/s  in-flight 64  errors 0  p99 1.234 ms".
std::string ProgressLine(const Progress& progress);

}  // namespace mesh::loadgen
