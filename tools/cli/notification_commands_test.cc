#include "tools/cli/notification_commands.h"

#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "notification/v1/notification.grpc.pb.h"
#include "tools/cli/command_test_support.h"

namespace mesh::cli {
namespace {

namespace pb = ::notification::v1;
using ::testing::HasSubstr;

class FakeNotification final : public pb::NotificationService::Service {
 public:
  grpc::Status ListNotifications(
      grpc::ServerContext*, const pb::ListNotificationsRequest* request,
      pb::ListNotificationsResponse* response) override {
    ++calls;
    last_list = *request;
    response->add_notifications()->set_recipient(request->recipient());
    return grpc::Status::OK;
  }

  grpc::Status GetNotification(grpc::ServerContext*,
                               const pb::GetNotificationRequest* request,
                               pb::GetNotificationResponse*) override {
    ++calls;
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no notification " + request->notification_id());
  }

  int calls = 0;
  pb::ListNotificationsRequest last_list;
};

class NotificationCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  FakeNotification notification_;
  FakeServer server_{&notification_};
  CommandRunner runner_;
};

TEST_F(NotificationCommandsTest, List_Recipient_SendsRecipientAndPage) {
  CommandResult result =
      runner_.Run(&RunNotificationCommand,
                  {"--target", server_.target(), "notification", "list",
                   "--recipient", "c-1", "--page-size", "5"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(notification_.last_list.recipient(), "c-1");
  EXPECT_EQ(notification_.last_list.page().page_size(), 5);
  EXPECT_THAT(runner_.out(), HasSubstr("\"recipient\": \"c-1\""));
}

TEST_F(NotificationCommandsTest, List_MissingRecipient_UsageErrorNamesFlag) {
  CommandResult result =
      runner_.Run(&RunNotificationCommand,
                  {"--target", server_.target(), "notification", "list"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--recipient"));
  EXPECT_EQ(notification_.calls, 0);
}

TEST_F(NotificationCommandsTest, Get_UnknownId_PrintsNotFoundExitsOne) {
  CommandResult result =
      runner_.Run(&RunNotificationCommand,
                  {"--target", server_.target(), "notification", "get", "n-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(runner_.err(), "ERROR NOT_FOUND: no notification n-1\n");
}

}  // namespace
}  // namespace mesh::cli
