#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/resilience/clock.h"

namespace mesh::resilience {

// Out-of-range values are clamped when the breaker is built: window_size >= 1,
// 1 <= minimum_calls <= window_size, half_open_trial_calls >= 1, and negative
// durations count as zero.
struct CircuitBreakerOptions {
  // A count-based sliding window over the last N completed calls.
  int window_size = 20;
  // No open decision is taken while the window holds fewer calls than this.
  int minimum_calls = 10;
  double failure_rate_threshold = 0.5;
  // A call that takes longer than this is slow, whatever its status code.
  absl::Duration slow_call_duration = absl::Milliseconds(500);
  double slow_call_rate_threshold = 0.8;
  absl::Duration open_duration = absl::Seconds(5);
  int half_open_trial_calls = 3;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };

// "closed", "open" or "half_open"; for logs and metric labels.
std::string_view BreakerStateName(BreakerState state);

// A circuit breaker for one outbound target.
//
// Closed: every call is admitted and its outcome enters the sliding window. Once
// the window holds at least `minimum_calls` outcomes and either the failure rate
// reaches `failure_rate_threshold` or the slow-call rate reaches
// `slow_call_rate_threshold`, the breaker opens.
// Open: every call is rejected for `open_duration`, after which the breaker turns
// half-open (lazily, on the next call to any method that reads the state).
// Half-open: at most `half_open_trial_calls` trial calls are admitted. When all of
// them succeed (neither failed nor slow) the breaker closes with an empty window;
// the first failed or slow trial opens it again for a fresh `open_duration`.
//
// Usage:
//   absl::StatusOr<CircuitBreaker::Permit> permit = breaker.TryAcquire();
//   if (!permit.ok()) return permit.status();       // fail fast
//   ... make the call, measure its latency ...
//   breaker.OnResult(*permit, status.code(), latency);
//
// Every permit must be handed back exactly once: with OnResult when the call was
// made (a call that ended CANCELLED counts as a success), or with Cancel when it
// never started. A trial permit that is never handed back keeps its half-open
// slot taken, and the breaker then rejects calls until it is.
//
// Thread-safe: all methods may be called concurrently.
class CircuitBreaker {
 public:
  // Proof that TryAcquire admitted a call. It remembers the breaker's epoch (which
  // changes on every state change), so that a late result of a call admitted in
  // an earlier state, e.g. a slow call admitted while closed that finishes while
  // half-open, is ignored instead of being counted against the current state.
  // Cheap to copy; only a CircuitBreaker can make one.
  class Permit {
   public:
    uint64_t epoch() const { return epoch_; }

   private:
    friend class CircuitBreaker;
    explicit Permit(uint64_t epoch) : epoch_(epoch) {}
    uint64_t epoch_;
  };

  // `clock` must outlive the breaker.
  CircuitBreaker(std::string name, CircuitBreakerOptions options, const Clock& clock);

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Returns a permit when the call may proceed; the caller must then report the
  // call with OnResult exactly once. Returns UNAVAILABLE with the message
  // "<name> circuit is open" when the breaker is open, or half-open with every
  // trial slot taken.
  absl::StatusOr<Permit> TryAcquire();

  // Records the outcome of a call admitted by `permit`. Only UNAVAILABLE,
  // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and INTERNAL count as failures; any other
  // code counts as a success. A call slower than `slow_call_duration` counts as
  // slow whatever its code. Results whose permit predates the current state are
  // ignored.
  void OnResult(const Permit& permit, absl::StatusCode code, absl::Duration latency);

  // Gives back a permit whose call was never made, e.g. because the bulkhead was
  // full. Nothing is recorded; in half-open its trial slot becomes free again.
  // Use it instead of OnResult for such a permit, never in addition to it.
  void Cancel(const Permit& permit);

  // The current state; turns open into half-open once `open_duration` has passed.
  BreakerState state() const;

  // The time left until a trial call is allowed when open; zero otherwise.
  absl::Duration RetryAfter() const;

  const std::string& name() const { return name_; }

  static bool CountsAsFailure(absl::StatusCode code);

  // Replaces the listener called with the new state on every state change, for
  // metrics and logs. It is called outside the breaker's lock, on the thread that
  // caused (or first observed) the change, and may itself call the breaker. Under
  // concurrent changes two notifications may arrive out of order; re-read state()
  // when the latest value matters.
  void SetStateListener(std::function<void(BreakerState)> listener);

 private:
  struct Outcome {
    bool failed = false;
    bool slow = false;
  };

  // State changes made under the lock, to be told to the listener after it.
  using Changes = std::vector<BreakerState>;

  void AdvanceLocked(absl::Time now, Changes& changes) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnterLocked(BreakerState next, absl::Time now, Changes& changes) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordClosedLocked(Outcome outcome, absl::Time now, Changes& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(const Changes& changes) const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string name_;
  const CircuitBreakerOptions options_;
  const Clock& clock_;

  mutable absl::Mutex mu_;
  // Mutable because reading the state may materialise the time-driven
  // open -> half-open change.
  mutable BreakerState state_ ABSL_GUARDED_BY(mu_) = BreakerState::kClosed;
  mutable uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  mutable absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  mutable int trials_admitted_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int trials_succeeded_ ABSL_GUARDED_BY(mu_) = 0;
  // The closed-state window: a ring buffer of the last `window_size` outcomes.
  mutable std::vector<Outcome> window_ ABSL_GUARDED_BY(mu_);
  mutable size_t window_next_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int window_failures_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int window_slow_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(BreakerState)> listener_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mesh::resilience
