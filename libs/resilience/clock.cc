#include "libs/resilience/clock.h"

#include "absl/time/clock.h"

namespace mesh::resilience {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& SystemClock() {
  // Leaked on purpose: callers may use it from static destructors and detached threads.
  static const Clock* const clock = new RealClock();
  return *clock;
}

}  // namespace mesh::resilience
