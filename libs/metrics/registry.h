#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mesh::metrics {

// Metrics in the Prometheus text exposition format 0.0.4 (DESIGN §3.9).
//
//   Registry& registry = DefaultRegistry();
//   Counter& paid = registry.GetCounter("purchase_paid_total", "Purchases paid.");
//   paid.Increment();
//   registry.AddCallbackGauge("outbox_depth", "Rows waiting in the outbox.", {},
//                             [&store] { return store.OutboxSize(); });
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names
// [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__", and not "le" on a
// histogram). Label order does not matter: labels are sorted by name, so
// {a,b} and {b,a} are one series. An invalid name, a repeated label name, or
// asking for a name that is already a metric of another type is a programming
// error and aborts the process.

using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing value. Lock-free; thread-safe.
class Counter {
 public:
  // `v` must be >= 0; negative or NaN increments are ignored so that the
  // counter never goes down.
  void Increment(double v = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Lock-free; thread-safe.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets. Observe is lock-free; thread-safe.
class Histogram {
 public:
  // `upper_bounds` are the finite bucket bounds; they are sorted and
  // de-duplicated, and +Inf is always implied.
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` into the first bucket whose bound is >= value. NaN is
  // ignored.
  void Observe(double value);
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

  struct Snapshot {
    std::vector<double> upper_bounds;  // finite bounds, ascending
    std::vector<uint64_t> cumulative;  // one per bound, then one for +Inf
    uint64_t count = 0;                // == cumulative.back()
    double sum = 0;
  };
  // A self-consistent copy: count equals the +Inf bucket even while other
  // threads observe.
  Snapshot Collect() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Seconds, 100 µs to 10 s in 16 steps of 1-2.5-5.
std::vector<double> DefaultLatencyBuckets();

// Thread-safe. Metrics are never removed (except callback gauges, see below),
// so returned references stay valid for the registry's lifetime. Get* with a
// name and labels already registered returns the same metric; the first help
// text given for a name is kept.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // `buckets` apply when this call creates the series.
  Histogram& GetHistogram(std::string_view name, std::string_view help, const Labels& labels = {},
                          std::vector<double> buckets = DefaultLatencyBuckets());

  // A gauge whose value is `fn()` at every scrape (outbox depth, consumer
  // lag, ...). Adding the same name and labels again replaces the function.
  // `fn` runs on the scraping thread without the registry's lock held, so it
  // may use the registry; it must stay callable until RemoveCallbackGauge or
  // the registry's destruction.
  void AddCallbackGauge(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> fn);
  // Forgets a callback gauge; a no-op if there is none. Once this returns the
  // function is not running and is never called again, so its captures may
  // be destroyed. Must not be called from inside that same function.
  void RemoveCallbackGauge(std::string_view name, const Labels& labels);

  // Every family, sorted by name: "# HELP" and "# TYPE" once, then one line
  // per series (sorted by labels). Histograms give cumulative _bucket lines
  // with an "le" label ending in +Inf, then _sum and _count.
  std::string RenderText() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;

  // Finds or creates the series; aborts on a type clash.
  Series& FindOrCreate(std::string_view name, std::string_view help, Type type,
                       const Labels& labels) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry that the server bootstrap exports. Never
// destroyed.
Registry& DefaultRegistry();

// Formats a sample value as Prometheus expects: integers without a
// fraction, otherwise the shortest round-trip form; "NaN", "+Inf", "-Inf".
std::string FormatValue(double value);

}  // namespace mesh::metrics
