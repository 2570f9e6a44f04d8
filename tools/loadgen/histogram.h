// Latency histograms with a bounded relative error. Values (nanoseconds, or
// any non-negative integer) are counted in log-linear buckets: values below
// 256 exactly, larger ones in 128 buckets per power of two. A percentile is
// reported as the highest value of its bucket, capped at the largest value
// recorded, so it never understates and overstates by at most 1/128 (0.8%).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace mesh::loadgen {

// Bucket arithmetic, exposed for tests.
inline constexpr int kSubBucketBits = 7;
// Number of buckets that together cover every uint64_t value.
int BucketCount();
int BucketIndex(uint64_t value);
// The smallest and the largest value counted in bucket `index`.
uint64_t BucketLowest(int index);
uint64_t BucketHighest(int index);

// A plain histogram: the percentile math. Not thread-safe; copy freely.
class HistogramSnapshot {
 public:
  HistogramSnapshot();

  void Record(uint64_t value, uint64_t times = 1);
  void Merge(const HistogramSnapshot& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;

  // The value at quantile q in [0, 1] (q = 0.99 for p99): the highest value
  // of the first bucket at which at least ceil(q * count) values are counted,
  // capped at max(). 0 when empty; q outside [0, 1] is clamped.
  uint64_t Percentile(double q) const;

 private:
  friend class LatencyHistogram;

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // Sum as a double: exact enough for a mean, and never overflows.
  double sum_ = 0;
};

// The recorder behind a running load: Record may be called from any number
// of threads at once and takes no lock. Snapshot may run concurrently with
// Record; it then sees some of the concurrent records.
class LatencyHistogram {
 public:
  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(uint64_t value);
  HistogramSnapshot Snapshot() const;

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
  std::atomic<uint64_t> max_{0};
  std::atomic<double> sum_{0};
};

}  // namespace mesh::loadgen
