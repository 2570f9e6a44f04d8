#pragma once

#include "absl/time/time.h"

namespace mesh::resilience {

// A source of the current time. Code that decides by time takes a `const Clock&`
// so that tests can substitute `mesh::testing::FakeClock`.
// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The process-wide real clock (absl::Now()). Never destroyed; thread-safe.
const Clock& SystemClock();

}  // namespace mesh::resilience
