#include "libs/resilience/deadline.h"

#include <algorithm>

namespace mesh::resilience {

absl::Time OutboundDeadline(absl::Time now, absl::Duration per_call_limit,
                            absl::Time caller_deadline) {
  return std::min(now + per_call_limit, caller_deadline);
}

}  // namespace mesh::resilience
