#pragma once

#include "absl/time/time.h"

namespace mesh::resilience {

// The deadline of an outbound call: the earlier of `now + per_call_limit` and the
// caller's own deadline (absl::InfiniteFuture() when the caller has none), so a
// nested call never outlives the call that made it. An infinite `per_call_limit`
// leaves only the caller's deadline. Pure function; thread-safe.
absl::Time OutboundDeadline(absl::Time now, absl::Duration per_call_limit,
                            absl::Time caller_deadline);

}  // namespace mesh::resilience
