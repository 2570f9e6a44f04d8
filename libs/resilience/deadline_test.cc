#include "libs/resilience/deadline.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mesh::resilience {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(OutboundDeadlineTest, OutboundDeadline_CallerDeadlineEarlier_KeepsCallerDeadline) {
  const absl::Time caller = kNow + absl::Milliseconds(300);

  EXPECT_EQ(OutboundDeadline(kNow, absl::Seconds(2), caller), caller);
}

TEST(OutboundDeadlineTest, OutboundDeadline_PerCallLimitEarlier_UsesLimit) {
  const absl::Time caller = kNow + absl::Seconds(10);

  EXPECT_EQ(OutboundDeadline(kNow, absl::Seconds(2), caller), kNow + absl::Seconds(2));
}

TEST(OutboundDeadlineTest, OutboundDeadline_CallerHasNoDeadline_UsesLimit) {
  EXPECT_EQ(OutboundDeadline(kNow, absl::Seconds(2), absl::InfiniteFuture()),
            kNow + absl::Seconds(2));
}

TEST(OutboundDeadlineTest, OutboundDeadline_NoLimitAndNoCallerDeadline_IsInfinite) {
  EXPECT_EQ(OutboundDeadline(kNow, absl::InfiniteDuration(), absl::InfiniteFuture()),
            absl::InfiniteFuture());
}

TEST(OutboundDeadlineTest, OutboundDeadline_CallerDeadlinePassed_KeepsPastDeadline) {
  const absl::Time caller = kNow - absl::Milliseconds(1);

  EXPECT_EQ(OutboundDeadline(kNow, absl::Seconds(2), caller), caller);
}

}  // namespace
}  // namespace mesh::resilience
