#include "tools/cli/args.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mesh::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CommandLine MustParse(std::vector<std::string> args) {
  absl::StatusOr<CommandLine> line = CommandLine::Parse(args);
  EXPECT_TRUE(line.ok()) << line.status();
  return line.ok() ? *std::move(line) : CommandLine();
}

absl::Status ParseError(std::vector<std::string> args) {
  return CommandLine::Parse(args).status();
}

TEST(CommandLineParse, SpaceAndEqualsForms_BothYieldValues) {
  CommandLine line =
      MustParse({"purchase", "cancel", "P1", "--reason", "too red", "--x=a=b"});
  EXPECT_THAT(line.positionals(), ElementsAre("purchase", "cancel", "P1"));
  EXPECT_EQ(line.GetOr("reason", ""), "too red");
  EXPECT_EQ(line.GetOr("x", ""), "a=b");
}

TEST(CommandLineParse, FlagAtEnd_ErrorNamesFlag) {
  absl::Status status = ParseError({"billing", "pay", "--key"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--key needs a value"));
}

TEST(CommandLineParse, FlagFollowedByFlag_ErrorNamesFirstFlag) {
  absl::Status status = ParseError({"purchase", "cancel", "P1", "--reason",
                                    "--timeout", "1s"});
  EXPECT_THAT(status.message(), HasSubstr("--reason needs a value"));
}

TEST(CommandLineParse, DuplicateFlag_Error) {
  absl::Status status = ParseError({"--key", "a", "--key=b"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--key given more than once"));
}

TEST(CommandLineParse, SingleDashOption_Error) {
  EXPECT_THAT(ParseError({"billing", "-k", "x"}).message(), HasSubstr("-k"));
}

TEST(CommandLineParse, NegativeNumberValue_IsAccepted) {
  CommandLine line = MustParse({"--amount", "-5"});
  EXPECT_EQ(line.GetOr("amount", ""), "-5");
}

TEST(CommandLineParse, DoubleDash_LaterTokensArePositional) {
  CommandLine line = MustParse({"purchase", "get", "--", "--odd-id"});
  EXPECT_THAT(line.positionals(), ElementsAre("purchase", "get", "--odd-id"));
  EXPECT_FALSE(line.Has("odd-id"));
}

TEST(CommandLineParse, HelpSwitch_SetsHelpWithoutValue) {
  CommandLine line = MustParse({"billing", "--help", "pay"});
  EXPECT_TRUE(line.help());
  EXPECT_THAT(line.positionals(), ElementsAre("billing", "pay"));
}

TEST(CommandLineRequired, MissingFlag_ErrorNamesFlag) {
  absl::StatusOr<std::string> value =
      MustParse({"billing", "pay"}).Required("payer");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(value.status().message(), "missing required flag --payer");
}

TEST(CommandLineRequired, EmptyValue_CountsAsMissing) {
  EXPECT_FALSE(MustParse({"--key="}).Required("key").ok());
}

TEST(CommandLineRequiredInt64, NonNumeric_ErrorNamesFlagAndValue) {
  absl::StatusOr<int64_t> value =
      MustParse({"--amount", "25,000"}).RequiredInt64("amount");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(), HasSubstr("--amount"));
  EXPECT_THAT(value.status().message(), HasSubstr("25,000"));
}

TEST(CommandLineRequiredInt64, Overflow_Error) {
  EXPECT_FALSE(MustParse({"--amount", "99999999999999999999"})
                   .RequiredInt64("amount")
                   .ok());
}

TEST(CommandLineRequiredInt64, Integer_ReturnsValue) {
  EXPECT_EQ(*MustParse({"--price", "25000000"}).RequiredInt64("price"),
            25000000);
}

TEST(CommandLineNonNegativeInt32Or, Absent_ReturnsFallback) {
  EXPECT_EQ(*MustParse({}).NonNegativeInt32Or("page-size", 7), 7);
}

TEST(CommandLineNonNegativeInt32Or, Negative_Error) {
  absl::StatusOr<int32_t> value =
      MustParse({"--page-size", "-1"}).NonNegativeInt32Or("page-size", 0);
  EXPECT_THAT(value.status().message(), HasSubstr("--page-size"));
}

TEST(CommandLineUint64Or, Absent_ReturnsFallback) {
  absl::StatusOr<uint64_t> value = MustParse({}).Uint64Or("after", 9);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 9u);
}

TEST(CommandLineUint64Or, AboveInt64_ReturnsValue) {
  absl::StatusOr<uint64_t> value =
      MustParse({"--after", "18446744073709551615"}).Uint64Or("after", 0);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 18446744073709551615u);
}

TEST(CommandLineUint64Or, Negative_ErrorNamesFlag) {
  absl::StatusOr<uint64_t> value =
      MustParse({"--after", "-1"}).Uint64Or("after", 0);
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(), HasSubstr("--after"));
}

TEST(CommandLinePositionalUint64, NotANumber_ErrorNamesArgument) {
  absl::StatusOr<uint64_t> value =
      MustParse({"deadletters", "replay", "x1"}).PositionalUint64(2, "SEQ");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(), HasSubstr("SEQ"));
  EXPECT_THAT(value.status().message(), HasSubstr("'x1'"));
}

TEST(CommandLinePositionalUint64, Number_ReturnsValue) {
  absl::StatusOr<uint64_t> value =
      MustParse({"deadletters", "replay", "42"}).PositionalUint64(2, "SEQ");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 42u);
}

