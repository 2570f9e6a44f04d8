#include "tools/cli/consign_commands.h"

#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/cli/command_test_support.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::consign::v1;
using ::testing::HasSubstr;

// Records which transition was asked for. Delivering is refused, as for a
// consignment that has not left yet.
class FakeConsign final : public pb::ConsignService::Service {
 public:
  grpc::Status MarkConsigned(grpc::ServerContext*,
                             const pb::MarkConsignedRequest* request,
                             pb::MarkConsignedResponse* response) override {
    consigned_id = request->consignment_id();
    response->mutable_consignment()->set_consignment_id(
        request->consignment_id());
    response->mutable_consignment()->set_status(
        pb::CONSIGNMENT_STATUS_CONSIGNED);
    return grpc::Status::OK;
  }

  grpc::Status MarkDelivered(grpc::ServerContext*,
                             const pb::MarkDeliveredRequest* request,
                             pb::MarkDeliveredResponse*) override {
    delivered_id = request->consignment_id();
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "consignment is SCHEDULED");
  }

  grpc::Status GetConsignmentByPurchase(
      grpc::ServerContext*, const pb::GetConsignmentByPurchaseRequest* request,
      pb::GetConsignmentByPurchaseResponse* response) override {
    by_purchase_id = request->purchase_id();
    response->mutable_consignment()->set_purchase_id(request->purchase_id());
    return grpc::Status::OK;
  }

  std::string consigned_id;
  std::string delivered_id;
  std::string by_purchase_id;
};

class ConsignCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  FakeConsign consign_;
  FakeServer server_{&consign_};
  CommandRunner runner_;
};

TEST_F(ConsignCommandsTest, Consigned_Id_CallsMarkConsignedOnly) {
  CommandResult result = runner_.Run(
      &RunConsignCommand,
      {"--target", server_.target(), "consign", "consigned", "con_p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(consign_.consigned_id, "con_p-1");
  EXPECT_EQ(consign_.delivered_id, "");
  EXPECT_THAT(runner_.out(),
              HasSubstr("\"status\": \"CONSIGNMENT_STATUS_CONSIGNED\""));
}

TEST_F(ConsignCommandsTest,
       Delivered_Refused_PrintsFailedPreconditionExitsOne) {
  CommandResult result = runner_.Run(
      &RunConsignCommand,
      {"--target", server_.target(), "consign", "delivered", "con_p-1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(consign_.delivered_id, "con_p-1");
  EXPECT_EQ(runner_.err(),
            "ERROR FAILED_PRECONDITION: consignment is SCHEDULED\n");
  EXPECT_EQ(runner_.out(), "");
}

TEST_F(ConsignCommandsTest, ByPurchase_Id_SendsPurchaseId) {
  CommandResult result = runner_.Run(
      &RunConsignCommand,
      {"--target", server_.target(), "consign", "by-purchase", "p-9"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(consign_.by_purchase_id, "p-9");
  EXPECT_THAT(runner_.out(), HasSubstr("\"purchase_id\": \"p-9\""));
}

TEST_F(ConsignCommandsTest, Get_ExtraArgument_UsageErrorNamesIt) {
  CommandResult result =
      runner_.Run(&RunConsignCommand, {"consign", "get", "con_1", "con_2"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("'con_2'"));
}

TEST_F(ConsignCommandsTest, Consigned_MissingId_UsageErrorNamesArgument) {
  CommandResult result =
      runner_.Run(&RunConsignCommand, {"consign", "consigned"});
  EXPECT_THAT(result.status().message(), HasSubstr("CONSIGNMENT_ID"));
}

}  // namespace
}  // namespace mesh::cli
