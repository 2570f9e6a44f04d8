#include "libs/status/status.h"

#include "gtest/gtest.h"

namespace mesh::status {
namespace {

TEST(StatusMapping, EveryCode_RoundTripsToTheSameMeaning) {
  const std::vector<std::pair<absl::StatusCode, grpc::StatusCode>> pairs = {
      {absl::StatusCode::kOk, grpc::StatusCode::OK},
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const auto& [absl_code, grpc_code] : pairs) {
    EXPECT_EQ(ToGrpcCode(absl_code), grpc_code) << absl::StatusCodeToString(absl_code);
    EXPECT_EQ(FromGrpcCode(grpc_code), absl_code) << absl::StatusCodeToString(absl_code);
  }
}

TEST(StatusMapping, ToGrpcStatus_KeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("price.amount_minor must be positive"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "price.amount_minor must be positive");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(StatusMapping, FromGrpcStatus_KeepsCodeAndMessage) {
  absl::Status s = FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no purchase p1"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no purchase p1");
}

TEST(RetryAfter, Payload_SurvivesAnnotate) {
  absl::Status s = WithRetryAfter(absl::UnavailableError("busy"), absl::Milliseconds(2500));
  absl::Status annotated = Annotate(s, "billing");
  ASSERT_TRUE(RetryAfter(annotated).has_value());
  EXPECT_EQ(*RetryAfter(annotated), absl::Milliseconds(2500));
  EXPECT_EQ(annotated.message(), "billing: busy");
  EXPECT_FALSE(RetryAfter(absl::UnavailableError("x")).has_value());
}

TEST(RetryAfter, Seconds_RoundUpAndAtLeastOne) {
  EXPECT_EQ(RetryAfterSeconds(absl::Milliseconds(2500)), 3);
  EXPECT_EQ(RetryAfterSeconds(absl::Milliseconds(10)), 1);
  EXPECT_EQ(RetryAfterSeconds(absl::ZeroDuration()), 1);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status Quarter(int x, int* out) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(*out, Half(half));
  RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(Macros, AssignOrReturn_PropagatesErrorsAndAssignsValues) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(Quarter(6, &out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mesh::status
