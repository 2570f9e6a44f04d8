#include "libs/resilience/circuit_breaker.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/fake_clock.h"

namespace mesh::resilience {
namespace {

using ::testing::ElementsAre;

constexpr absl::Duration kFast = absl::Milliseconds(10);
constexpr absl::Duration kSlow = absl::Milliseconds(600);

CircuitBreakerOptions TestOptions() {
  CircuitBreakerOptions options;
  options.window_size = 10;
  options.minimum_calls = 10;
  options.failure_rate_threshold = 0.5;
  options.slow_call_duration = absl::Milliseconds(500);
  options.slow_call_rate_threshold = 0.8;
  options.open_duration = absl::Seconds(5);
  options.half_open_trial_calls = 3;
  return options;
}

// Admits and reports `count` calls, failing the test if one is rejected.
void Record(CircuitBreaker& breaker, int count, absl::StatusCode code,
            absl::Duration latency = kFast) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<CircuitBreaker::Permit> permit = breaker.TryAcquire();
    ASSERT_TRUE(permit.ok()) << permit.status();
    breaker.OnResult(*permit, code, latency);
  }
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  void Open() {
    Record(breaker_, 10, absl::StatusCode::kUnavailable);
    ASSERT_EQ(breaker_.state(), BreakerState::kOpen);
  }

  void OpenThenHalfOpen() {
    Open();
    clock_.Advance(absl::Seconds(5));
    ASSERT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  }

  mesh::testing::FakeClock clock_;
  CircuitBreaker breaker_{"billing", TestOptions(), clock_};
};

TEST_F(CircuitBreakerTest, TryAcquire_NewBreaker_AdmitsCall) {
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker_.TryAcquire().ok());
  EXPECT_EQ(breaker_.RetryAfter(), absl::ZeroDuration());
  EXPECT_EQ(breaker_.name(), "billing");
}

TEST_F(CircuitBreakerTest, OnResult_FailureRateReachesThreshold_Opens) {
  Record(breaker_, 5, absl::StatusCode::kOk);
  Record(breaker_, 4, absl::StatusCode::kDeadlineExceeded);
  ASSERT_EQ(breaker_.state(), BreakerState::kClosed);

  Record(breaker_, 1, absl::StatusCode::kInternal);

  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, OnResult_FailureRateBelowThreshold_StaysClosed) {
  Record(breaker_, 6, absl::StatusCode::kOk);
  Record(breaker_, 4, absl::StatusCode::kUnavailable);

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OnResult_WindowSlidesPastOldSuccesses_Opens) {
  Record(breaker_, 6, absl::StatusCode::kOk);
  Record(breaker_, 4, absl::StatusCode::kUnavailable);
  ASSERT_EQ(breaker_.state(), BreakerState::kClosed);

  // Evicts the oldest success: 5 failures in the last 10 calls.
  Record(breaker_, 1, absl::StatusCode::kUnavailable);

  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, OnResult_OldFailuresSlideOut_StaysClosed) {
  Record(breaker_, 4, absl::StatusCode::kUnavailable);
  Record(breaker_, 20, absl::StatusCode::kOk);
  Record(breaker_, 4, absl::StatusCode::kUnavailable);

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OnResult_SlowCallRateReachesThreshold_Opens) {
  Record(breaker_, 2, absl::StatusCode::kOk, kFast);
  Record(breaker_, 7, absl::StatusCode::kOk, kSlow);
  ASSERT_EQ(breaker_.state(), BreakerState::kClosed);

  Record(breaker_, 1, absl::StatusCode::kOk, kSlow);

  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, OnResult_LatencyEqualToSlowThreshold_IsNotSlow) {
  Record(breaker_, 10, absl::StatusCode::kOk, absl::Milliseconds(500));

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OnResult_FewerThanMinimumCalls_StaysClosed) {
  Record(breaker_, 9, absl::StatusCode::kUnavailable);

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker_.TryAcquire().ok());
}

TEST_F(CircuitBreakerTest, OnResult_NonCountedCodes_DoNotOpen) {
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kAlreadyExists,
        absl::StatusCode::kCancelled, absl::StatusCode::kAborted}) {
    Record(breaker_, 10, code);
  }

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST(CircuitBreakerStaticTest, CountsAsFailure_OnlyTargetHealthCodes_AreFailures) {
  EXPECT_TRUE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kInternal));
  EXPECT_FALSE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kOk));
  EXPECT_FALSE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kNotFound));
  EXPECT_FALSE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kUnknown));
  EXPECT_FALSE(CircuitBreaker::CountsAsFailure(absl::StatusCode::kCancelled));
}

