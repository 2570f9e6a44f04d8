#include "tools/loadgen/schedule.h"

#include <algorithm>
#include <cassert>

namespace mesh::loadgen {
namespace {

// ceil(a / b) for a >= 0, b > 0. 128-bit, because elapsed nanoseconds times
// a rate overflow 64 bits after a few hours at high rates.
int64_t CeilDiv(__int128 a, __int128 b) { return static_cast<int64_t>((a + b - 1) / b); }

}  // namespace

OpenLoopSchedule::OpenLoopSchedule(int64_t rate_per_second, Nanos warmup, Nanos duration)
    : rate_(rate_per_second) {
  assert(rate_per_second > 0 && warmup >= 0 && duration >= 0);
  total_calls_ = CountBefore(warmup + duration);
  first_measured_ = CountBefore(warmup);
}

int64_t OpenLoopSchedule::CountBefore(Nanos limit) const {
  // floor(i * 1e9 / rate) < limit  <=>  i * 1e9 < limit * rate.
  if (limit <= 0) return 0;
  return CeilDiv(static_cast<__int128>(limit) * rate_, kNanosPerSecond);
}

Nanos OpenLoopSchedule::IntendedOffset(int64_t index) const {
  return static_cast<Nanos>(static_cast<__int128>(index) * kNanosPerSecond / rate_);
}

int64_t OpenLoopSchedule::DueBy(Nanos elapsed) const {
  if (elapsed < 0) return 0;
  return std::min(total_calls_, CountBefore(elapsed + 1));
}

bool OpenLoopSchedule::Measured(int64_t index) const {
  return index >= first_measured_ && index < total_calls_;
}

Admission Admit(Nanos intended, Nanos now, int64_t in_flight, int64_t max_in_flight,
                Nanos late_after) {
  if (in_flight >= max_in_flight) return Admission::kDrop;
  return now - intended > late_after ? Admission::kSendLate : Admission::kSend;
}

}  // namespace mesh::loadgen
