// The flagship purchase through a client in a second language (issue 4):
// tests/contract/python/flagship_client.py, with Python stubs that the build
// generates from proto/ into <build>/tests/contract/python_gen, runs against
// the real services. Debian's python3 is used on purpose: python3-grpcio and
// python3-protobuf live in its dist-packages.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/paths.h"
#include "tests/contract/command.h"
#include "tests/e2e/usedcar_fixture.h"

namespace mesh::contract {
namespace {

constexpr char kPython[] = "/usr/bin/python3";

TEST(PythonClient, GeneratedStubs_ForEveryContract_AreInTheBuildDir) {
  const std::string gen = testing::BuildDir() + "/tests/contract/python_gen";
  for (const char* module :
       {"billing/v1/billing_pb2_grpc.py", "usedcar/purchase/v1/purchase_pb2_grpc.py",
        "usedcar/stock/v1/stock_pb2_grpc.py", "usedcar/dashboard/v1/dashboard_pb2_grpc.py",
        "notification/v1/notification_pb2_grpc.py", "mesh/admin/v1/dead_letter_pb2_grpc.py"}) {
    EXPECT_TRUE(std::filesystem::exists(gen + "/" + module)) << gen << "/" << module;
  }
}

class PythonClientTest : public e2e::UsedcarFixture {};

TEST_F(PythonClientTest, FlagshipPurchase_ThroughGeneratedPythonClient_PaidConsignedThenCancelled) {
  for (const char* service :
       {"billing", "purchase", "consign", "stock", "dashboard", "notification"}) {
    Start(service);
  }
  absl::StatusOr<CommandResult> result =
      RunCommand({kPython, testing::SourceDir() + "/tests/contract/python/flagship_client.py",
                  "--billing=" + address("billing"), "--purchase=" + address("purchase"),
                  "--stock=" + address("stock"), "--dashboard=" + address("dashboard"),
                  "--notification=" + address("notification")},
                 absl::Seconds(120),
                 {{"PYTHONPATH", testing::BuildDir() + "/tests/contract/python_gen"},
                  {"PYTHONDONTWRITEBYTECODE", "1"}});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->out << result->err;

  // What the Python client did is what the C++ side sees.
  const std::string marker = "purchase_id=";
  const size_t at = result->out.rfind(marker);
  ASSERT_NE(at, std::string::npos) << result->out;
  std::string purchase_id = result->out.substr(at + marker.size());
  purchase_id.erase(purchase_id.find_last_not_of("\n") + 1);
  e2e::CallResult purchase = GetPurchase(purchase_id);
  ASSERT_TRUE(purchase.status.ok()) << purchase.status.error_message();
  EXPECT_EQ(purchase.purchase.customer_id(), "customer-py-1");
  EXPECT_EQ(purchase.purchase.status(), usedcar::purchase::v1::PURCHASE_STATUS_CANCELLED);
  ExpectNoChargeWithoutSale();
}

}  // namespace
}  // namespace mesh::contract