TEST_F(CircuitBreakerTest, TryAcquire_Open_RejectsWithUnavailable) {
  Open();

  absl::StatusOr<CircuitBreaker::Permit> permit = breaker_.TryAcquire();

  ASSERT_FALSE(permit.ok());
  EXPECT_EQ(permit.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(permit.status().message(), "billing circuit is open");
}

TEST_F(CircuitBreakerTest, RetryAfter_Open_ShrinksAsClockAdvances) {
  Open();
  EXPECT_EQ(breaker_.RetryAfter(), absl::Seconds(5));

  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(breaker_.RetryAfter(), absl::Seconds(3));

  clock_.Advance(absl::Milliseconds(2500));
  EXPECT_EQ(breaker_.RetryAfter(), absl::Milliseconds(500));

  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(breaker_.RetryAfter(), absl::ZeroDuration());
}

TEST_F(CircuitBreakerTest, State_OpenDurationPassed_TurnsHalfOpen) {
  Open();

  clock_.Advance(absl::Seconds(5) - absl::Nanoseconds(1));
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  EXPECT_FALSE(breaker_.TryAcquire().ok());

  clock_.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker_.RetryAfter(), absl::ZeroDuration());
}

TEST_F(CircuitBreakerTest, TryAcquire_HalfOpen_AdmitsExactlyTrialCalls) {
  OpenThenHalfOpen();

  EXPECT_TRUE(breaker_.TryAcquire().ok());
  EXPECT_TRUE(breaker_.TryAcquire().ok());
  EXPECT_TRUE(breaker_.TryAcquire().ok());
  absl::StatusOr<CircuitBreaker::Permit> fourth = breaker_.TryAcquire();

  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fourth.status().message(), "billing circuit is open");
  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, TryAcquire_HalfOpenFromManyThreads_AdmitsExactlyTrialCalls) {
  OpenThenHalfOpen();
  std::atomic<int> admitted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (breaker_.TryAcquire().ok()) admitted.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(admitted.load(), 3);
}

TEST_F(CircuitBreakerTest, OnResult_HalfOpenAllTrialsSucceed_ClosesWithEmptyWindow) {
  OpenThenHalfOpen();
  std::vector<CircuitBreaker::Permit> trials;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<CircuitBreaker::Permit> permit = breaker_.TryAcquire();
    ASSERT_TRUE(permit.ok());
    trials.push_back(*permit);
  }

  breaker_.OnResult(trials[0], absl::StatusCode::kOk, kFast);
  breaker_.OnResult(trials[1], absl::StatusCode::kNotFound, kFast);
  ASSERT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  breaker_.OnResult(trials[2], absl::StatusCode::kOk, kFast);

  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  // The ten failures that opened it are forgotten: nine new ones stay below
  // minimum_calls.
  Record(breaker_, 9, absl::StatusCode::kUnavailable);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OnResult_HalfOpenTrialFails_ReopensForFreshDuration) {
  OpenThenHalfOpen();
  absl::StatusOr<CircuitBreaker::Permit> first = breaker_.TryAcquire();
  absl::StatusOr<CircuitBreaker::Permit> second = breaker_.TryAcquire();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  breaker_.OnResult(*first, absl::StatusCode::kOk, kFast);
  clock_.Advance(absl::Seconds(1));

  breaker_.OnResult(*second, absl::StatusCode::kUnavailable, kFast);

  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker_.RetryAfter(), absl::Seconds(5));
  EXPECT_FALSE(breaker_.TryAcquire().ok());
}

TEST_F(CircuitBreakerTest, OnResult_HalfOpenTrialSlow_Reopens) {
  OpenThenHalfOpen();
  absl::StatusOr<CircuitBreaker::Permit> trial = breaker_.TryAcquire();
  ASSERT_TRUE(trial.ok());

  breaker_.OnResult(*trial, absl::StatusCode::kOk, kSlow);

  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker_.RetryAfter(), absl::Seconds(5));
}

