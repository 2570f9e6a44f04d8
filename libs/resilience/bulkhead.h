#pragma once

#include <atomic>

namespace mesh::resilience {

// Caps the number of calls in flight to one target so that a slow dependency
// cannot take every thread or connection with it.
//
// Every successful TryAcquire must be matched by exactly one Release.
// Thread-safe and lock-free.
class Bulkhead {
 public:
  // A negative `max_in_flight` is treated as 0, which rejects every call.
  explicit Bulkhead(int max_in_flight);

  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;

  // Takes a slot. Returns false, without waiting, when `limit()` calls are
  // already in flight.
  bool TryAcquire();

  // Gives back a slot taken by a successful TryAcquire.
  void Release();

  // The number of slots taken right now; never exceeds `limit()`.
  int in_flight() const;
  int limit() const;

 private:
  const int limit_;
  std::atomic<int> in_flight_{0};
};

}  // namespace mesh::resilience
