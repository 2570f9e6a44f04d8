#include "tools/cli/dashboard_commands.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/cli/command_test_support.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::dashboard::v1;
using ::testing::HasSubstr;
using ::testing::Not;

// Streams views with versions 1..views_to_send, stopping early when the
// client hangs up, then ends with end_status.
class FakeDashboard final : public pb::DashboardService::Service {
 public:
  grpc::Status WatchPurchaseView(
      grpc::ServerContext* context, const pb::WatchPurchaseViewRequest* request,
      grpc::ServerWriter<pb::WatchPurchaseViewResponse>* writer) override {
    int64_t views_to_send;
    grpc::Status end_status;
    {
      absl::MutexLock lock(&mu_);
      watched_purchase_ = request->purchase_id();
      watch_deadline_ = context->deadline();
      views_to_send = views_to_send_;
      end_status = end_status_;
    }
    for (int64_t version = 1; version <= views_to_send; ++version) {
      pb::WatchPurchaseViewResponse response;
      response.mutable_view()->set_purchase_id(request->purchase_id());
      response.mutable_view()->set_version(version);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
    }
    return end_status;
  }

  grpc::Status RebuildViews(grpc::ServerContext*,
                            const pb::RebuildViewsRequest*,
                            pb::RebuildViewsResponse*) override {
    absl::MutexLock lock(&mu_);
    ++rebuilds_;
    return grpc::Status::OK;
  }

  void SetStream(int64_t views, grpc::Status end_status) {
    absl::MutexLock lock(&mu_);
    views_to_send_ = views;
    end_status_ = end_status;
  }
  std::string watched_purchase() {
    absl::MutexLock lock(&mu_);
    return watched_purchase_;
  }
  std::chrono::system_clock::time_point watch_deadline() {
    absl::MutexLock lock(&mu_);
    return watch_deadline_;
  }
  int rebuilds() {
    absl::MutexLock lock(&mu_);
    return rebuilds_;
  }

 private:
  absl::Mutex mu_;
  int64_t views_to_send_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
  std::string watched_purchase_ ABSL_GUARDED_BY(mu_);
  std::chrono::system_clock::time_point watch_deadline_ ABSL_GUARDED_BY(mu_);
  int rebuilds_ ABSL_GUARDED_BY(mu_) = 0;
};

int CountOccurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

class DashboardCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  FakeDashboard dashboard_;
  FakeServer server_{&dashboard_};
  CommandRunner runner_;
};

TEST_F(DashboardCommandsTest, Watch_CountGiven_PrintsThatManyViewsThenStops) {
  dashboard_.SetStream(50, grpc::Status::OK);
  // The timeout only turns a watch that ignores --count into a failure
  // instead of reading all 50 views.
  CommandResult result = runner_.Run(
      &RunDashboardCommand, {"--target", server_.target(), "--timeout", "30s",
                             "dashboard", "watch", "p-1", "--count", "3"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(dashboard_.watched_purchase(), "p-1");
  EXPECT_EQ(CountOccurrences(runner_.out(), "\"purchase_id\": \"p-1\""), 3);
  for (int version = 1; version <= 3; ++version) {
    EXPECT_THAT(runner_.out(),
                HasSubstr(absl::StrCat("\"version\": \"", version, "\"")));
  }
  EXPECT_THAT(runner_.out(), Not(HasSubstr("\"version\": \"4\"")));
  EXPECT_EQ(runner_.err(), "");
}

TEST_F(DashboardCommandsTest, Watch_StreamEndsOk_PrintsEveryViewExitsZero) {
  dashboard_.SetStream(2, grpc::Status::OK);
  CommandResult result =
      runner_.Run(&RunDashboardCommand,
                  {"--target", server_.target(), "dashboard", "watch", "p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(CountOccurrences(runner_.out(), "\"purchase_id\": \"p-1\""), 2);
  EXPECT_EQ(runner_.err(), "");
}

TEST_F(DashboardCommandsTest, Watch_StreamFails_PrintsViewsThenErrorExitsOne) {
  dashboard_.SetStream(
      1, grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down"));
  CommandResult result =
      runner_.Run(&RunDashboardCommand,
                  {"--target", server_.target(), "dashboard", "watch", "p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(CountOccurrences(runner_.out(), "\"purchase_id\": \"p-1\""), 1);
  EXPECT_EQ(runner_.err(), "ERROR UNAVAILABLE: shutting down\n");
}

TEST_F(DashboardCommandsTest, Watch_NoTimeoutFlag_SendsNoDeadline) {
  dashboard_.SetStream(1, grpc::Status::OK);
  CommandResult result =
      runner_.Run(&RunDashboardCommand,
                  {"--target", server_.target(), "dashboard", "watch", "p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(dashboard_.watch_deadline(),
            std::chrono::system_clock::now() + std::chrono::hours(24 * 365));
}

TEST_F(DashboardCommandsTest, Watch_TimeoutFlag_SendsThatDeadline) {
  dashboard_.SetStream(1, grpc::Status::OK);
  CommandResult result = runner_.Run(
      &RunDashboardCommand, {"--target", server_.target(), "--timeout", "30s",
                             "dashboard", "watch", "p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(dashboard_.watch_deadline(),
            std::chrono::system_clock::now() + std::chrono::seconds(31));
}

TEST_F(DashboardCommandsTest, Watch_ZeroCount_UsageErrorNamesFlag) {
  CommandResult result = runner_.Run(
      &RunDashboardCommand, {"dashboard", "watch", "p-1", "--count", "0"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--count"));
}

TEST_F(DashboardCommandsTest, List_MissingCustomer_UsageErrorNamesFlag) {
  CommandResult result =
      runner_.Run(&RunDashboardCommand, {"dashboard", "list"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--customer"));
}

TEST_F(DashboardCommandsTest, Rebuild_NoArguments_CallsRebuildOnce) {
  CommandResult result =
      runner_.Run(&RunDashboardCommand,
                  {"--target", server_.target(), "dashboard", "rebuild"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(dashboard_.rebuilds(), 1);
}

}  // namespace
}  // namespace mesh::cli
