#include "tools/loadgen/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace mesh::loadgen {
namespace {

using SteadyClock = std::chrono::steady_clock;

// User plus system CPU time of the whole process, in seconds.
double ProcessCpuSeconds() {
  rusage usage = {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Everything the calls in flight touch. Shared with every completion
// callback, so it outlives a run that stops waiting for stragglers.
struct RunState {
  SteadyClock::time_point start;
  Nanos measure_begin = 0;
  Nanos measure_end = 0;

  LatencyHistogram latency;
  LatencyHistogram send_lag;
  std::array<std::atomic<int64_t>, kStatusCodes> codes{};
  std::array<std::atomic<bool>, kStatusCodes> sampled{};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> dropped{0};
  std::atomic<int64_t> late{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> completed_total{0};
  std::atomic<int64_t> next_sequence{0};

  std::mutex mu;
  std::map<int, std::string> samples;
  std::condition_variable drained;

  Nanos Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start)
        .count();
  }

  void Record(const grpc::Status& status, Nanos latency_ns) {
    int code = static_cast<int>(status.error_code());
    if (code < 0 || code >= kStatusCodes) code = static_cast<int>(grpc::StatusCode::UNKNOWN);
    codes[code].fetch_add(1, std::memory_order_relaxed);
    latency.Record(static_cast<uint64_t>(std::max<Nanos>(0, latency_ns)));
    if (code == 0) return;
    errors.fetch_add(1, std::memory_order_relaxed);
    if (!sampled[code].exchange(true)) {
      std::lock_guard<std::mutex> lock(mu);
      samples[code] = status.error_message();
    }
  }

  // One call answered. The last one out wakes the runner.
  void Finish() {
    completed_total.fetch_add(1, std::memory_order_relaxed);
    if (in_flight.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mu);
      drained.notify_all();
    }
  }
};

// One closed-loop slot: sends a call and, when it is answered before the end,
// the next one. The next call is sent before this one counts as finished, so
// in_flight reaches 0 only once every slot has stopped.
void SendClosed(const std::shared_ptr<RunState>& state, RpcClient* client, int slot) {
  const int64_t sequence = state->next_sequence.fetch_add(1, std::memory_order_relaxed);
  const Nanos sent = state->Now();
  state->in_flight.fetch_add(1);
  client->Start(sequence, slot % client->channels(),
                [state, client, slot, sent](const grpc::Status& status) {
                  const Nanos now = state->Now();
                  if (now >= state->measure_begin && now < state->measure_end) {
                    state->Record(status, now - sent);
                  }
                  if (now < state->measure_end) SendClosed(state, client, slot);
                  state->Finish();
                });
}

void RunClosedLoop(const std::shared_ptr<RunState>& state, RpcClient& client,
                   const RunOptions& options) {
  for (int slot = 0; slot < options.concurrency; ++slot) SendClosed(state, &client, slot);
  std::this_thread::sleep_until(state->start + std::chrono::nanoseconds(state->measure_end));
}

void RunOpenLoop(const std::shared_ptr<RunState>& state, RpcClient& client,
                 const RunOptions& options) {
  const OpenLoopSchedule schedule(options.rate, options.warmup, options.duration);
  const int channels = client.channels();
  int64_t next = 0;
  while (next < schedule.total_calls()) {
    const Nanos now = state->Now();
    for (const int64_t due = schedule.DueBy(now); next < due; ++next) {
      const Nanos intended = schedule.IntendedOffset(next);
      const bool measured = schedule.Measured(next);
      const Admission admission =
          Admit(intended, now, state->in_flight.load(std::memory_order_relaxed),
                options.max_in_flight, options.late_after);
      if (admission == Admission::kDrop) {
        if (measured) state->dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (measured) {
        if (admission == Admission::kSendLate) state->late.fetch_add(1, std::memory_order_relaxed);
        state->send_lag.Record(static_cast<uint64_t>(std::max<Nanos>(0, now - intended)));
      }
      state->in_flight.fetch_add(1);
      client.Start(next, static_cast<int>(next % channels),
                   [state, intended, measured](const grpc::Status& status) {
                     // From the intended send time: a call that left late
                     // because the client fell behind still counts the wait.
                     if (measured) state->Record(status, state->Now() - intended);
                     state->Finish();
                   });
    }
    if (next < schedule.total_calls()) {
      std::this_thread::sleep_until(state->start +
                                    std::chrono::nanoseconds(schedule.IntendedOffset(next)));
    }
  }
}

}  // namespace

RunResult Run(RpcClient& client, const RunOptions& options) {
  auto state = std::make_shared<RunState>();
  state->measure_begin = options.warmup;
  state->measure_end = options.warmup + options.duration;
  const bool open_loop = options.rate > 0;

  std::mutex progress_mu;
  std::condition_variable progress_cv;
  bool finished = false;
  std::thread progress;
  const double cpu_at_start = ProcessCpuSeconds();
  state->start = SteadyClock::now();
  if (options.on_progress) {
    progress = std::thread([&] {
      int64_t last_completed = 0;
      Nanos last = 0;
      std::unique_lock<std::mutex> lock(progress_mu);
      while (!progress_cv.wait_for(lock, std::chrono::seconds(1), [&] { return finished; })) {
        Progress p;
        p.elapsed = state->Now();
        p.total = state->measure_end;
        p.phase = p.elapsed < state->measure_begin ? "warmup"
                  : p.elapsed < state->measure_end ? "measure"
                                                   : "drain";
        const int64_t completed = state->completed_total.load();
        p.rate = static_cast<double>(completed - last_completed) * 1e9 /
                 static_cast<double>(std::max<Nanos>(1, p.elapsed - last));
        last_completed = completed;
        last = p.elapsed;
        p.in_flight = state->in_flight.load();
        p.errors = state->errors.load();
        p.dropped = state->dropped.load();
        p.p99 = state->latency.Snapshot().Percentile(0.99);
        options.on_progress(p);
      }
    });
  }

  if (open_loop) {
    RunOpenLoop(state, client, options);
  } else {
    RunClosedLoop(state, client, options);
  }
  {
    std::unique_lock<std::mutex> lock(state->mu);
    state->drained.wait_for(lock, std::chrono::nanoseconds(options.drain_timeout),
                            [&] { return state->in_flight.load() == 0; });
  }
  if (progress.joinable()) {
    {
      std::lock_guard<std::mutex> lock(progress_mu);
      finished = true;
    }
    progress_cv.notify_all();
    progress.join();
  }

  RunResult result;
  result.client_cpu_seconds = ProcessCpuSeconds() - cpu_at_start;
  result.open_loop = open_loop;
  result.channels = client.channels();
  result.concurrency = open_loop ? 0 : options.concurrency;
  result.rate = open_loop ? options.rate : 0;
  result.warmup = options.warmup;
  result.duration = options.duration;
  result.latency = state->latency.Snapshot();
  for (int code = 0; code < kStatusCodes; ++code) result.codes[code] = state->codes[code].load();
  {
    std::lock_guard<std::mutex> lock(state->mu);
    result.error_samples = state->samples;
  }
  if (open_loop) {
    result.intended = OpenLoopSchedule(options.rate, options.warmup, options.duration)
                          .measured_calls();
    result.dropped = state->dropped.load();
    result.late = state->late.load();
    result.send_lag = state->send_lag.Snapshot();
  }
  result.unfinished = state->in_flight.load();
  result.calls_total = state->completed_total.load();
  return result;
}

}  // namespace mesh::loadgen
