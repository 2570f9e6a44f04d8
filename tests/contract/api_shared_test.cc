// API contracts of what every service shares or serves beside its own API:
// notification, the dead-letter admin service, health and reflection (issue 4;
// see api_contract.h for what each ExpectCall proves).
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"
#include "notification/v1/notification.grpc.pb.h"
#include "tests/contract/api_contract.h"
#include "tests/contract/api_contract_fixture.h"
#include "tests/contract/command.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::contract {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;
using BillingService = billing::v1::BillingService;
using PurchaseService = usedcar::purchase::v1::PurchaseService;
using ConsignService = usedcar::consign::v1::ConsignService;
using StockService = usedcar::stock::v1::StockService;
using DashboardService = usedcar::dashboard::v1::DashboardService;
using NotificationService = notification::v1::NotificationService;
using DeadLetterService = mesh::admin::v1::DeadLetterService;
using Health = grpc::health::v1::Health;
namespace pv1 = usedcar::purchase::v1;
namespace cv1 = usedcar::consign::v1;
namespace nv1 = notification::v1;
namespace av1 = mesh::admin::v1;

TEST_F(ApiContractTest, Notification_EveryRpc_AnswersPerContract) {
  StartBilling();
  StartPurchase();
  Start("notification");
  const std::string at = address("notification");
  Buy("req-1", "buyer-1", "car-1");
  nv1::ListNotificationsRequest list;
  list.set_recipient("buyer-1");
  // Purchased and PayApproved, each handed to the log sink.
  Await<NotificationService>(at, &NotificationService::Stub::ListNotifications, list,
                             std::function<bool(const nv1::ListNotificationsResponse&)>(
                                 [](const nv1::ListNotificationsResponse& r) {
                                   if (r.notifications_size() != 2) return false;
                                   for (const auto& n : r.notifications()) {
                                     if (n.delivery_status() != nv1::DELIVERY_STATUS_SENT)
                                       return false;
                                   }
                                   return true;
                                 }));

  const nv1::ListNotificationsResponse listed = ExpectCall<NotificationService>(
      at, &NotificationService::Stub::ListNotifications, "ListNotifications", list, Ok());
  ASSERT_EQ(listed.notifications_size(), 2);
  std::set<std::string> types;
  for (const auto& n : listed.notifications()) types.insert(n.event_type());
  EXPECT_EQ(types, (std::set<std::string>{"Purchased", "PayApproved"}));
  ExpectCall<NotificationService>(at, &NotificationService::Stub::ListNotifications,
                                  "ListNotifications", WithPage(list, 10, "garbage"),
                                  Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));
  list.clear_recipient();
  ExpectCall<NotificationService>(at, &NotificationService::Stub::ListNotifications,
                                  "ListNotifications", list,
                                  Fails(StatusCode::INVALID_ARGUMENT, "recipient is required"));

  nv1::GetNotificationRequest get;
  get.set_notification_id(listed.notifications(0).notification_id());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      ExpectCall<NotificationService>(at, &NotificationService::Stub::GetNotification,
                                      "GetNotification", get, Ok())
          .notification(),
      listed.notifications(0)));
  get.set_notification_id("ntf_unknown");
  ExpectCall<NotificationService>(at, &NotificationService::Stub::GetNotification,
                                  "GetNotification", get,
                                  Fails(StatusCode::NOT_FOUND, "ntf_unknown"));
  get.clear_notification_id();
  ExpectCall<NotificationService>(
      at, &NotificationService::Stub::GetNotification, "GetNotification", get,
      Fails(StatusCode::INVALID_ARGUMENT, "notification_id is required"));
  ExpectEveryMethodCalled(NotificationService::service_full_name());
}

