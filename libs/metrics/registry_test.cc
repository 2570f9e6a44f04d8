#include "libs/metrics/registry.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mesh::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RegistryTest, RenderText_SmallRegistry_ExactExposition) {
  Registry registry;
  registry.GetCounter("orders_total", "Orders placed.", {{"domain", "usedcar"}}).Increment(3);
  registry.GetGauge("queue_depth", "Items queued.").Set(2.5);
  Histogram& latency = registry.GetHistogram("latency_seconds", "Latency.", {}, {1, 0.3});
  for (double v : {0.25, 0.5, 0.5, 4.0}) latency.Observe(v);

  EXPECT_EQ(registry.RenderText(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.3\"} 1\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 5.25\n"
            "latency_seconds_count 4\n"
            "# HELP orders_total Orders placed.\n"
            "# TYPE orders_total counter\n"
            "orders_total{domain=\"usedcar\"} 3\n"
            "# HELP queue_depth Items queued.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n");
}

TEST(RegistryTest, RenderText_TwoSeriesInFamily_HelpAndTypeOnceAndLeAfterLabels) {
  Registry registry;
  registry.GetHistogram("rpc_seconds", "RPC time.", {{"method", "Pay"}}, {0.1}).Observe(0.1);
  registry.GetHistogram("rpc_seconds", "ignored", {{"method", "Get"}}, {0.1}).Observe(1);

  EXPECT_EQ(registry.RenderText(),
            "# HELP rpc_seconds RPC time.\n"
            "# TYPE rpc_seconds histogram\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"0.1\"} 0\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"+Inf\"} 1\n"
            "rpc_seconds_sum{method=\"Get\"} 1\n"
            "rpc_seconds_count{method=\"Get\"} 1\n"
            "rpc_seconds_bucket{method=\"Pay\",le=\"0.1\"} 1\n"
            "rpc_seconds_bucket{method=\"Pay\",le=\"+Inf\"} 1\n"
            "rpc_seconds_sum{method=\"Pay\"} 0.1\n"
            "rpc_seconds_count{method=\"Pay\"} 1\n");
}

TEST(RegistryTest, RenderText_SpecialCharacters_LabelValuesAndHelpEscaped) {
  Registry registry;
  registry.GetCounter("c_total", "say \"hi\"\\now\nthen", {{"path", "a\"b\\c\nd"}}).Increment();
  EXPECT_EQ(registry.RenderText(),
            "# HELP c_total say \"hi\"\\\\now\\nthen\n"
            "# TYPE c_total counter\n"
            "c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(RegistryTest, GetCounter_SameLabelsInOtherOrder_SameSeries) {
  Registry registry;
  Counter& first = registry.GetCounter("x_total", "", {{"b", "2"}, {"a", "1"}});
  Counter& second = registry.GetCounter("x_total", "", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(&first, &second);
  first.Increment();
  EXPECT_THAT(registry.RenderText(), HasSubstr("x_total{a=\"1\",b=\"2\"} 1\n"));
}

TEST(RegistryTest, AddCallbackGauge_ValueChanges_EvaluatedAtEachRender) {
  Registry registry;
  int depth = 1;
  registry.AddCallbackGauge("outbox_depth", "Rows waiting.", {{"service", "purchase"}},
                            [&depth] { return depth; });
  EXPECT_THAT(registry.RenderText(), HasSubstr("outbox_depth{service=\"purchase\"} 1\n"));
  depth = 42;
  EXPECT_THAT(registry.RenderText(), HasSubstr("outbox_depth{service=\"purchase\"} 42\n"));
}

TEST(RegistryTest, AddCallbackGauge_AddedTwice_SecondFunctionReplacesFirst) {
  Registry registry;
  registry.AddCallbackGauge("lag", "", {}, [] { return 1.0; });
  registry.AddCallbackGauge("lag", "", {}, [] { return 2.0; });
  std::string text = registry.RenderText();
  EXPECT_THAT(text, HasSubstr("lag 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("lag 1\n")));
}

TEST(RegistryTest, RemoveCallbackGauge_AfterRemoval_NotCalledNorRendered) {
  Registry registry;
  int calls = 0;
  registry.AddCallbackGauge("lag", "", {{"consumer", "stock"}}, [&calls] {
    ++calls;
    return 0.0;
  });
  registry.GetGauge("other", "").Set(1);
  registry.RemoveCallbackGauge("lag", {{"consumer", "stock"}});
  EXPECT_THAT(registry.RenderText(), Not(HasSubstr("lag")));
  EXPECT_EQ(calls, 0);
}

TEST(RegistryTest, AddCallbackGauge_FunctionUsesRegistry_NoDeadlock) {
  Registry registry;
  registry.AddCallbackGauge("scrapes", "", {}, [&registry] {
    return registry.GetCounter("scrape_calls_total", "").value();
  });
  EXPECT_THAT(registry.RenderText(), HasSubstr("scrapes 0\n"));
}

TEST(RegistryTest, Increment_ConcurrentThreads_SumIsExact) {
  Registry registry;
  Counter& counter = registry.GetCounter("hits_total", "");
  Histogram& histogram = registry.GetHistogram("h", "", {}, {1});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        histogram.Observe(0.5);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), kThreads * kPerThread);
  EXPECT_EQ(histogram.count(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(histogram.sum(), 0.5 * kThreads * kPerThread);
  EXPECT_THAT(registry.RenderText(), HasSubstr("hits_total 80000\n"));
}

TEST(CounterTest, Increment_Negative_Ignored) {
  Counter counter;
  counter.Increment(2);
  counter.Increment(-1);
  counter.Increment(std::nan(""));
  EXPECT_EQ(counter.value(), 2);
}

TEST(GaugeTest, Add_Negative_Decreases) {
  Gauge gauge;
  gauge.Set(5);
  gauge.Add(-2);
  EXPECT_EQ(gauge.value(), 3);
}

TEST(HistogramTest, Observe_ValueOnBound_CountedInThatBucket) {
  Histogram histogram({0.1, 0.2});
  histogram.Observe(0.1);
  histogram.Observe(0.2000001);
  histogram.Observe(std::nan(""));
  Histogram::Snapshot snapshot = histogram.Collect();
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{1, 1, 2}));
  EXPECT_EQ(snapshot.count, 2u);
}

TEST(HistogramTest, DefaultLatencyBuckets_Always_AscendingFrom100MicrosTo10Seconds) {
  std::vector<double> buckets = DefaultLatencyBuckets();
  ASSERT_EQ(buckets.size(), 16u);
  EXPECT_EQ(buckets.front(), 0.0001);
  EXPECT_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

TEST(FormatValueTest, FormatValue_VariousDoubles_PrometheusText) {
  EXPECT_EQ(FormatValue(1e6), "1000000");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e20), "1e+20");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(RegistryDeathTest, GetGauge_NameIsCounter_Aborts) {
  Registry registry;
  registry.GetCounter("requests_total", "");
  EXPECT_DEATH(registry.GetGauge("requests_total", ""), "requests_total is a counter");
}

TEST(RegistryDeathTest, GetCounter_InvalidName_Aborts) {
  Registry registry;
  EXPECT_DEATH(registry.GetCounter("bad-name", ""), "invalid metric name");
}

TEST(RegistryDeathTest, GetHistogram_LeLabel_Aborts) {
  Registry registry;
  EXPECT_DEATH(registry.GetHistogram("h", "", {{"le", "1"}}), "invalid label name");
}

}  // namespace
}  // namespace mesh::metrics
