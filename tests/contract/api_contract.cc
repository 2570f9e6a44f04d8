#include "tests/contract/api_contract.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "billing/v1/billing.pb.h"
#include "billing/v1/billing_events.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.pb.h"
#include "mesh/admin/v1/dead_letter.pb.h"
#include "notification/v1/notification.pb.h"
#include "tests/contract/command.h"
#include "usedcar/consign/v1/consign.pb.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/dashboard/v1/dashboard.pb.h"
#include "usedcar/purchase/v1/purchase.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace mesh::contract {

void LoadEveryContract() {
  for (const google::protobuf::Descriptor* descriptor : {
           billing::v1::Payment::descriptor(),
           billing::v1::PayApproved::descriptor(),
           grpc::health::v1::HealthCheckRequest::descriptor(),
           mesh::admin::v1::DeadLetter::descriptor(),
           notification::v1::Notification::descriptor(),
           usedcar::consign::v1::Consignment::descriptor(),
           usedcar::consign::v1::Consigned::descriptor(),
           usedcar::dashboard::v1::PurchaseView::descriptor(),
           usedcar::purchase::v1::Purchase::descriptor(),
           usedcar::purchase::v1::Purchased::descriptor(),
           usedcar::stock::v1::Stock::descriptor(),
           usedcar::stock::v1::StockChanged::descriptor(),
       }) {
    (void)descriptor;
  }
}

std::set<std::string>& CalledMethods() {
  static auto* called = new std::set<std::string>();
  return *called;
}

void ExpectEveryMethodCalled(const std::string& service_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  ASSERT_NE(service, nullptr) << service_name;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string path = absl::StrCat(service->full_name(), "/", service->method(i)->name());
    EXPECT_TRUE(CalledMethods().count(path)) << path << " has no contract check";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json;
}

std::vector<std::string> JsonObjects(absl::string_view text) {
  std::vector<std::string> objects;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      objects.emplace_back(text.substr(start, i - start + 1));
    }
  }
  return objects;
}

void ExpectMethodTypes(const std::string& service, const std::string& method,
                       const google::protobuf::Descriptor* request,
                       const google::protobuf::Descriptor* response) {
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(service, ".", method));
  ASSERT_NE(descriptor, nullptr) << service << " has no method " << method;
  EXPECT_EQ(descriptor->input_type(), request) << descriptor->full_name();
  EXPECT_EQ(descriptor->output_type(), response) << descriptor->full_name();
}

void ExpectReflectionCall(const std::string& address, const std::string& method_path,
                          const google::protobuf::Message& request, const Expect& expect,
                          const google::protobuf::Message& first_answer) {
  absl::StatusOr<CommandResult> result = BufCurl(address, method_path, ToJson(request));
  ASSERT_TRUE(result.ok()) << result.status();
  if (expect.code != grpc::StatusCode::OK) {
    EXPECT_EQ(result->exit_code, static_cast<int>(expect.code) * 8)
        << "buf curl: " << result->out << result->err;
    const std::string code =
        absl::AsciiStrToLower(absl::StatusCodeToString(static_cast<absl::StatusCode>(expect.code)));
    EXPECT_THAT(result->err, ::testing::HasSubstr(absl::StrCat("\"", code, "\"")));
    EXPECT_THAT(result->err, ::testing::HasSubstr(expect.message_has));
    return;
  }
  ASSERT_EQ(result->exit_code, 0) << "buf curl: " << result->err;
  std::unique_ptr<google::protobuf::Message> answer(first_answer.New());
  const auto parsed = google::protobuf::util::JsonStringToMessage(result->out, answer.get());
  ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << result->out;
  if (expect.replay_identical) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first_answer, *answer))
        << "through the C++ client: " << first_answer.ShortDebugString()
        << "\nthrough reflection:    " << answer->ShortDebugString();
  }
}

void ExpectFirstStreamedThroughReflection(const std::string& address,
                                          const std::string& method_path,
                                          const google::protobuf::Message& request,
                                          const google::protobuf::Message& first_message) {
  absl::StatusOr<std::unique_ptr<Command>> curl =
      Command::Start(BufCurlArgs(address, method_path, ToJson(request)));
  ASSERT_TRUE(curl.ok()) << curl.status();
  std::vector<std::string> messages;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((messages = JsonObjects((*curl)->Out())).empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  (*curl)->Kill();
  ASSERT_FALSE(messages.empty()) << "buf curl streamed nothing: " << (*curl)->Err();
  std::unique_ptr<google::protobuf::Message> streamed(first_message.New());
  const auto parsed = google::protobuf::util::JsonStringToMessage(messages[0], streamed.get());
  ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << messages[0];
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first_message, *streamed))
      << "through the C++ client: " << first_message.ShortDebugString()
      << "\nthrough reflection:    " << streamed->ShortDebugString();
}

}  // namespace mesh::contract
