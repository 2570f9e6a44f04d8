// The open-loop timetable. Call i is due i / rate seconds after the run
// starts, whatever happened to the calls before it, so a slow server cannot
// slow down the offered load; each call's latency is then taken from its due
// time, not from when it actually left (no coordinated omission).
//
// All times are nanoseconds from the start of the run. The arithmetic is on
// integers, so DueBy and IntendedOffset agree exactly at every boundary.
// Pure functions and an immutable class: thread-safe.
#pragma once

#include <cstdint>

namespace mesh::loadgen {

using Nanos = int64_t;

inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

class OpenLoopSchedule {
 public:
  // rate_per_second > 0; warmup and duration >= 0. Calls due during the
  // warmup are sent but not measured.
  OpenLoopSchedule(int64_t rate_per_second, Nanos warmup, Nanos duration);

  // Every call due in [0, warmup + duration).
  int64_t total_calls() const { return total_calls_; }
  // The calls due in [warmup, warmup + duration): the ones measured.
  int64_t measured_calls() const { return total_calls_ - first_measured_; }

  // When call `index` (0-based) is due: floor(index * 1e9 / rate).
  Nanos IntendedOffset(int64_t index) const;
  // How many calls are due at `elapsed`: those whose intended offset is
  // <= elapsed, at most total_calls(). 0 before the start.
  int64_t DueBy(Nanos elapsed) const;
  bool Measured(int64_t index) const;

 private:
  // Calls whose intended offset is < limit.
  int64_t CountBefore(Nanos limit) const;

  int64_t rate_;
  int64_t total_calls_;
  int64_t first_measured_;
};

enum class Admission {
  kSend,
  // Sent, but later than the tolerance after its intended time: the load
  // generator itself fell behind.
  kSendLate,
  // Not sent: max_in_flight calls are already waiting for answers. Counted,
  // so that an overloaded server cannot hide behind a capped client.
  kDrop,
};

// What the dispatcher does with a call that is due at `intended` when it
// gets to it at `now`.
Admission Admit(Nanos intended, Nanos now, int64_t in_flight, int64_t max_in_flight,
                Nanos late_after);

}  // namespace mesh::loadgen
