#include "services/notification/channel.h"

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/testing/ports.h"
#include "services/notification/delivery_sender.h"
#include "services/notification/log_sink_channel.h"
#include "services/notification/notification_policy.h"
#include "services/notification/notification_test_util.h"
#include "services/notification/webhook_channel.h"

namespace notification::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

Notification Sample(const std::string& id) {
  Notification notification;
  notification.set_notification_id(id);
  notification.set_recipient("buyer-1");
  notification.set_channel(v1::CHANNEL_KAKAOTALK);
  notification.set_title("구매 완료 / Purchase complete");
  notification.set_body("구매가 완료되었습니다 / \"quoted\"\nnext line");
  notification.set_event_id("evt_1");
  notification.set_delivery_status(v1::DELIVERY_STATUS_PENDING);
  notification.add_deliveries()->set_sink("log");
  return notification;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Notification ParseJson(const std::string& json) {
  Notification parsed;
  google::protobuf::util::Status status =
      google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << json;
  return parsed;
}

// An HTTP receiver on 127.0.0.1 on a free port, answering every POST with
// the next status of `answers` (the last one repeats).
class Receiver {
 public:
  explicit Receiver(std::vector<int> answers) : answers_(std::move(answers)) {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      const size_t i = std::min(requests_.size() - 1, answers_.size() - 1);
      response.status = answers_[i];
      response.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  std::vector<httplib::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::vector<int> answers_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<httplib::Request> requests_;
};

TEST(NotificationJson, LeavesOutDeliveryBookkeeping) {
  const std::string json = NotificationJson(Sample("ntf_1"));
  EXPECT_THAT(json, HasSubstr("\"notification_id\":\"ntf_1\""));
  EXPECT_THAT(json, HasSubstr("\"channel\":\"CHANNEL_KAKAOTALK\""));
  EXPECT_THAT(json, Not(HasSubstr("deliveries")));
  EXPECT_THAT(json, Not(HasSubstr("delivery_status")));
  EXPECT_THAT(json, Not(HasSubstr("\n")));
}

TEST(LogSinkChannel, Send_AppendsOneValidJsonObjectPerLine) {
  mesh::testing::TempDir dir;
  const std::string path = dir.path() + "/missing/dir/notifications.jsonl";
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> sink = LogSinkChannel::Open(path);
  ASSERT_TRUE(sink.ok()) << sink.status();
  EXPECT_EQ((*sink)->name(), "log");
  ASSERT_TRUE((*sink)->Send(Sample("ntf_1")).ok());
  ASSERT_TRUE((*sink)->Send(Sample("ntf_2")).ok());

  const std::vector<std::string> lines = ReadLines(path);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(ParseJson(lines[0]).notification_id(), "ntf_1");
  const Notification second = ParseJson(lines[1]);
  EXPECT_EQ(second.notification_id(), "ntf_2");
  EXPECT_EQ(second.body(), Sample("ntf_2").body());
  EXPECT_EQ(second.channel(), v1::CHANNEL_KAKAOTALK);
}

TEST(LogSinkChannel, Open_AgainAppendsAfterExistingLines) {
  mesh::testing::TempDir dir;
  const std::string path = dir.path() + "/notifications.jsonl";
  {
    absl::StatusOr<std::unique_ptr<LogSinkChannel>> sink = LogSinkChannel::Open(path);
    ASSERT_TRUE(sink.ok()) << sink.status();
    ASSERT_TRUE((*sink)->Send(Sample("ntf_1")).ok());
  }
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> reopened = LogSinkChannel::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ASSERT_TRUE((*reopened)->Send(Sample("ntf_2")).ok());
  const std::vector<std::string> lines = ReadLines(path);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(ParseJson(lines[0]).notification_id(), "ntf_1");
  EXPECT_EQ(ParseJson(lines[1]).notification_id(), "ntf_2");
}

TEST(LogSinkChannel, Open_UnwritablePath_Unavailable) {
  mesh::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> sink = LogSinkChannel::Open(dir.path());
  EXPECT_EQ(sink.status().code(), absl::StatusCode::kUnavailable);
}

TEST(WebhookChannel, Send_PostsTheJsonWithAnIdempotencyKey) {
  Receiver receiver({200});
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(receiver.Url("/kakao/alerts"), absl::Seconds(5));
  ASSERT_TRUE(webhook.ok()) << webhook.status();
  EXPECT_EQ((*webhook)->name(), "webhook");
  ASSERT_TRUE((*webhook)->Send(Sample("ntf_1")).ok());

  const std::vector<httplib::Request> requests = receiver.requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].path, "/kakao/alerts");
  EXPECT_EQ(requests[0].get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].get_header_value("Idempotency-Key"), "ntf_1");
  EXPECT_EQ(ParseJson(requests[0].body).recipient(), "buyer-1");
}

