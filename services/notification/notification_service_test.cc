#include "services/notification/notification_service.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/status/status.h"
#include "libs/testing/in_process_server.h"
#include "services/notification/notification_policy.h"
#include "services/notification/notification_test_util.h"

namespace notification::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class NotificationServiceTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    policy_ = std::make_unique<NotificationPolicy>(
        repository_.get(), AllRules(), std::vector<std::string>{"log"}, clock_, nullptr);
    service_ = std::make_unique<NotificationService>(repository_.get());
    absl::Status started = server_.Start({service_.get()});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::NotificationService::NewStub(server_.NewChannel());
  }

  void TearDown() override { server_.Shutdown(); }

  // Applies a Purchased event for `customer_id`; returns its notification id.
  std::string Notify(const std::string& customer_id) {
    const common::v1::EventEnvelope event = PurchasedEvent(customer_id);
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    EXPECT_TRUE(policy_->Handle(event, work).ok());
    clock_.Advance(absl::Seconds(1));
    return NotificationId(event.event_id(), "usedcar.purchased");
  }

  absl::StatusOr<v1::ListNotificationsResponse> List(const std::string& recipient, int page_size,
                                                     const std::string& token = "") {
    v1::ListNotificationsRequest request;
    request.set_recipient(recipient);
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(token);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListNotificationsResponse response;
    grpc::Status status = stub_->ListNotifications(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<Notification> Get(const std::string& id) {
    v1::GetNotificationRequest request;
    request.set_notification_id(id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::GetNotificationResponse response;
    grpc::Status status = stub_->GetNotification(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response.notification();
  }

  std::unique_ptr<NotificationPolicy> policy_;
  std::unique_ptr<NotificationService> service_;
  mesh::testing::InProcessServer server_;
  std::unique_ptr<v1::NotificationService::Stub> stub_;
};

TEST_F(NotificationServiceTest, ListNotifications_PagesNewestFirstOnlyTheRecipients) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Notify("buyer-1"));
    Notify("buyer-10");
  }
  std::vector<std::string> listed;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<v1::ListNotificationsResponse> page = List("buyer-1", 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->notifications_size(), 2);
    for (const Notification& notification : page->notifications()) {
      EXPECT_EQ(notification.recipient(), "buyer-1");
      listed.push_back(notification.notification_id());
    }
    token = page->page().next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(listed, ElementsAre(ids[4], ids[3], ids[2], ids[1], ids[0]));
}

TEST_F(NotificationServiceTest, ListNotifications_NoRecipient_InvalidArgumentNamingIt) {
  absl::StatusOr<v1::ListNotificationsResponse> page = List("", 10);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("recipient"));
}

TEST_F(NotificationServiceTest, ListNotifications_NegativePageSize_InvalidArgument) {
  absl::StatusOr<v1::ListNotificationsResponse> page = List("buyer-1", -1);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("page_size"));
}

TEST_F(NotificationServiceTest, ListNotifications_TokenOfAnotherRecipient_InvalidArgument) {
  Notify("buyer-1");
  Notify("buyer-1");
  absl::StatusOr<v1::ListNotificationsResponse> first = List("buyer-1", 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->page().next_page_token().empty());
  absl::StatusOr<v1::ListNotificationsResponse> stolen =
      List("buyer-2", 1, first->page().next_page_token());
  EXPECT_EQ(stolen.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stolen.status().message(), HasSubstr("page_token"));
  EXPECT_EQ(List("buyer-1", 1, "not base64 !").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NotificationServiceTest, ListNotifications_UnknownRecipient_EmptyPage) {
  Notify("buyer-1");
  absl::StatusOr<v1::ListNotificationsResponse> page = List("buyer-9", 0);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->notifications(), SizeIs(0));
  EXPECT_EQ(page->page().next_page_token(), "");
}

TEST_F(NotificationServiceTest, GetNotification_Known_ReturnsIt) {
  const std::string id = Notify("buyer-1");
  absl::StatusOr<Notification> notification = Get(id);
  ASSERT_TRUE(notification.ok()) << notification.status();
  EXPECT_EQ(notification->notification_id(), id);
  EXPECT_EQ(notification->recipient(), "buyer-1");
  EXPECT_EQ(notification->delivery_status(), v1::DELIVERY_STATUS_PENDING);
  EXPECT_THAT(notification->deliveries(), SizeIs(1));
}

TEST_F(NotificationServiceTest, GetNotification_UnknownOrEmpty_NotFoundOrInvalidArgument) {
  EXPECT_EQ(Get("ntf_missing").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<Notification> empty = Get("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("notification_id"));
}

}  // namespace
}  // namespace notification::test
