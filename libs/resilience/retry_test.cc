#include "libs/resilience/retry.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/testing/fake_clock.h"

namespace mesh::resilience {
namespace {

constexpr absl::StatusCode kUnavailable = absl::StatusCode::kUnavailable;

class RetryPolicyTest : public ::testing::Test {
 protected:
  // A policy whose jitter draw is `random_` and whose budget starts full.
  RetryPolicy MakePolicy(RetryOptions options) {
    return RetryPolicy(options, clock_, [this] { return random_; });
  }

  absl::Time FarDeadline() const { return clock_.Now() + absl::Seconds(30); }

  mesh::testing::FakeClock clock_;
  double random_ = 0.5;
};

TEST_F(RetryPolicyTest, NextBackoff_NoIdempotencyKey_ReturnsNullopt) {
  RetryPolicy policy = MakePolicy(RetryOptions{});

  EXPECT_EQ(policy.NextBackoff(false, kUnavailable, 1, FarDeadline()), std::nullopt);
}

TEST_F(RetryPolicyTest, NextBackoff_KeyAndUnavailable_ReturnsBackoffWithinJitterBounds) {
  RetryOptions options;
  options.max_attempts = 100;
  options.budget_min_retries_per_second = 1000;
  RetryPolicy policy = MakePolicy(options);

  random_ = 0.0;
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), absl::Milliseconds(20));
  random_ = 0.5;
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), absl::Milliseconds(25));
  random_ = 0.75;
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), absl::Microseconds(27500));
  random_ = 0.999999;
  std::optional<absl::Duration> highest = policy.NextBackoff(true, kUnavailable, 1, FarDeadline());
  ASSERT_TRUE(highest.has_value());
  EXPECT_LT(*highest, absl::Milliseconds(30));
  EXPECT_GT(*highest, absl::Microseconds(29990));
}

TEST_F(RetryPolicyTest, NextBackoff_DefaultRandomSource_StaysWithinJitterBounds) {
  RetryOptions options;
  options.budget_min_retries_per_second = 1000;
  RetryPolicy policy(options, clock_);

  for (int i = 0; i < 500; ++i) {
    std::optional<absl::Duration> backoff = policy.NextBackoff(true, kUnavailable, 2, FarDeadline());
    ASSERT_TRUE(backoff.has_value()) << "draw " << i;
    EXPECT_GE(*backoff, absl::Milliseconds(40));
    EXPECT_LE(*backoff, absl::Milliseconds(60));
    clock_.Advance(absl::Milliseconds(1));
  }
}

TEST_F(RetryPolicyTest, NextBackoff_LaterAttempts_GrowUntilMaxBackoff) {
  RetryOptions options;
  options.max_attempts = 10;
  RetryPolicy policy = MakePolicy(options);

  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), absl::Milliseconds(25));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 2, FarDeadline()), absl::Milliseconds(50));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 3, FarDeadline()), absl::Milliseconds(100));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 4, FarDeadline()), absl::Milliseconds(200));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 5, FarDeadline()), absl::Milliseconds(250));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 9, FarDeadline()), absl::Milliseconds(250));
}

TEST_F(RetryPolicyTest, NextBackoff_NonRetryableCode_ReturnsNullopt) {
  RetryPolicy policy = MakePolicy(RetryOptions{});

  for (absl::StatusCode code :
       {absl::StatusCode::kOk, absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kInternal,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kInvalidArgument,
        absl::StatusCode::kAborted, absl::StatusCode::kFailedPrecondition}) {
    EXPECT_EQ(policy.NextBackoff(true, code, 1, FarDeadline()), std::nullopt)
        << absl::StatusCodeToString(code);
  }
  EXPECT_TRUE(RetryPolicy::IsRetryable(kUnavailable));
  EXPECT_FALSE(RetryPolicy::IsRetryable(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(RetryPolicyTest, NextBackoff_AttemptsExhausted_ReturnsNullopt) {
  RetryOptions options;
  options.max_attempts = 3;
  RetryPolicy policy = MakePolicy(options);

  EXPECT_TRUE(policy.NextBackoff(true, kUnavailable, 2, FarDeadline()).has_value());
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 3, FarDeadline()), std::nullopt);
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 4, FarDeadline()), std::nullopt);
}

TEST_F(RetryPolicyTest, NextBackoff_DeadlineTooClose_ReturnsNullopt) {
  RetryPolicy policy = MakePolicy(RetryOptions{});
  const absl::Time now = clock_.Now();

  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, now + absl::Milliseconds(24)), std::nullopt);
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, now + absl::Milliseconds(25)), std::nullopt);
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, now + absl::Milliseconds(26)),
            absl::Milliseconds(25));
}

TEST_F(RetryPolicyTest, NextBackoff_RefusedForDeadline_SpendsNoBudget) {
  RetryOptions options;
  options.budget_ratio = 0.0;
  options.budget_min_retries_per_second = 0;
  RetryPolicy policy = MakePolicy(options);

  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(policy.NextBackoff(true, kUnavailable, 1, clock_.Now()), std::nullopt);
  }

  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value()) << i;
  }
}

TEST_F(RetryPolicyTest, NextBackoff_BudgetExhausted_ReturnsNulloptUntilClockRefills) {
  RetryOptions options;
  options.budget_ratio = 0.0;
  options.budget_min_retries_per_second = 10;
  RetryPolicy policy = MakePolicy(options);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value()) << i;
  }

  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);

  clock_.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value());
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);

  // A long quiet spell refills the bucket only up to its capacity.
  clock_.Advance(absl::Minutes(10));
  int granted = 0;
  while (policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value()) ++granted;
  EXPECT_EQ(granted, 10);
}

TEST_F(RetryPolicyTest, OnRequest_TenRequestsAtTenPercent_EarnOneRetry) {
  RetryOptions options;
  options.budget_ratio = 0.1;
  options.budget_min_retries_per_second = 0;
  RetryPolicy policy = MakePolicy(options);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value()) << i;
  }
  ASSERT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);

  for (int i = 0; i < 9; ++i) policy.OnRequest();
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);

  policy.OnRequest();
  EXPECT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value());
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);
}

TEST_F(RetryPolicyTest, NextBackoff_ClockStepsBackwards_AddsNoBudget) {
  RetryOptions options;
  options.budget_ratio = 0.0;
  options.budget_min_retries_per_second = 10;
  RetryPolicy policy = MakePolicy(options);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()).has_value()) << i;
  }

  clock_.Advance(-absl::Seconds(5));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(policy.NextBackoff(true, kUnavailable, 1, FarDeadline()), std::nullopt);
}

}  // namespace
}  // namespace mesh::resilience
