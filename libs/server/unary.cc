#include "libs/server/unary.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status.h"

namespace mesh::server {

void FinishUnary(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                 const absl::Status& status) {
  if (std::optional<absl::Duration> retry_after = status::RetryAfter(status)) {
    context->AddTrailingMetadata("retry-after",
                                 absl::StrCat(status::RetryAfterSeconds(*retry_after)));
  }
  reactor->Finish(status::ToGrpcStatus(status));
}

std::string CorrelationIdOf(const grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("x-correlation-id");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace mesh::server