TEST(WebhookChannel, Send_ServerErrorIsUnavailableRefusalIsFailedPrecondition) {
  Receiver receiver({503, 429, 404});
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(receiver.Url("/"), absl::Seconds(5));
  ASSERT_TRUE(webhook.ok()) << webhook.status();
  EXPECT_EQ((*webhook)->Send(Sample("ntf_1")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*webhook)->Send(Sample("ntf_1")).code(), absl::StatusCode::kUnavailable);
  absl::Status refused = (*webhook)->Send(Sample("ntf_1"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("404"));
}

TEST(WebhookChannel, Send_NobodyListening_Unavailable) {
  const int port = mesh::testing::FreePort();
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(absl::StrCat("http://127.0.0.1:", port, "/hook"), absl::Seconds(2));
  ASSERT_TRUE(webhook.ok()) << webhook.status();
  EXPECT_EQ((*webhook)->Send(Sample("ntf_1")).code(), absl::StatusCode::kUnavailable);
}

TEST(WebhookChannel, Create_BadUrl_InvalidArgumentNamingTheFlag) {
  for (const std::string url : {"127.0.0.1:8080/hook", "ftp://host/", "http://", "http:///x"}) {
    absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
        WebhookChannel::Create(url, absl::Seconds(1));
    EXPECT_EQ(webhook.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(webhook.status().message(), HasSubstr("webhook_url")) << url;
  }
}

class DeliverySenderTest : public StoreFixture {
 protected:
  // Creates the notification of a Purchased event through the policy.
  Notification Create(const std::vector<std::string>& sinks) {
    NotificationPolicy policy(repository_.get(), AllRules(), sinks, clock_, nullptr);
    const common::v1::EventEnvelope event = PurchasedEvent();
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    EXPECT_TRUE(policy.Handle(event, work).ok());
    return Reload(NotificationId(event.event_id(), "usedcar.purchased"));
  }

  Notification Reload(const std::string& id) {
    absl::StatusOr<std::optional<Notification>> stored = repository_->Get(id);
    EXPECT_TRUE(stored.ok() && stored->has_value());
    return stored.ok() && stored->has_value() ? **stored : Notification{};
  }

  int SendDue(DeliverySender& sender) {
    absl::StatusOr<int> tried = sender.SendDue();
    EXPECT_TRUE(tried.ok()) << tried.status();
    return tried.ok() ? *tried : -1;
  }

  size_t DueRows() {
    absl::StatusOr<NotificationRepository::DueBatch> due =
        repository_->ListDue(absl::InfiniteFuture(), 1000);
    EXPECT_TRUE(due.ok()) << due.status();
    return due.ok() ? due->due.size() : 0;
  }

  SenderOptions Options() {
    SenderOptions options;
    options.retry = {
        .max_attempts = 3, .initial_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(10)};
    return options;
  }
};

TEST_F(DeliverySenderTest, SendDue_LogAndWebhook_BothSent) {
  Receiver receiver({200});
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> log =
      LogSinkChannel::Open(dir_.path() + "/notifications.jsonl");
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(receiver.Url("/hook"), absl::Seconds(5));
  ASSERT_TRUE(log.ok() && webhook.ok());
  const Notification created = Create({"log", "webhook"});
  DeliverySender sender(repository_.get(), {log->get(), webhook->get()}, clock_, Options(),
                        nullptr);

  EXPECT_EQ(SendDue(sender), 2);
  const Notification sent = Reload(created.notification_id());
  EXPECT_EQ(sent.delivery_status(), v1::DELIVERY_STATUS_SENT);
  for (const v1::Delivery& delivery : sent.deliveries()) {
    EXPECT_EQ(delivery.status(), v1::DELIVERY_STATUS_SENT) << delivery.sink();
    EXPECT_EQ(delivery.attempts(), 1) << delivery.sink();
  }
  EXPECT_THAT(ReadLines(dir_.path() + "/notifications.jsonl"), SizeIs(1));
  EXPECT_THAT(receiver.requests(), SizeIs(1));
  EXPECT_EQ(DueRows(), 0u);
  EXPECT_EQ(SendDue(sender), 0);
}

TEST_F(DeliverySenderTest, SendDue_ABatchOfDeliveries_RecordedWithOneLogSync) {
  OpenStore("synced", /*sync=*/true);
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> log =
      LogSinkChannel::Open(dir_.path() + "/notifications.jsonl");
  ASSERT_TRUE(log.ok());
  constexpr int kNotifications = 20;
  for (int i = 0; i < kNotifications; ++i) Create({"log"});
  DeliverySender sender(repository_.get(), {log->get()}, clock_, Options(), nullptr);

  const uint64_t syncs = store_->SyncCount();
  EXPECT_EQ(SendDue(sender), kNotifications);
  EXPECT_EQ(store_->SyncCount() - syncs, 1u);
  EXPECT_EQ(DueRows(), 0u);
  EXPECT_THAT(ReadLines(dir_.path() + "/notifications.jsonl"), SizeIs(kNotifications));
}

TEST_F(DeliverySenderTest, SendDue_FailingWebhook_RetriedWithBackoffThenFailed) {
  Receiver receiver({500});
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(receiver.Url("/hook"), absl::Seconds(5));
  ASSERT_TRUE(webhook.ok());
  const Notification created = Create({"webhook"});
  DeliverySender sender(repository_.get(), {webhook->get()}, clock_, Options(), nullptr);

  EXPECT_EQ(SendDue(sender), 1);
  Notification after = Reload(created.notification_id());
  EXPECT_EQ(after.delivery_status(), v1::DELIVERY_STATUS_PENDING);
  EXPECT_EQ(after.deliveries(0).attempts(), 1);
  EXPECT_THAT(after.deliveries(0).last_error(), HasSubstr("500"));
  EXPECT_EQ(ToTime(after.deliveries(0).next_attempt_time()), clock_.Now() + absl::Seconds(1));

  // Not due before the backoff has passed.
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(SendDue(sender), 0);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(SendDue(sender), 1);
  // The backoff doubles.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(SendDue(sender), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(SendDue(sender), 1);

  after = Reload(created.notification_id());
  EXPECT_EQ(after.delivery_status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(after.deliveries(0).status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_EQ(after.deliveries(0).attempts(), 3);
  EXPECT_THAT(receiver.requests(), SizeIs(3));
  EXPECT_EQ(DueRows(), 0u);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(SendDue(sender), 0);
}

TEST_F(DeliverySenderTest, SendDue_WebhookRecovers_SentOnRetry) {
  Receiver receiver({503, 200});
  absl::StatusOr<std::unique_ptr<WebhookChannel>> webhook =
      WebhookChannel::Create(receiver.Url("/hook"), absl::Seconds(5));
  ASSERT_TRUE(webhook.ok());
  const Notification created = Create({"webhook"});
  DeliverySender sender(repository_.get(), {webhook->get()}, clock_, Options(), nullptr);

  EXPECT_EQ(SendDue(sender), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(SendDue(sender), 1);
  const Notification after = Reload(created.notification_id());
  EXPECT_EQ(after.delivery_status(), v1::DELIVERY_STATUS_SENT);
  EXPECT_EQ(after.deliveries(0).attempts(), 2);
  EXPECT_EQ(after.deliveries(0).last_error(), "");
  ASSERT_THAT(receiver.requests(), SizeIs(2));
  // Both tries carry the same key, so the receiver can drop the repeat.
  EXPECT_EQ(receiver.requests()[0].get_header_value("Idempotency-Key"),
            receiver.requests()[1].get_header_value("Idempotency-Key"));
}

TEST_F(DeliverySenderTest, SendDue_SinkNoLongerConfigured_FailedAtOnce) {
  const Notification created = Create({"webhook"});
  DeliverySender sender(repository_.get(), {}, clock_, Options(), nullptr);
  EXPECT_EQ(SendDue(sender), 1);
  const Notification after = Reload(created.notification_id());
  EXPECT_EQ(after.delivery_status(), v1::DELIVERY_STATUS_FAILED);
  EXPECT_THAT(after.deliveries(0).last_error(), HasSubstr("webhook"));
}

TEST_F(DeliverySenderTest, Start_Wake_SendsInTheBackground) {
  absl::StatusOr<std::unique_ptr<LogSinkChannel>> log =
      LogSinkChannel::Open(dir_.path() + "/notifications.jsonl");
  ASSERT_TRUE(log.ok());
  SenderOptions options = Options();
  // Long enough that only Wake can explain a prompt send.
  options.idle_poll = absl::Hours(1);
  DeliverySender sender(repository_.get(), {log->get()}, clock_, options, nullptr);
  sender.Start();
  const Notification created = Create({"log"});
  sender.Wake();
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Reload(created.notification_id()).delivery_status() != v1::DELIVERY_STATUS_SENT &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  sender.Stop();
  EXPECT_EQ(Reload(created.notification_id()).delivery_status(), v1::DELIVERY_STATUS_SENT);
  EXPECT_THAT(ReadLines(dir_.path() + "/notifications.jsonl"), SizeIs(1));
}

}  // namespace
}  // namespace notification::test
