#include "libs/config/config.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mesh::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Env = std::map<std::string, std::string>;

// Owns the strings that argv points into.
class Args {
 public:
  Args(std::initializer_list<std::string> args) : storage_{"prog"} {
    storage_.insert(storage_.end(), args.begin(), args.end());
    for (std::string& s : storage_) pointers_.push_back(s.data());
  }
  int argc() { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

Config MakeConfig() {
  Config config("purchase", "PURCHASE", "The usedcar purchase context.");
  config.DefineString("billing_target", "localhost:50061", "Address of billing.");
  config.DefineInt("port", 50051, "gRPC port.");
  config.DefineDouble("sample_rate", 0.25, "Trace sampling rate.");
  config.DefineBool("verbose", false, "Log at debug level.");
  config.DefineDuration("billing_timeout", absl::Milliseconds(250), "Per-call deadline.");
  return config;
}

absl::Status Parse(Config& config, Args args, const Env& env = {}) {
  return config.Parse(args.argc(), args.argv(), &env);
}

TEST(ConfigTest, Parse_NothingGiven_DefaultsApply) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {}).ok());
  EXPECT_EQ(config.GetString("billing_target"), "localhost:50061");
  EXPECT_EQ(config.GetInt("port"), 50051);
  EXPECT_DOUBLE_EQ(config.GetDouble("sample_rate"), 0.25);
  EXPECT_FALSE(config.GetBool("verbose"));
  EXPECT_EQ(config.GetDuration("billing_timeout"), absl::Milliseconds(250));
  EXPECT_FALSE(config.help_requested());
}

TEST(ConfigTest, Parse_EnvironmentSet_OverridesDefault) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {},
                    {{"PURCHASE_PORT", "7000"},
                     {"PURCHASE_BILLING_TIMEOUT", "2s"},
                     {"PURCHASE_VERBOSE", "TRUE"},
                     {"PURCHASE_SAMPLE_RATE", "0.5"}})
                  .ok());
  EXPECT_EQ(config.GetInt("port"), 7000);
  EXPECT_EQ(config.GetDuration("billing_timeout"), absl::Seconds(2));
  EXPECT_TRUE(config.GetBool("verbose"));
  EXPECT_DOUBLE_EQ(config.GetDouble("sample_rate"), 0.5);
}

TEST(ConfigTest, Parse_FlagAndEnvironmentSet_FlagWins) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--port=8000", "--billing_target", "billing:1"},
                    {{"PURCHASE_PORT", "7000"}, {"PURCHASE_BILLING_TARGET", "env:2"}})
                  .ok());
  EXPECT_EQ(config.GetInt("port"), 8000);
  EXPECT_EQ(config.GetString("billing_target"), "billing:1");
}

TEST(ConfigTest, Parse_FlagOverridesBadEnvironment_EnvironmentIgnored) {
  Config config = MakeConfig();
  EXPECT_TRUE(Parse(config, {"--port=8000"}, {{"PURCHASE_PORT", "not-a-number"}}).ok());
  EXPECT_EQ(config.GetInt("port"), 8000);
}

TEST(ConfigTest, Parse_EqualsAndSpaceForms_BothSetValue) {
  Config config = MakeConfig();
  ASSERT_TRUE(
      Parse(config, {"--port", "9001", "--billing_timeout=1m30s", "-sample_rate", "1"}).ok());
  EXPECT_EQ(config.GetInt("port"), 9001);
  EXPECT_EQ(config.GetDuration("billing_timeout"), absl::Seconds(90));
  EXPECT_DOUBLE_EQ(config.GetDouble("sample_rate"), 1.0);
}

TEST(ConfigTest, Parse_BareBoolFlag_SetsTrueWithoutConsumingNextArgument) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--verbose", "extra"}).ok());
  EXPECT_TRUE(config.GetBool("verbose"));
  EXPECT_THAT(config.positional_args(), ElementsAre("extra"));
}

TEST(ConfigTest, Parse_NoPrefixedBoolFlag_SetsFalseOverEnvironment) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--noverbose"}, {{"PURCHASE_VERBOSE", "true"}}).ok());
  EXPECT_FALSE(config.GetBool("verbose"));
}

