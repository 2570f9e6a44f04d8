#include "libs/metrics/server_interceptor.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/metrics/registry.h"

namespace mesh::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGetMethod[] = "/test.v1.Widgets/Get";
constexpr char kMissingMethod[] = "/test.v1.Widgets/Missing";

// Echoes one request and finishes OK.
class EchoReactor : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    response_ = request_;
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class FailReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit FailReactor(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// Answers kGetMethod with OK and every other method with NOT_FOUND.
class WidgetService : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    if (ctx->method() == kGetMethod) return new EchoReactor();
    return new FailReactor(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such widget"));
  }
};

class ServerInterceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(MakeServerMetricsInterceptorFactory(registry_));
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    stub_ = std::make_unique<grpc::GenericStub>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Call(const std::string& method) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(std::string("widget"));
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  Registry registry_;
  WidgetService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

TEST_F(ServerInterceptorTest, Intercept_OkAndFailingCalls_CountedPerMethodAndCode) {
  ASSERT_TRUE(Call(kGetMethod).ok());
  ASSERT_TRUE(Call(kGetMethod).ok());
  ASSERT_EQ(Call(kMissingMethod).error_code(), grpc::StatusCode::NOT_FOUND);

  // The status is recorded before it is sent, so it is visible once the
  // client has it.
  const std::string text = registry_.RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handled_total counter\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Get\","
                              "grpc_service=\"test.v1.Widgets\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("grpc_server_handled_total{grpc_code=\"NOT_FOUND\",grpc_method=\"Missing\","
                        "grpc_service=\"test.v1.Widgets\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("grpc_code=\"CANCELLED\"")));
}

TEST_F(ServerInterceptorTest, Intercept_Calls_LatencyHistogramCountsEachCall) {
  ASSERT_TRUE(Call(kGetMethod).ok());
  ASSERT_EQ(Call(kMissingMethod).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(Call(kMissingMethod).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string text = registry_.RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handling_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{grpc_method=\"Get\","
                              "grpc_service=\"test.v1.Widgets\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_bucket{grpc_method=\"Missing\","
                              "grpc_service=\"test.v1.Widgets\",le=\"+Inf\"} 2\n"));
  EXPECT_EQ(registry_
                .GetHistogram("grpc_server_handling_seconds", "",
                              {{"grpc_service", "test.v1.Widgets"}, {"grpc_method", "Missing"}})
                .count(),
            2u);
}

TEST(GrpcCodeNameTest, GrpcCodeName_KnownAndUnknownCodes_CanonicalNames) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace mesh::metrics
