#include "tools/cli/stock_commands.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/cli/command_test_support.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::stock::v1;
using ::testing::HasSubstr;

// Answers StockIn with the stock the request would produce from nothing and
// remembers the requests it saw.
class FakeStock final : public pb::StockService::Service {
 public:
  grpc::Status StockIn(grpc::ServerContext*, const pb::StockInRequest* request,
                       pb::StockInResponse* response) override {
    ++stock_in_calls;
    last_stock_in = *request;
    response->mutable_stock()->set_car_id(request->car_id());
    response->mutable_stock()->set_quantity(request->quantity());
    response->mutable_stock()->set_stocked_in(request->quantity());
    return grpc::Status::OK;
  }

  grpc::Status ListStock(grpc::ServerContext*,
                         const pb::ListStockRequest* request,
                         pb::ListStockResponse* response) override {
    last_list = *request;
    response->mutable_page()->set_next_page_token("next");
    return grpc::Status::OK;
  }

  int stock_in_calls = 0;
  pb::StockInRequest last_stock_in;
  pb::ListStockRequest last_list;
};

class StockCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  std::vector<std::string> StockInArgs() {
    return {"--target", server_.target(), "stock", "in", "--car", "car-7",
            "--quantity", "3", "--key", "in-1"};
  }

  FakeStock stock_;
  FakeServer server_{&stock_};
  CommandRunner runner_;
};

TEST_F(StockCommandsTest, StockIn_ValidFlags_SendsRequestAndPrintsJson) {
  CommandResult result = runner_.Run(&RunStockCommand, StockInArgs());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(stock_.stock_in_calls, 1);
  EXPECT_EQ(stock_.last_stock_in.car_id(), "car-7");
  EXPECT_EQ(stock_.last_stock_in.quantity(), 3);
  EXPECT_EQ(stock_.last_stock_in.idempotency_key(), "in-1");
  EXPECT_THAT(runner_.out(), HasSubstr("\"car_id\": \"car-7\""));
  EXPECT_THAT(runner_.out(), HasSubstr("\"quantity\": \"3\""));
  EXPECT_EQ(runner_.err(), "");
}

TEST_F(StockCommandsTest, StockIn_NonNumericQuantity_UsageErrorAndNoCall) {
  std::vector<std::string> args = StockInArgs();
  args[7] = "three";
  CommandResult result = runner_.Run(&RunStockCommand, args);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--quantity"));
  EXPECT_EQ(stock_.stock_in_calls, 0);
}

TEST_F(StockCommandsTest, StockIn_MissingKey_UsageErrorNamesFlag) {
  std::vector<std::string> args = StockInArgs();
  args.resize(args.size() - 2);
  CommandResult result = runner_.Run(&RunStockCommand, args);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--key"));
  EXPECT_EQ(stock_.stock_in_calls, 0);
}

TEST_F(StockCommandsTest, StockList_PageFlags_SendsPageAndPrintsToken) {
  CommandResult result = runner_.Run(
      &RunStockCommand, {"--target", server_.target(), "stock", "list",
                         "--page-size", "2", "--page-token", "t1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(stock_.last_list.page().page_size(), 2);
  EXPECT_EQ(stock_.last_list.page().page_token(), "t1");
  EXPECT_THAT(runner_.out(), HasSubstr("\"next_page_token\": \"next\""));
}

TEST_F(StockCommandsTest, StockGet_MissingCarId_UsageErrorNamesArgument) {
  CommandResult result = runner_.Run(&RunStockCommand, {"stock", "get"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("CAR_ID"));
}

}  // namespace
}  // namespace mesh::cli
