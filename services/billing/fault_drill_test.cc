// The fault drills that let the purchase side's circuit breaker be shown working.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/billing/billing_service.h"
#include "services/billing/billing_service_fixture.h"

namespace billing::test {
namespace {

using ::testing::HasSubstr;

TEST_F(BillingServiceTest, FaultDrill_FailureRateOne_UnavailableAndNothingCharged) {
  StopServer();
  StartServer(FaultOptions{absl::ZeroDuration(), 1.0});
  absl::Status status = Call(&Stub::Pay, PayRequest("p-1")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "billing fault drill: injected failure");
  EXPECT_EQ(Call(&Stub::Authorize, AuthorizeRequest("a-1")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Call(&Stub::Cancel, CancelRequest("c-1")).ok());
  EXPECT_EQ(repository_->GetByKey("p-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(BillingServiceTest, FaultDrill_Latency_AnswersLaterAndCharges) {
  StopServer();
  const absl::Duration latency = absl::Milliseconds(150);
  StartServer(FaultOptions{latency, 0});
  const absl::Time start = absl::Now();
  absl::StatusOr<Payment> paid = Call(&Stub::Pay, PayRequest("p-1"));
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_GE(absl::Now() - start, latency);
  EXPECT_EQ(paid->status(), v1::PAYMENT_STATUS_CAPTURED);
}

// Were the delay a sleep on a gRPC thread, the server's few callback threads
// would answer these calls a few at a time: 32 calls would take about 16
// latencies on this 2-core machine instead of about one.
TEST_F(BillingServiceTest, FaultDrill_ManyDelayedCalls_DelaysOverlap) {
  StopServer();
  const absl::Duration latency = absl::Milliseconds(200);
  StartServer(FaultOptions{latency, 0});
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  std::atomic<int> paid{0};
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      if (Call(&Stub::Pay, PayRequest(absl::StrCat("p-", i))).ok()) ++paid;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(paid.load(), 32);
  EXPECT_LT(absl::Now() - start, 6 * latency);
}

TEST_F(BillingServiceTest, FaultDrill_CallerGivesUpDuringLatency_NothingCharged) {
  StopServer();
  StartServer(FaultOptions{absl::Milliseconds(300), 0});
  absl::Status status = Call(&Stub::Pay, PayRequest("p-1"), absl::Milliseconds(20)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  StopServer();
  EXPECT_EQ(repository_->GetByKey("p-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Outbox().empty());
}

TEST(ValidateFaultOptionsTest, OutOfRange_InvalidArgumentNamingFlag) {
  EXPECT_TRUE(ValidateFaultOptions(FaultOptions{absl::Milliseconds(400), 0.3}).ok());
  EXPECT_THAT(std::string(ValidateFaultOptions(FaultOptions{absl::ZeroDuration(), 1.5}).message()),
              HasSubstr("fault_failure_rate"));
  EXPECT_THAT(std::string(ValidateFaultOptions(FaultOptions{-absl::Seconds(1), 0}).message()),
              HasSubstr("fault_latency"));
}

}  // namespace
}  // namespace billing::test
