#include "tools/loadgen/schedule.h"

#include "gtest/gtest.h"

namespace mesh::loadgen {
namespace {

constexpr Nanos kSecond = kNanosPerSecond;
constexpr Nanos kMilli = 1'000'000;

TEST(OpenLoopScheduleTest, IntendedOffset_ThousandPerSecond_OneCallEveryMillisecond) {
  OpenLoopSchedule schedule(1000, 0, kSecond);
  EXPECT_EQ(schedule.IntendedOffset(0), 0);
  EXPECT_EQ(schedule.IntendedOffset(1), kMilli);
  EXPECT_EQ(schedule.IntendedOffset(999), 999 * kMilli);
  EXPECT_EQ(schedule.total_calls(), 1000);
}

TEST(OpenLoopScheduleTest, IntendedOffset_RateNotDividingASecond_DoesNotDrift) {
  OpenLoopSchedule schedule(3, 0, 10 * kSecond);
  EXPECT_EQ(schedule.IntendedOffset(1), 333'333'333);
  EXPECT_EQ(schedule.IntendedOffset(2), 666'666'666);
  // Computed from the index, not by adding periods: call 3 is exactly at 1 s.
  EXPECT_EQ(schedule.IntendedOffset(3), kSecond);
  EXPECT_EQ(schedule.IntendedOffset(30), 10 * kSecond);
  EXPECT_EQ(schedule.total_calls(), 30);
}

TEST(OpenLoopScheduleTest, DueBy_AtEachIntendedOffset_IncludesThatCallAndNotTheNext) {
  OpenLoopSchedule schedule(7, 0, 3 * kSecond);
  for (int64_t i = 0; i < schedule.total_calls(); ++i) {
    const Nanos at = schedule.IntendedOffset(i);
    EXPECT_EQ(schedule.DueBy(at), i + 1) << i;
    EXPECT_EQ(schedule.DueBy(at - 1), i) << i;
  }
}

TEST(OpenLoopScheduleTest, DueBy_BeforeStartAndAfterEnd_IsClamped) {
  OpenLoopSchedule schedule(100, 0, kSecond);
  EXPECT_EQ(schedule.DueBy(-1), 0);
  EXPECT_EQ(schedule.DueBy(0), 1);
  EXPECT_EQ(schedule.DueBy(100 * kSecond), 100);
}

TEST(OpenLoopScheduleTest, DueBy_FarBehindSchedule_ReleasesTheWholeBacklogAtOnce) {
  // A dispatcher that wakes 50 ms late at 20,000/s owes 1,001 calls by then,
  // each still measured from its own intended time.
  OpenLoopSchedule schedule(20000, 0, kSecond);
  EXPECT_EQ(schedule.DueBy(50 * kMilli), 1001);
}

TEST(OpenLoopScheduleTest, Measured_WithWarmup_OnlyCallsDueInTheWindow) {
  OpenLoopSchedule schedule(10, 2 * kSecond, 5 * kSecond);
  EXPECT_EQ(schedule.total_calls(), 70);
  EXPECT_EQ(schedule.measured_calls(), 50);
  EXPECT_FALSE(schedule.Measured(19));  // due at 1.9 s
  EXPECT_TRUE(schedule.Measured(20));   // due at 2.0 s
  EXPECT_TRUE(schedule.Measured(69));   // due at 6.9 s
  EXPECT_FALSE(schedule.Measured(70));  // never sent
}

TEST(OpenLoopScheduleTest, TotalCalls_HugeRateAndDuration_DoesNotOverflow) {
  OpenLoopSchedule schedule(1'000'000, 0, 3600 * kSecond);
  EXPECT_EQ(schedule.total_calls(), 3'600'000'000);
  EXPECT_EQ(schedule.IntendedOffset(3'599'999'999), 3600 * kSecond - 1000);
}

TEST(AdmitTest, Admit_OnTime_Sends) {
  EXPECT_EQ(Admit(10 * kMilli, 10 * kMilli + 500'000, 5, 100, kMilli), Admission::kSend);
}

TEST(AdmitTest, Admit_PastTheTolerance_SendsLate) {
  EXPECT_EQ(Admit(10 * kMilli, 11 * kMilli + 1, 5, 100, kMilli), Admission::kSendLate);
}

TEST(AdmitTest, Admit_AtMaxInFlight_Drops) {
  EXPECT_EQ(Admit(10 * kMilli, 10 * kMilli, 100, 100, kMilli), Admission::kDrop);
  EXPECT_EQ(Admit(10 * kMilli, 10 * kMilli, 99, 100, kMilli), Admission::kSend);
}

}  // namespace
}  // namespace mesh::loadgen
