#include "tools/loadgen/echo_service.h"

#include <time.h>

#include "gtest/gtest.h"

namespace mesh::loadgen {
namespace {

absl::Duration ThreadCpu() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

TEST(BurnCpu, SpendsAtLeastTheCpuAskedFor_NotWallTime) {
  const absl::Duration before = ThreadCpu();
  BurnCpu(absl::Milliseconds(30));
  EXPECT_GE(ThreadCpu() - before, absl::Milliseconds(30));
}

TEST(BurnCpu, ZeroOrNegative_ReturnsAtOnce) {
  const absl::Duration before = ThreadCpu();
  BurnCpu(absl::ZeroDuration());
  BurnCpu(-absl::Seconds(1));
  EXPECT_LT(ThreadCpu() - before, absl::Milliseconds(5));
}

}  // namespace
}  // namespace mesh::loadgen
