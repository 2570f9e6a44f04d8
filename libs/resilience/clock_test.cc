#include "libs/resilience/clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/testing/fake_clock.h"

namespace mesh::resilience {
namespace {

TEST(SystemClockTest, Now_ComparedWithAbslNow_TracksRealTime) {
  const absl::Time before = absl::Now();
  const absl::Time now = SystemClock().Now();
  const absl::Time after = absl::Now();

  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_EQ(&SystemClock(), &SystemClock());
}

TEST(FakeClockTest, Advance_ByDuration_MovesNowByExactlyThatMuch) {
  mesh::testing::FakeClock clock;
  const absl::Time start = clock.Now();

  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(1500));
  EXPECT_EQ(clock.Now(), clock.Now());

  clock.Advance(-absl::Seconds(1));
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(500));
}

TEST(FakeClockTest, Set_ToInstant_NowReturnsIt) {
  mesh::testing::FakeClock clock(absl::UnixEpoch());
  const absl::Time target = absl::FromUnixSeconds(42);

  clock.Set(target);

  EXPECT_EQ(clock.Now(), target);
}

}  // namespace
}  // namespace mesh::resilience
