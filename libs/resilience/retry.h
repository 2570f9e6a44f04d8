#pragma once

#include <functional>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/resilience/clock.h"

namespace mesh::resilience {

struct RetryOptions {
  // Attempts per call, including the first.
  int max_attempts = 3;
  // The backoff before attempt n+1 is min(max_backoff, initial_backoff * multiplier^(n-1)),
  // then scaled by a random factor in [1 - jitter, 1 + jitter).
  absl::Duration initial_backoff = absl::Milliseconds(25);
  absl::Duration max_backoff = absl::Milliseconds(250);
  double multiplier = 2.0;
  double jitter = 0.2;
  // The retry budget: retries may add at most this fraction of first attempts ...
  double budget_ratio = 0.1;
  // ... plus this many retries per second, so that a quiet client can still retry.
  int budget_min_retries_per_second = 10;
};

// Decides whether, and after how long, a failed outbound call is retried.
//
// The retry budget keeps retries from multiplying load on a target that is already
// failing. It is a token bucket: every OnRequest deposits `budget_ratio` tokens,
// clock time deposits `budget_min_retries_per_second` tokens per second, the
// bucket holds at most max(10, budget_min_retries_per_second) tokens (and starts
// full), and every granted retry withdraws one token.
//
// One policy is meant to be shared by every call to one target.
// Thread-safe.
class RetryPolicy {
 public:
  // `uniform01` returns a random number in [0, 1); tests inject it to make jitter
  // deterministic. By default an absl::BitGen is used. It is called under the
  // policy's lock and must not call back into the policy. `clock` must outlive
  // the policy.
  RetryPolicy(RetryOptions options, const Clock& clock,
              std::function<double()> uniform01 = nullptr);

  RetryPolicy(const RetryPolicy&) = delete;
  RetryPolicy& operator=(const RetryPolicy&) = delete;

  // Call once per first attempt of every call; it feeds the retry budget.
  void OnRequest();

  // `attempts_made` attempts have been made (1 after the first) and the last one
  // ended with `code`. Returns the time to wait before the next attempt, or
  // std::nullopt when the call must not be retried because: it has no idempotency
  // key, `code` is not retryable, attempts_made >= max_attempts, now + backoff is
  // not before `deadline`, or the retry budget is spent. A returned backoff has
  // already withdrawn its token from the budget.
  std::optional<absl::Duration> NextBackoff(bool has_idempotency_key, absl::StatusCode code,
                                            int attempts_made, absl::Time deadline);

  // Only UNAVAILABLE: by Abseil's rule it is the one code that says "this call may
  // be retried as is".
  static bool IsRetryable(absl::StatusCode code);

 private:
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double Uniform01Locked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RetryOptions options_;
  const Clock& clock_;
  const std::function<double()> uniform01_;
  const double budget_capacity_;

  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
  double budget_tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time budget_refilled_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mesh::resilience