TEST(CommandLineCheckFlags, UnknownFlag_ErrorNamesFlagAndCommand) {
  absl::Status status =
      MustParse({"--colour", "red"}).CheckFlags("purchase get", {"reason"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--colour"));
  EXPECT_THAT(status.message(), HasSubstr("purchase get"));
}

TEST(CommandLineCheckFlags, GlobalFlags_AlwaysAllowed) {
  EXPECT_TRUE(MustParse({"--target", "h:1", "--timeout", "1s", "--reason", "r"})
                  .CheckFlags("purchase cancel", {"reason"})
                  .ok());
}

TEST(CommandLineCheckPositionalCount, TooFewAndTooMany_Error) {
  CommandLine line = MustParse({"purchase", "get", "P1", "P2"});
  EXPECT_TRUE(line.CheckPositionalCount("purchase get", 2, 1, 2).ok());
  EXPECT_THAT(line.CheckPositionalCount("purchase get", 2, 1, 1).message(),
              HasSubstr("'P2'"));
  EXPECT_FALSE(line.CheckPositionalCount("purchase get", 2, 3, 3).ok());
}

TEST(CommandLinePositional, Missing_ErrorNamesArgument) {
  absl::StatusOr<std::string> id =
      MustParse({"purchase", "get"}).Positional(2, "PURCHASE_ID");
  EXPECT_EQ(id.status().message(), "missing PURCHASE_ID");
}

TEST(ParseGlobalOptions, NoFlags_DefaultsToFiveSeconds) {
  absl::StatusOr<GlobalOptions> options = ParseGlobalOptions(MustParse({}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->timeout, absl::Seconds(5));
  EXPECT_EQ(options->target, "");
}

TEST(ParseGlobalOptions, Flags_ParsedIntoOptions) {
  absl::StatusOr<GlobalOptions> options = ParseGlobalOptions(
      MustParse({"--timeout", "300ms", "--target", "10.0.0.1:7"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->timeout, absl::Milliseconds(300));
  EXPECT_EQ(options->target, "10.0.0.1:7");
}

TEST(ParseGlobalOptions, BadTimeout_ErrorNamesFlag) {
  for (const char* bad : {"5", "-1s", "0s", "soon", "inf"}) {
    absl::StatusOr<GlobalOptions> options =
        ParseGlobalOptions(MustParse({"--timeout", bad}));
    EXPECT_THAT(options.status().message(), HasSubstr("--timeout")) << bad;
  }
}

class ResolveTargetTest : public ::testing::Test {
 protected:
  EnvLookup Env() {
    return [this](absl::string_view name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  absl::flat_hash_map<std::string, std::string> env_;
};

TEST_F(ResolveTargetTest, NothingSet_UsesDefaultPort) {
  EXPECT_EQ(ResolveTarget("", kBillingAddress, Env()), "127.0.0.1:50051");
  EXPECT_EQ(ResolveTarget("", kPurchaseAddress, Env()), "127.0.0.1:50052");
  EXPECT_EQ(ResolveTarget("", kConsignAddress, Env()), "127.0.0.1:50053");
  EXPECT_EQ(ResolveTarget("", kStockAddress, Env()), "127.0.0.1:50054");
  EXPECT_EQ(ResolveTarget("", kDashboardAddress, Env()), "127.0.0.1:50055");
  EXPECT_EQ(ResolveTarget("", kNotificationAddress, Env()), "127.0.0.1:50056");
}

TEST_F(ResolveTargetTest, NewServices_ReadTheirOwnVariables) {
  env_["CONSIGN_TARGET"] = "consign:1";
  env_["STOCK_PORT"] = "2";
  env_["DASHBOARD_TARGET"] = "dashboard:3";
  env_["NOTIFICATION_PORT"] = "4";
  EXPECT_EQ(ResolveTarget("", kConsignAddress, Env()), "consign:1");
  EXPECT_EQ(ResolveTarget("", kStockAddress, Env()), "127.0.0.1:2");
  EXPECT_EQ(ResolveTarget("", kDashboardAddress, Env()), "dashboard:3");
  EXPECT_EQ(ResolveTarget("", kNotificationAddress, Env()), "127.0.0.1:4");
}

TEST_F(ResolveTargetTest, PortEnv_ReplacesDefaultPort) {
  env_["PURCHASE_PORT"] = "6000";
  EXPECT_EQ(ResolveTarget("", kPurchaseAddress, Env()), "127.0.0.1:6000");
}

TEST_F(ResolveTargetTest, TargetEnv_WinsOverPortEnv) {
  env_["BILLING_PORT"] = "6000";
  env_["BILLING_TARGET"] = "billing:7000";
  EXPECT_EQ(ResolveTarget("", kBillingAddress, Env()), "billing:7000");
}

TEST_F(ResolveTargetTest, EmptyTargetEnv_IsIgnored) {
  env_["BILLING_TARGET"] = "";
  env_["BILLING_PORT"] = "6001";
  EXPECT_EQ(ResolveTarget("", kBillingAddress, Env()), "127.0.0.1:6001");
}

TEST_F(ResolveTargetTest, Flag_WinsOverEverything) {
  env_["BILLING_TARGET"] = "billing:7000";
  EXPECT_EQ(ResolveTarget("h:1", kBillingAddress, Env()), "h:1");
}

}  // namespace
}  // namespace mesh::cli
