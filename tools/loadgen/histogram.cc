#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mesh::loadgen {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
// Values below this are their own bucket: both halves of the first
// power-of-two range are exact.
constexpr uint64_t kExactLimit = kSubBuckets << 1;

}  // namespace

int BucketCount() { return BucketIndex(UINT64_MAX) + 1; }

int BucketIndex(uint64_t value) {
  if (value < kExactLimit) return static_cast<int>(value);
  const int shift = (63 - std::countl_zero(value)) - kSubBucketBits;
  return static_cast<int>((static_cast<uint64_t>(shift) << kSubBucketBits) + (value >> shift));
}

uint64_t BucketLowest(int index) {
  const uint64_t i = static_cast<uint64_t>(index);
  if (i < kExactLimit) return i;
  const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
  return (i - (static_cast<uint64_t>(shift) << kSubBucketBits)) << shift;
}

uint64_t BucketHighest(int index) {
  const uint64_t i = static_cast<uint64_t>(index);
  if (i < kExactLimit) return i;
  const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
  return BucketLowest(index) + ((uint64_t{1} << shift) - 1);
}

HistogramSnapshot::HistogramSnapshot() : counts_(BucketCount(), 0) {}

void HistogramSnapshot::Record(uint64_t value, uint64_t times) {
  if (times == 0) return;
  counts_[BucketIndex(value)] += times;
  count_ += times;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value) * static_cast<double>(times);
}

void HistogramSnapshot::Merge(const HistogramSnapshot& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double HistogramSnapshot::mean() const {
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_);
}

uint64_t HistogramSnapshot::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The epsilon keeps 0.999 * 1000 (999.0000000000001 in binary) at rank 999.
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_) - 1e-9)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(static_cast<int>(i)), max_);
  }
  return max_;
}

LatencyHistogram::LatencyHistogram()
    : counts_(std::make_unique<std::atomic<uint64_t>[]>(BucketCount())) {}

void LatencyHistogram::Record(uint64_t value) {
  counts_[BucketIndex(value)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(static_cast<double>(value), std::memory_order_relaxed);
  uint64_t seen = min_.load(std::memory_order_relaxed);
  while (value < seen && !min_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
  seen = max_.load(std::memory_order_relaxed);
  while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot LatencyHistogram::Snapshot() const {
  HistogramSnapshot snapshot;
  const int buckets = BucketCount();
  for (int i = 0; i < buckets; ++i) {
    snapshot.counts_[i] = counts_[i].load(std::memory_order_relaxed);
    snapshot.count_ += snapshot.counts_[i];
  }
  snapshot.min_ = min_.load(std::memory_order_relaxed);
  snapshot.max_ = max_.load(std::memory_order_relaxed);
  snapshot.sum_ = sum_.load(std::memory_order_relaxed);
  // A record running concurrently may have counted its bucket but not yet
  // moved min or max; widen them to the buckets, so that the snapshot stays
  // self-consistent (count from the buckets, max at least the last bucket).
  if (snapshot.count_ > 0) {
    int first = 0;
    while (snapshot.counts_[first] == 0) ++first;
    int last = buckets - 1;
    while (snapshot.counts_[last] == 0) --last;
    snapshot.min_ = std::min(snapshot.min_, BucketHighest(first));
    snapshot.max_ = std::max(snapshot.max_, BucketLowest(last));
  }
  return snapshot;
}

}  // namespace mesh::loadgen
