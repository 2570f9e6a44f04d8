#include "tools/cli/rpc.h"

#include <chrono>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"

namespace mesh::cli {
namespace {

constexpr absl::string_view kRetryAfterKey = "retry-after";

// gRPC and Abseil share the canonical code numbering, so Abseil's names are
// exactly the ones grpcurl and the gRPC docs use.
std::string CodeName(grpc::StatusCode code) {
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) return absl::StrCat("CODE_", static_cast<int>(code));
  return name;
}

bool FindRetryAfter(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    std::string* value) {
  auto it = metadata.find(grpc::string_ref(kRetryAfterKey.data(),
                                           kRetryAfterKey.size()));
  if (it == metadata.end()) return false;
  value->assign(it->second.data(), it->second.size());
  return true;
}

}  // namespace

std::shared_ptr<grpc::Channel> Dial(const std::string& target) {
  return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> NewClientContext(
    const GlobalOptions& global) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + global.timeout));
  context->set_wait_for_ready(false);
  return context;
}

absl::Status PrintJson(const google::protobuf::Message& message,
                       std::ostream& out) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json,
                                                            options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot render response as JSON: ", status.ToString()));
  }
  if (json.empty() || json.back() != '\n') json.push_back('\n');
  out << json;
  return absl::OkStatus();
}

void PrintRpcError(const grpc::Status& status,
                   const grpc::ClientContext& context, std::ostream& err) {
  err << "ERROR " << CodeName(status.error_code()) << ": "
      << status.error_message() << "\n";
  std::string retry_after;
  if (FindRetryAfter(context.GetServerTrailingMetadata(), &retry_after) ||
      FindRetryAfter(context.GetServerInitialMetadata(), &retry_after)) {
    err << kRetryAfterKey << ": " << retry_after << "\n";
  }
}

}  // namespace mesh::cli