TEST_F(CircuitBreakerTest, OnResult_LateFailureFromClosedState_DoesNotReopenHalfOpen) {
  absl::StatusOr<CircuitBreaker::Permit> stale = breaker_.TryAcquire();
  ASSERT_TRUE(stale.ok());
  OpenThenHalfOpen();

  breaker_.OnResult(*stale, absl::StatusCode::kDeadlineExceeded, kSlow);

  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, OnResult_LateSuccessFromClosedState_DoesNotCountAsTrial) {
  absl::StatusOr<CircuitBreaker::Permit> stale = breaker_.TryAcquire();
  ASSERT_TRUE(stale.ok());
  OpenThenHalfOpen();
  absl::StatusOr<CircuitBreaker::Permit> first = breaker_.TryAcquire();
  absl::StatusOr<CircuitBreaker::Permit> second = breaker_.TryAcquire();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());

  breaker_.OnResult(*stale, absl::StatusCode::kOk, kFast);
  breaker_.OnResult(*first, absl::StatusCode::kOk, kFast);
  breaker_.OnResult(*second, absl::StatusCode::kOk, kFast);

  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, OnResult_LateResultFromEarlierClosedPeriod_IsNotCounted) {
  CircuitBreakerOptions options = TestOptions();
  options.half_open_trial_calls = 1;
  CircuitBreaker breaker("stock", options, clock_);
  std::vector<CircuitBreaker::Permit> stale;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<CircuitBreaker::Permit> permit = breaker.TryAcquire();
    ASSERT_TRUE(permit.ok());
    stale.push_back(*permit);
  }
  Record(breaker, 10, absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Seconds(5));
  Record(breaker, 1, absl::StatusCode::kOk);
  ASSERT_EQ(breaker.state(), BreakerState::kClosed);

  for (const CircuitBreaker::Permit& permit : stale) {
    breaker.OnResult(permit, absl::StatusCode::kUnavailable, kFast);
  }

  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, Cancel_HalfOpenTrialNeverMade_FreesSlotWithoutCountingSuccess) {
  OpenThenHalfOpen();
  std::vector<CircuitBreaker::Permit> trials;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<CircuitBreaker::Permit> permit = breaker_.TryAcquire();
    ASSERT_TRUE(permit.ok());
    trials.push_back(*permit);
  }
  ASSERT_FALSE(breaker_.TryAcquire().ok());

  breaker_.Cancel(trials[0]);
  breaker_.OnResult(trials[1], absl::StatusCode::kOk, kFast);
  breaker_.OnResult(trials[2], absl::StatusCode::kOk, kFast);

  EXPECT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  absl::StatusOr<CircuitBreaker::Permit> replacement = breaker_.TryAcquire();
  ASSERT_TRUE(replacement.ok());
  EXPECT_FALSE(breaker_.TryAcquire().ok());
  breaker_.OnResult(*replacement, absl::StatusCode::kOk, kFast);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, Cancel_Closed_RecordsNothing) {
  Record(breaker_, 4, absl::StatusCode::kOk);
  Record(breaker_, 5, absl::StatusCode::kUnavailable);
  absl::StatusOr<CircuitBreaker::Permit> unused = breaker_.TryAcquire();
  ASSERT_TRUE(unused.ok());

  breaker_.Cancel(*unused);

  // Still nine calls in the window, below minimum_calls.
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  Record(breaker_, 1, absl::StatusCode::kOk);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, SetStateListener_EveryChange_CalledWithNewState) {
  std::vector<BreakerState> seen;
  breaker_.SetStateListener([&seen](BreakerState state) { seen.push_back(state); });

  Open();
  clock_.Advance(absl::Seconds(5));
  Record(breaker_, 1, absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Seconds(5));
  Record(breaker_, 3, absl::StatusCode::kOk);

  EXPECT_THAT(seen, ElementsAre(BreakerState::kOpen, BreakerState::kHalfOpen, BreakerState::kOpen,
                                BreakerState::kHalfOpen, BreakerState::kClosed));
}

TEST_F(CircuitBreakerTest, SetStateListener_ListenerReadsBreaker_DoesNotDeadlock) {
  std::vector<absl::Duration> retry_after;
  breaker_.SetStateListener([this, &retry_after](BreakerState) {
    retry_after.push_back(breaker_.RetryAfter());
  });

  Open();

  EXPECT_THAT(retry_after, ElementsAre(absl::Seconds(5)));
}

TEST(CircuitBreakerOptionsTest, Constructor_MinimumCallsAboveWindow_ClampedToWindow) {
  mesh::testing::FakeClock clock;
  CircuitBreakerOptions options = TestOptions();
  options.window_size = 4;
  options.minimum_calls = 100;
  CircuitBreaker breaker("billing", options, clock);

  Record(breaker, 4, absl::StatusCode::kUnavailable);

  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(BreakerStateNameTest, BreakerStateName_EachState_ReturnsMetricLabel) {
  EXPECT_EQ(BreakerStateName(BreakerState::kClosed), "closed");
  EXPECT_EQ(BreakerStateName(BreakerState::kOpen), "open");
  EXPECT_EQ(BreakerStateName(BreakerState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace mesh::resilience
