#include "libs/resilience/retry.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mesh::resilience {
namespace {

RetryOptions Clamp(RetryOptions options) {
  options.max_attempts = std::max(1, options.max_attempts);
  options.initial_backoff = std::max(absl::ZeroDuration(), options.initial_backoff);
  options.max_backoff = std::max(options.initial_backoff, options.max_backoff);
  options.multiplier = std::max(1.0, options.multiplier);
  options.jitter = std::clamp(options.jitter, 0.0, 1.0);
  options.budget_ratio = std::max(0.0, options.budget_ratio);
  options.budget_min_retries_per_second = std::max(0, options.budget_min_retries_per_second);
  return options;
}

}  // namespace

RetryPolicy::RetryPolicy(RetryOptions options, const Clock& clock,
                         std::function<double()> uniform01)
    : options_(Clamp(options)),
      clock_(clock),
      uniform01_(std::move(uniform01)),
      // The floor of 10 lets a burst of a few retries through even when the
      // per-second floor is configured lower.
      budget_capacity_(std::max(10.0, static_cast<double>(options_.budget_min_retries_per_second))) {
  absl::MutexLock lock(&mu_);
  budget_tokens_ = budget_capacity_;
  budget_refilled_at_ = clock_.Now();
}

bool RetryPolicy::IsRetryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable;
}

void RetryPolicy::OnRequest() {
  absl::MutexLock lock(&mu_);
  RefillLocked(clock_.Now());
  budget_tokens_ = std::min(budget_capacity_, budget_tokens_ + options_.budget_ratio);
}

std::optional<absl::Duration> RetryPolicy::NextBackoff(bool has_idempotency_key,
                                                       absl::StatusCode code, int attempts_made,
                                                       absl::Time deadline) {
  if (!has_idempotency_key || !IsRetryable(code) || attempts_made >= options_.max_attempts) {
    return std::nullopt;
  }
  const int retry_index = std::max(0, attempts_made - 1);
  // Duration times a huge factor saturates to infinity, so the cap still applies.
  const absl::Duration base =
      std::min(options_.max_backoff,
               options_.initial_backoff * std::pow(options_.multiplier, retry_index));

  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  const absl::Duration backoff =
      base * (1.0 + options_.jitter * (2.0 * Uniform01Locked() - 1.0));
  if (now + backoff >= deadline) return std::nullopt;

  // The budget is checked last so that a retry refused for another reason costs
  // no token.
  RefillLocked(now);
  // Ten deposits of 0.1 sum to 0.9999999999999999 in binary floating point; the
  // slack keeps them worth one retry.
  constexpr double kSlack = 1e-9;
  if (budget_tokens_ < 1.0 - kSlack) return std::nullopt;
  budget_tokens_ = std::max(0.0, budget_tokens_ - 1.0);
  return backoff;
}

void RetryPolicy::RefillLocked(absl::Time now) {
  // A clock that steps backwards adds nothing, and the time it went back is not
  // credited twice when it moves forward again.
  if (now <= budget_refilled_at_) return;
  const double elapsed_seconds = absl::ToDoubleSeconds(now - budget_refilled_at_);
  budget_tokens_ = std::min(
      budget_capacity_, budget_tokens_ + elapsed_seconds * options_.budget_min_retries_per_second);
  budget_refilled_at_ = now;
}

double RetryPolicy::Uniform01Locked() {
  if (uniform01_) return std::clamp(uniform01_(), 0.0, 1.0);
  return absl::Uniform(bitgen_, 0.0, 1.0);
}

}  // namespace mesh::resilience
