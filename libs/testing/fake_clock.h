#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/resilience/clock.h"

namespace mesh::testing {

// A clock that stands still until the test moves it, so that time-driven logic
// (breaker open durations, retry budgets, deadlines) is tested without sleeping.
// Thread-safe.
class FakeClock : public resilience::Clock {
 public:
  // Starts at a fixed, arbitrary instant well after the Unix epoch.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  // Moves the clock by `delta`; a negative delta moves it backwards.
  void Advance(absl::Duration delta) {
    absl::MutexLock lock(&mu_);
    now_ += delta;
  }

  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mesh::testing
