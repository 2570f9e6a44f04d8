#include "libs/resilience/bulkhead.h"

#include <algorithm>
#include <cassert>

namespace mesh::resilience {

Bulkhead::Bulkhead(int max_in_flight) : limit_(std::max(0, max_in_flight)) {}

bool Bulkhead::TryAcquire() {
  // A compare-and-swap loop rather than fetch_add-then-undo, so that in_flight()
  // never reports more than the limit, not even for an instant.
  int current = in_flight_.load(std::memory_order_relaxed);
  while (current < limit_) {
    if (in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void Bulkhead::Release() {
  [[maybe_unused]] const int previous = in_flight_.fetch_sub(1, std::memory_order_release);
  assert(previous > 0 && "Bulkhead::Release without a matching TryAcquire");
}

int Bulkhead::in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

int Bulkhead::limit() const { return limit_; }

}  // namespace mesh::resilience
