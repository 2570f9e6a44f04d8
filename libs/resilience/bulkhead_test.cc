#include "libs/resilience/bulkhead.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mesh::resilience {
namespace {

TEST(BulkheadTest, TryAcquire_UpToLimit_SucceedsThenFails) {
  Bulkhead bulkhead(3);

  EXPECT_TRUE(bulkhead.TryAcquire());
  EXPECT_TRUE(bulkhead.TryAcquire());
  EXPECT_TRUE(bulkhead.TryAcquire());
  EXPECT_FALSE(bulkhead.TryAcquire());

  EXPECT_EQ(bulkhead.in_flight(), 3);
  EXPECT_EQ(bulkhead.limit(), 3);
}

TEST(BulkheadTest, Release_WhenFull_FreesExactlyOneSlot) {
  Bulkhead bulkhead(2);
  ASSERT_TRUE(bulkhead.TryAcquire());
  ASSERT_TRUE(bulkhead.TryAcquire());

  bulkhead.Release();

  EXPECT_EQ(bulkhead.in_flight(), 1);
  EXPECT_TRUE(bulkhead.TryAcquire());
  EXPECT_FALSE(bulkhead.TryAcquire());
}

TEST(BulkheadTest, TryAcquire_NonPositiveLimit_RejectsEveryCall) {
  Bulkhead zero(0);
  Bulkhead negative(-5);

  EXPECT_FALSE(zero.TryAcquire());
  EXPECT_FALSE(negative.TryAcquire());
  EXPECT_EQ(negative.limit(), 0);
  EXPECT_EQ(negative.in_flight(), 0);
}

TEST(BulkheadTest, TryAcquire_ConcurrentThreads_NeverExceedLimit) {
  constexpr int kLimit = 4;
  Bulkhead bulkhead(kLimit);
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::atomic<int> max_reported{0};
  std::atomic<int> admitted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (!bulkhead.TryAcquire()) continue;
        admitted.fetch_add(1, std::memory_order_relaxed);
        const int now_holding = holders.fetch_add(1) + 1;
        int seen = max_holders.load();
        while (now_holding > seen && !max_holders.compare_exchange_weak(seen, now_holding)) {
        }
        const int reported = bulkhead.in_flight();
        seen = max_reported.load();
        while (reported > seen && !max_reported.compare_exchange_weak(seen, reported)) {
        }
        holders.fetch_sub(1);
        bulkhead.Release();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_LE(max_holders.load(), kLimit);
  EXPECT_LE(max_reported.load(), kLimit);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(bulkhead.in_flight(), 0);
}

}  // namespace
}  // namespace mesh::resilience