TEST(ConfigTest, Parse_BoolWithExplicitValue_ParsesValue) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--verbose=yes"}).ok());
  EXPECT_TRUE(config.GetBool("verbose"));
  ASSERT_TRUE(Parse(config, {"--verbose=0"}).ok());
  EXPECT_FALSE(config.GetBool("verbose"));
}

TEST(ConfigTest, Parse_BadBoolValue_InvalidArgumentNamingFlag) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {"--verbose=maybe"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--verbose"));
}

TEST(ConfigTest, Parse_BadIntOnCommandLine_InvalidArgumentNamingFlag) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {"--port=eighty"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("--port"), HasSubstr("eighty")));
}

TEST(ConfigTest, Parse_BadDurationInEnvironment_InvalidArgumentNamingFlagAndVariable) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {}, {{"PURCHASE_BILLING_TIMEOUT", "250"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("--billing_timeout"), HasSubstr("PURCHASE_BILLING_TIMEOUT")));
}

TEST(ConfigTest, Parse_BadDurationOnCommandLine_InvalidArgumentNamingFlag) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {"--billing_timeout", "soon"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--billing_timeout"));
}

TEST(ConfigTest, Parse_UnknownFlag_InvalidArgumentNamingFlag) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {"--prot=80"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--prot"));
}

TEST(ConfigTest, Parse_NoPrefixOnNonBoolFlag_InvalidArgument) {
  Config config = MakeConfig();
  EXPECT_EQ(Parse(config, {"--noport"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, Parse_ValueMissingAtEnd_InvalidArgumentNamingFlag) {
  Config config = MakeConfig();
  absl::Status status = Parse(config, {"--port"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("--port"));
}

TEST(ConfigTest, Parse_HelpFlag_SetsHelpRequested) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--help"}).ok());
  EXPECT_TRUE(config.help_requested());
}

TEST(ConfigTest, Parse_DoubleDash_RestArePositional) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"a", "--", "--port=1"}).ok());
  EXPECT_THAT(config.positional_args(), ElementsAre("a", "--port=1"));
  EXPECT_EQ(config.GetInt("port"), 50051);
}

TEST(ConfigTest, Parse_EmptyPrefix_EnvironmentNameIsUpperCasedFlag) {
  Config config("tool", "", "");
  config.DefineInt("max_inflight", 4, "");
  ASSERT_TRUE(Parse(config, {}, {{"MAX_INFLIGHT", "12"}}).ok());
  EXPECT_EQ(config.GetInt("max_inflight"), 12);
}

TEST(ConfigTest, Usage_Always_ListsFlagEnvVariableTypeAndDefault) {
  Config config = MakeConfig();
  std::string usage = config.Usage();
  EXPECT_THAT(usage, HasSubstr("The usedcar purchase context."));
  EXPECT_THAT(usage, HasSubstr("--billing_timeout  (env PURCHASE_BILLING_TIMEOUT)\n"
                               "      type: duration  default: 250ms\n"
                               "      Per-call deadline.\n"));
  EXPECT_THAT(usage, HasSubstr("--billing_target  (env PURCHASE_BILLING_TARGET)\n"
                               "      type: string  default: \"localhost:50061\"\n"));
  EXPECT_THAT(usage, HasSubstr("type: int  default: 50051"));
  EXPECT_THAT(usage, HasSubstr("type: bool  default: false"));
}

TEST(ConfigTest, Dump_AfterParse_ListsEffectiveValuesSorted) {
  Config config = MakeConfig();
  ASSERT_TRUE(Parse(config, {"--billing_target=a b", "--port=1"}).ok());
  EXPECT_EQ(config.Dump(),
            "billing_target=\"a b\" billing_timeout=250ms port=1 sample_rate=0.25 "
            "verbose=false");
}

TEST(ConfigDeathTest, GetInt_FlagIsString_Aborts) {
  Config config = MakeConfig();
  EXPECT_DEATH(config.GetInt("billing_target"), "billing_target");
}

TEST(ConfigDeathTest, DefineString_DefinedTwice_Aborts) {
  Config config = MakeConfig();
  EXPECT_DEATH(config.DefineString("port", "", ""), "defined twice");
}

}  // namespace
}  // namespace mesh::config
