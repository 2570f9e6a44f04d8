#include "tools/loadgen/echo_service.h"

#include "gtest/gtest.h"

namespace mesh::loadgen {
namespace {

TEST(BurnCpu, SpendsAtLeastTheCpuAskedFor_NotWallTime) {
  const absl::Duration before = ThreadCpuTime();
  BurnCpu(absl::Milliseconds(30));
  EXPECT_GE(ThreadCpuTime() - before, absl::Milliseconds(30));
}

TEST(BurnCpu, ZeroOrNegative_ReturnsAtOnce) {
  const absl::Duration before = ThreadCpuTime();
  BurnCpu(absl::ZeroDuration());
  BurnCpu(-absl::Seconds(1));
  EXPECT_LT(ThreadCpuTime() - before, absl::Milliseconds(5));
}

}  // namespace
}  // namespace mesh::loadgen