TEST_F(ApiContractTest, DeadLetters_EveryRpc_AnswersPerContract) {
  StartBilling();
  StartPurchase();
  Start("consign", {"--fault_fail_event_type=Purchased", "--max_deliver=2"});
  const pv1::Purchase purchase = Buy("req-1", "buyer-1", "car-1");
  const std::function<bool(const av1::ListDeadLettersResponse&)> one_letter =
      [](const av1::ListDeadLettersResponse& r) { return r.dead_letters_size() == 1; };
  Await<DeadLetterService>(address("consign"), &DeadLetterService::Stub::ListDeadLetters,
                           av1::ListDeadLettersRequest(), one_letter);

  std::string at = address("consign");
  const av1::DeadLetter letter =
      ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ListDeadLetters,
                                    "ListDeadLetters", av1::ListDeadLettersRequest(), Ok())
          .dead_letters(0);
  EXPECT_EQ(letter.event_type(), "Purchased");
  EXPECT_EQ(letter.deliveries(), 2);
  EXPECT_THAT(letter.error(), HasSubstr("fault drill"));
  av1::ListDeadLettersRequest negative;
  negative.set_page_size(-1);
  ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ListDeadLetters, "ListDeadLetters",
                                negative, Fails(StatusCode::INVALID_ARGUMENT, "page_size"));

  av1::ReplayDeadLetterRequest replay;
  replay.set_sequence(letter.sequence());
  ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ReplayDeadLetter, "ReplayDeadLetter",
                                replay,
                                Fails(StatusCode::FAILED_PRECONDITION, "the handler still fails"));
  av1::ReplayDeadLetterRequest unknown;
  unknown.set_sequence(letter.sequence() + 1000);
  ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ReplayDeadLetter, "ReplayDeadLetter",
                                unknown,
                                Fails(StatusCode::NOT_FOUND, "no dead letter at sequence"));
  ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ReplayDeadLetter, "ReplayDeadLetter",
                                av1::ReplayDeadLetterRequest(),
                                Fails(StatusCode::INVALID_ARGUMENT, "sequence is required"));

  // The fix ships: consign runs without the fault and the replay applies.
  Stop("consign");
  Start("consign");
  at = address("consign");
  {
    auto stub =
        DeadLetterService::NewStub(grpc::CreateChannel(at, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    av1::ReplayDeadLetterResponse replayed;
    const grpc::Status status = stub->ReplayDeadLetter(&context, replay, &replayed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(replayed.replayed().event_id(), letter.event_id());
  }
  // Replaying it again, by either client, finds nothing: it applied once.
  ExpectCall<DeadLetterService>(at, &DeadLetterService::Stub::ReplayDeadLetter, "ReplayDeadLetter",
                                replay, Fails(StatusCode::NOT_FOUND, "no dead letter at sequence"));
  cv1::GetConsignmentByPurchaseRequest by_purchase;
  by_purchase.set_purchase_id(purchase.purchase_id());
  ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignmentByPurchase,
                             "GetConsignmentByPurchase", by_purchase, Ok());
  ExpectEveryMethodCalled(DeadLetterService::service_full_name());
}

// Every service: the standard health check and server reflection, listing
// exactly the services its contract names, with every method of each.
TEST_F(ApiContractTest, EveryService_HealthAndReflection_AnswerPerContract) {
  const std::vector<std::pair<std::string, std::string>> services = {
      {"billing", BillingService::service_full_name()},
      {"purchase", PurchaseService::service_full_name()},
      {"consign", ConsignService::service_full_name()},
      {"stock", StockService::service_full_name()},
      {"dashboard", DashboardService::service_full_name()},
      {"notification", NotificationService::service_full_name()},
  };
  for (const auto& [name, service] : services) Start(name);
  for (const auto& [name, service] : services) {
    SCOPED_TRACE(name);
    const std::string at = address(name);
    grpc::health::v1::HealthCheckRequest check;
    EXPECT_EQ(ExpectCall<Health>(at, &Health::Stub::Check, "Check", check, Ok()).status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
    EXPECT_EQ(ExpectFirstStreamed<Health>(at, &Health::Stub::Watch, "Watch", check).status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
    check.set_service("no.such.v1.Service");
    ExpectCall<Health>(at, &Health::Stub::Check, "Check", check, Fails(StatusCode::NOT_FOUND, ""));

    absl::StatusOr<CommandResult> listed =
        RunCommand({BufPath(), "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                    "--list-services", absl::StrCat("http://", at)},
                   absl::Seconds(30));
    ASSERT_TRUE(listed.ok()) << listed.status();
    ASSERT_EQ(listed->exit_code, 0) << listed->err;
    const std::vector<std::string> lines =
        absl::StrSplit(listed->out, '\n', absl::SkipWhitespace());
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()),
              (std::set<std::string>{service, "grpc.health.v1.Health",
                                     "grpc.reflection.v1alpha.ServerReflection",
                                     DeadLetterService::service_full_name()}));

    absl::StatusOr<CommandResult> methods =
        RunCommand({BufPath(), "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                    "--list-methods", absl::StrCat("http://", at)},
                   absl::Seconds(30));
    ASSERT_TRUE(methods.ok()) << methods.status();
    ASSERT_EQ(methods->exit_code, 0) << methods->err;
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      EXPECT_THAT(methods->out,
                  HasSubstr(absl::StrCat(service, "/", descriptor->method(i)->name())));
    }
  }
  ExpectEveryMethodCalled(Health::service_full_name());
}

}  // namespace
}  // namespace mesh::contract
