#include <string>
#include <utility>
#include <vector>

#include "billing/v1/billing.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/cli/args.h"
#include "tools/cli/billing_commands.h"
#include "tools/cli/command_test_support.h"
#include "tools/cli/health_command.h"
#include "tools/cli/purchase_commands.h"
#include "tools/cli/rpc.h"

namespace mesh::cli {
namespace {

using ::testing::HasSubstr;

// Answers Pay with a canned payment, or with UNAVAILABLE plus retry-after
// when `busy` is set, and remembers the last request.
class FakeBilling final : public billing::v1::BillingService::Service {
 public:
  grpc::Status Pay(grpc::ServerContext* context,
                   const billing::v1::PayRequest* request,
                   billing::v1::PayResponse* response) override {
    last_pay = *request;
    if (busy) {
      context->AddTrailingMetadata("retry-after", "3");
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "payment is busy, try again in 3 s");
    }
    response->mutable_payment()->set_payment_id("pay-1");
    response->mutable_payment()->set_payer_id(request->payer_id());
    return grpc::Status::OK;
  }

  bool busy = false;
  billing::v1::PayRequest last_pay;
};

class FakeHealth final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    response->set_status(status);
    return grpc::Status::OK;
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus status =
      grpc::health::v1::HealthCheckResponse::SERVING;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  CommandResult Run(CommandResult (*run)(const Invocation&),
                    std::vector<std::string> args) {
    return runner_.Run(run, std::move(args));
  }

  std::vector<std::string> PayArgs() {
    return {"--target", server_.target(), "billing", "pay", "--key", "k1",
            "--merchant", "usedcar", "--reference", "usedcar/purchase/p1",
            "--payer", "c1", "--amount", "25000000"};
  }

  FakeBilling billing_;
  FakeHealth health_;
  FakeServer server_{&billing_, &health_};
  CommandRunner runner_;
};

TEST_F(CommandsTest, BillingPay_ValidFlags_SendsRequestAndPrintsJson) {
  CommandResult result = Run(&RunBillingCommand, PayArgs());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(billing_.last_pay.idempotency_key(), "k1");
  EXPECT_EQ(billing_.last_pay.reference(), "usedcar/purchase/p1");
  EXPECT_EQ(billing_.last_pay.amount().amount_minor(), 25000000);
  EXPECT_EQ(billing_.last_pay.amount().currency_code(), "KRW");
  EXPECT_THAT(runner_.out(), HasSubstr("\"payment_id\": \"pay-1\""));
  EXPECT_EQ(runner_.err(), "");
}

TEST_F(CommandsTest, BillingPay_ServerBusy_PrintsCodeAndRetryAfter) {
  billing_.busy = true;
  CommandResult result = Run(&RunBillingCommand, PayArgs());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(runner_.err(),
            "ERROR UNAVAILABLE: payment is busy, try again in 3 s\n"
            "retry-after: 3\n");
  EXPECT_EQ(runner_.out(), "");
}

TEST_F(CommandsTest, BillingPay_MissingPayer_UsageErrorNamesFlag) {
  std::vector<std::string> args = PayArgs();
  args.erase(args.begin() + 10, args.begin() + 12);
  CommandResult result = Run(&RunBillingCommand, args);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--payer"));
  EXPECT_EQ(billing_.last_pay.idempotency_key(), "");
}

TEST_F(CommandsTest, BillingPay_NonNumericAmount_UsageError) {
  std::vector<std::string> args = PayArgs();
  args.back() = "lots";
  CommandResult result = Run(&RunBillingCommand, args);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--amount"));
}

TEST_F(CommandsTest, BillingGet_BothIdAndKey_UsageError) {
  CommandResult result = Run(&RunBillingCommand,
                             {"billing", "get", "pay-1", "--key", "k1"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CommandsTest, BillingCapture_UnknownFlag_UsageError) {
  CommandResult result = Run(&RunBillingCommand,
                             {"billing", "capture", "pay-1", "--key", "k",
                              "--amount", "5"});
  EXPECT_THAT(result.status().message(), HasSubstr("--amount"));
}

TEST_F(CommandsTest, PurchaseCommand_UnknownSubcommand_UsageError) {
  CommandResult result = Run(&RunPurchaseCommand, {"purchase", "buy"});
  EXPECT_THAT(result.status().message(), HasSubstr("'buy'"));
}

TEST_F(CommandsTest, PurchaseCancel_MissingId_UsageError) {
  CommandResult result = Run(&RunPurchaseCommand, {"purchase", "cancel"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("PURCHASE_ID"));
}

TEST_F(CommandsTest, Health_Serving_PrintsServingAndExitsZero) {
  CommandResult result = Run(&RunHealthCommand, {"health", server_.target()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(runner_.out(), "SERVING\n");
}

TEST_F(CommandsTest, Health_NotServing_PrintsStatusAndExitsOne) {
  health_.status = grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  CommandResult result = Run(&RunHealthCommand, {"health", server_.target()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(runner_.out(), "NOT_SERVING\n");
}

TEST_F(CommandsTest, Health_NothingListening_ReportsUnavailable) {
  std::string dead_target = server_.target();
  server_.Shutdown();
  CommandResult result = Run(&RunHealthCommand, {"health", dead_target});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_THAT(runner_.err(), HasSubstr("ERROR UNAVAILABLE"));
}

TEST_F(CommandsTest, Health_NoTarget_UsageError) {
  CommandResult result = Run(&RunHealthCommand, {"health"});
  EXPECT_THAT(result.status().message(), HasSubstr("HOST:PORT"));
}

}  // namespace
}  // namespace mesh::cli
