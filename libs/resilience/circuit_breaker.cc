#include "libs/resilience/circuit_breaker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mesh::resilience {
namespace {

CircuitBreakerOptions Clamp(CircuitBreakerOptions options) {
  options.window_size = std::max(1, options.window_size);
  options.minimum_calls = std::clamp(options.minimum_calls, 1, options.window_size);
  options.half_open_trial_calls = std::max(1, options.half_open_trial_calls);
  options.slow_call_duration = std::max(absl::ZeroDuration(), options.slow_call_duration);
  options.open_duration = std::max(absl::ZeroDuration(), options.open_duration);
  return options;
}

}  // namespace

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(std::string name, CircuitBreakerOptions options,
                               const Clock& clock)
    : name_(std::move(name)), options_(Clamp(options)), clock_(clock) {
  absl::MutexLock lock(&mu_);
  window_.reserve(static_cast<size_t>(options_.window_size));
}

bool CircuitBreaker::CountsAsFailure(absl::StatusCode code) {
  // Only codes that say the target is unwell; a caller's mistake such as
  // INVALID_ARGUMENT or NOT_FOUND proves the target answered.
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<CircuitBreaker::Permit> CircuitBreaker::TryAcquire() {
  Changes changes;
  absl::StatusOr<Permit> result = absl::UnavailableError(absl::StrCat(name_, " circuit is open"));
  {
    absl::MutexLock lock(&mu_);
    AdvanceLocked(clock_.Now(), changes);
    switch (state_) {
      case BreakerState::kClosed:
        result = Permit(epoch_);
        break;
      case BreakerState::kHalfOpen:
        if (trials_admitted_ < options_.half_open_trial_calls) {
          ++trials_admitted_;
          result = Permit(epoch_);
        }
        break;
      case BreakerState::kOpen:
        break;
    }
  }
  Notify(changes);
  return result;
}

void CircuitBreaker::OnResult(const Permit& permit, absl::StatusCode code,
                              absl::Duration latency) {
  const Outcome outcome{.failed = CountsAsFailure(code),
                        .slow = latency > options_.slow_call_duration};
  Changes changes;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    AdvanceLocked(now, changes);
    if (permit.epoch_ == epoch_) {
      switch (state_) {
        case BreakerState::kClosed:
          RecordClosedLocked(outcome, now, changes);
          break;
        case BreakerState::kHalfOpen:
          if (outcome.failed || outcome.slow) {
            EnterLocked(BreakerState::kOpen, now, changes);
          } else if (++trials_succeeded_ >= options_.half_open_trial_calls) {
            EnterLocked(BreakerState::kClosed, now, changes);
          }
          break;
        case BreakerState::kOpen:
          // Nothing is admitted while open, so no permit can carry this epoch.
          break;
      }
    }
  }
  Notify(changes);
}

void CircuitBreaker::Cancel(const Permit& permit) {
  Changes changes;
  {
    absl::MutexLock lock(&mu_);
    AdvanceLocked(clock_.Now(), changes);
    if (permit.epoch_ == epoch_ && state_ == BreakerState::kHalfOpen && trials_admitted_ > 0) {
      --trials_admitted_;
    }
  }
  Notify(changes);
}

BreakerState CircuitBreaker::state() const {
  Changes changes;
  BreakerState state;
  {
    absl::MutexLock lock(&mu_);
    AdvanceLocked(clock_.Now(), changes);
    state = state_;
  }
  Notify(changes);
  return state;
}

absl::Duration CircuitBreaker::RetryAfter() const {
  Changes changes;
  absl::Duration retry_after = absl::ZeroDuration();
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    AdvanceLocked(now, changes);
    if (state_ == BreakerState::kOpen) {
      retry_after = opened_at_ + options_.open_duration - now;
    }
  }
  Notify(changes);
  return retry_after;
}

void CircuitBreaker::SetStateListener(std::function<void(BreakerState)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

void CircuitBreaker::AdvanceLocked(absl::Time now, Changes& changes) const {
  if (state_ == BreakerState::kOpen && now >= opened_at_ + options_.open_duration) {
    EnterLocked(BreakerState::kHalfOpen, now, changes);
  }
}

void CircuitBreaker::EnterLocked(BreakerState next, absl::Time now, Changes& changes) const {
  state_ = next;
  // A new epoch makes every permit handed out so far stale.
  ++epoch_;
  trials_admitted_ = 0;
  trials_succeeded_ = 0;
  window_.clear();
  window_next_ = 0;
  window_failures_ = 0;
  window_slow_ = 0;
  if (next == BreakerState::kOpen) opened_at_ = now;
  changes.push_back(next);
}

void CircuitBreaker::RecordClosedLocked(Outcome outcome, absl::Time now, Changes& changes) {
  if (window_.size() < static_cast<size_t>(options_.window_size)) {
    window_.push_back(outcome);
  } else {
    const Outcome evicted = window_[window_next_];
    window_failures_ -= evicted.failed ? 1 : 0;
    window_slow_ -= evicted.slow ? 1 : 0;
    window_[window_next_] = outcome;
    window_next_ = (window_next_ + 1) % window_.size();
  }
  window_failures_ += outcome.failed ? 1 : 0;
  window_slow_ += outcome.slow ? 1 : 0;

  const int calls = static_cast<int>(window_.size());
  if (calls < options_.minimum_calls) return;
  const double failure_rate = static_cast<double>(window_failures_) / calls;
  const double slow_rate = static_cast<double>(window_slow_) / calls;
  if (failure_rate >= options_.failure_rate_threshold ||
      slow_rate >= options_.slow_call_rate_threshold) {
    EnterLocked(BreakerState::kOpen, now, changes);
  }
}

void CircuitBreaker::Notify(const Changes& changes) const {
  if (changes.empty()) return;
  std::function<void(BreakerState)> listener;
  {
    absl::MutexLock lock(&mu_);
    listener = listener_;
  }
  if (!listener) return;
  for (BreakerState state : changes) listener(state);
}

}  // namespace mesh::resilience
