// The breaking-change check of tools/mesh test (buf breaking against the
// committed baseline, tests/contract/baseline/proto.binpb), shown to catch
// real breaks: each test edits a temporary copy of proto/ and runs the same
// command on it.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/paths.h"
#include "tests/contract/command.h"

namespace mesh::contract {
namespace {

using ::testing::HasSubstr;

std::string Baseline() { return testing::SourceDir() + "/tests/contract/baseline/proto.binpb"; }

class BufBreakingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    copy_ = dir_.path() + "/proto";
    std::error_code ec;
    std::filesystem::copy(testing::SourceDir() + "/proto", copy_,
                          std::filesystem::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  // Replaces `from` by `to` in one file of the copy; fails the test when the
  // file no longer says `from`, so that the test never passes vacuously.
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    const std::string path = copy_ + "/" + file;
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::stringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    const size_t at = content.find(from);
    ASSERT_NE(at, std::string::npos) << file << " no longer contains: " << from;
    content.replace(at, from.size(), to);
    std::ofstream(path, std::ios::trunc) << content;
  }

  // `buf breaking <copy> --against <baseline>`, as tools/mesh test runs it.
  CommandResult Breaking() {
    absl::StatusOr<CommandResult> result =
        RunCommand({BufPath(), "breaking", copy_, "--against", Baseline()}, absl::Seconds(60));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(CommandResult());
  }

  testing::TempDir dir_;
  std::string copy_;
};

TEST_F(BufBreakingTest, Breaking_UnchangedProtos_Passes) {
  CommandResult result = Breaking();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST_F(BufBreakingTest, Breaking_FieldRemoved_Fails) {
  Edit("usedcar/purchase/v1/purchase_events.proto", "  string payment_id = 5;\n", "");
  CommandResult result = Breaking();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.out + result.err,
              HasSubstr("Previously present field \"5\" with name \"payment_id\" on message "
                        "\"Purchased\" was deleted"));
}

TEST_F(BufBreakingTest, Breaking_FieldRenumbered_Fails) {
  Edit("usedcar/stock/v1/stock_events.proto", "  int64 total = 2;", "  int64 total = 7;");
  CommandResult result = Breaking();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.out + result.err, HasSubstr("\"total\" on message \"StockChanged\""));
}

TEST_F(BufBreakingTest, Breaking_RpcRemoved_Fails) {
  Edit("billing/v1/billing.proto", "  rpc Refund(RefundRequest) returns (RefundResponse);\n", "");
  CommandResult result = Breaking();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.out + result.err, HasSubstr("\"Refund\" on service \"BillingService\""));
}

TEST_F(BufBreakingTest, Breaking_FieldAdded_Passes) {
  Edit("usedcar/purchase/v1/purchase_events.proto", "  string payment_id = 5;\n",
       "  string payment_id = 5;\n  string seller_id = 6;\n");
  CommandResult result = Breaking();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace mesh::contract
