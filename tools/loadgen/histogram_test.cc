#include "tools/loadgen/histogram.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mesh::loadgen {
namespace {

TEST(HistogramTest, BucketIndex_ValueBelow256_HasABucketOfItsOwn) {
  for (uint64_t v = 0; v < 256; ++v) {
    const int index = BucketIndex(v);
    EXPECT_EQ(BucketLowest(index), v);
    EXPECT_EQ(BucketHighest(index), v);
  }
}

TEST(HistogramTest, BucketIndex_AnyValue_LiesInABucketNarrowerThanOnePart128) {
  const uint64_t kValues[] = {256, 257, 511, 512, 1000, 123456789, uint64_t{1} << 40,
                              (uint64_t{1} << 40) + 12345, UINT64_MAX};
  for (uint64_t v : kValues) {
    const int index = BucketIndex(v);
    EXPECT_LE(BucketLowest(index), v);
    EXPECT_GE(BucketHighest(index), v);
    const double width = static_cast<double>(BucketHighest(index) - BucketLowest(index) + 1);
    EXPECT_LE(width / static_cast<double>(BucketLowest(index)), 1.0 / 128) << v;
  }
  EXPECT_EQ(BucketIndex(UINT64_MAX), BucketCount() - 1);
}

TEST(HistogramTest, BucketLowest_ConsecutiveBuckets_AreContiguous) {
  for (int i = 1; i < BucketCount(); ++i) {
    EXPECT_EQ(BucketLowest(i), BucketHighest(i - 1) + 1) << i;
    EXPECT_EQ(BucketIndex(BucketLowest(i)), i);
    EXPECT_EQ(BucketIndex(BucketHighest(i)), i);
  }
}

TEST(HistogramTest, Percentile_ExactValues_ReturnsTheNearestRankValue) {
  HistogramSnapshot h;
  for (uint64_t v = 1; v <= 200; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 200u);
  EXPECT_EQ(h.Percentile(0.5), 100u);
  EXPECT_EQ(h.Percentile(0.9), 180u);
  EXPECT_EQ(h.Percentile(0.99), 198u);
  EXPECT_EQ(h.Percentile(0.999), 200u);
  EXPECT_EQ(h.Percentile(1.0), 200u);
  EXPECT_EQ(h.Percentile(0.0), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 200u);
  EXPECT_DOUBLE_EQ(h.mean(), 100.5);
}

TEST(HistogramTest, Percentile_ThousandSamples_P999IsThe999thValueNotTheMax) {
  HistogramSnapshot h;
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);
  // rank ceil(0.999 * 1000) = 999: the 999th value, 999000 ns.
  const uint64_t p999 = h.Percentile(0.999);
  EXPECT_GE(p999, 999000u);
  EXPECT_LT(p999, 1000000u);
  EXPECT_EQ(h.Percentile(1.0), 1000000u);
}

TEST(HistogramTest, Percentile_LargeValues_NeverUnderstatesAndOverstatesByAtMostOnePart128) {
  HistogramSnapshot h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Record(v * 997);  // up to ~10 ms in ns
  const uint64_t truth = 9900 * 997;
  const uint64_t p99 = h.Percentile(0.99);
  EXPECT_GE(p99, truth);
  EXPECT_LE(static_cast<double>(p99), static_cast<double>(truth) * (1 + 1.0 / 128));
}

TEST(HistogramTest, Percentile_OneOutlier_IsReportedExactlyAtTheTop) {
  HistogramSnapshot h;
  for (int i = 0; i < 99; ++i) h.Record(200);
  h.Record(5'000'001);
  EXPECT_EQ(h.Percentile(0.99), 200u);
  EXPECT_EQ(h.Percentile(0.999), 5'000'001u);
  EXPECT_EQ(h.max(), 5'000'001u);
}

TEST(HistogramTest, Percentile_Empty_ReturnsZero) {
  HistogramSnapshot h;
  EXPECT_EQ(h.Percentile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0);
}

TEST(HistogramTest, Merge_TwoHalves_EqualsRecordingEverythingInOne) {
  HistogramSnapshot a, b, all;
  for (uint64_t v = 0; v < 5000; v += 7) {
    (v % 2 == 0 ? a : b).Record(v * 311);
    all.Record(v * 311);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.Percentile(q), all.Percentile(q)) << q;
}

TEST(HistogramTest, Record_FromFourThreads_SnapshotCountsEveryRecord) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (uint64_t i = 1; i <= 10000; ++i) h.Record(i * 100 + t);
    });
  }
  for (std::thread& t : threads) t.join();
  HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count(), 40000u);
  EXPECT_EQ(s.min(), 100u);
  EXPECT_EQ(s.max(), 1000003u);
  EXPECT_GE(s.Percentile(0.5), 500000u);
  EXPECT_LE(s.Percentile(0.5), 500000u * 129 / 128);
}

}  // namespace
}  // namespace mesh::loadgen
