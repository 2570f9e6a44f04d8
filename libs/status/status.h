// The one place where absl::Status meets grpc::Status, plus the status macros
// Abseil 20220623 does not ship.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace mesh::status {

// Maps codes one to one (the two enums share their meaning, not their type).
grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// Keeps code and message. OK maps to OK.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// A retry-after hint travels inside the absl::Status as a payload; the gRPC
// adapter turns it into "retry-after" metadata (whole seconds, rounded up).
absl::Status WithRetryAfter(absl::Status status, absl::Duration retry_after);
std::optional<absl::Duration> RetryAfter(const absl::Status& status);
// Seconds for the "retry-after" header: at least 1.
int64_t RetryAfterSeconds(absl::Duration retry_after);

// Prepends context to the message, keeping code and payloads.
absl::Status Annotate(const absl::Status& status, std::string_view context);

}  // namespace mesh::status

#define MESH_STATUS_CONCAT_INNER_(a, b) a##b
#define MESH_STATUS_CONCAT_(a, b) MESH_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when expr yields a non-OK absl::Status.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::absl::Status mesh_status_ = (expr);                      \
    if (!mesh_status_.ok()) return mesh_status_;               \
  } while (false)

// ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());
#define ASSIGN_OR_RETURN(lhs, expr) \
  MESH_ASSIGN_OR_RETURN_IMPL_(MESH_STATUS_CONCAT_(mesh_statusor_, __LINE__), lhs, expr)
#define MESH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()
