#include "libs/logging/logging.h"

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mesh::logging {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kTs = absl::FromUnixMicros(1795239623123456);  // 2026-11-21T05:40:23.123456Z

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { InitWithStream("purchase", Level::kInfo, out_); }
  void TearDown() override { Init("", Level::kInfo); }

  std::ostringstream out_;
};

TEST_F(LoggingTest, FormatLineAt_NoCorrelation_ExactShapeWithoutCorrelationId) {
  EXPECT_EQ(FormatLineAt(kTs, Level::kInfo, "purchase paid", {{"purchase_id", "p-1"}}),
            R"({"ts":"2026-11-21T05:40:23.123456Z","level":"info","service":"purchase",)"
            R"("msg":"purchase paid","purchase_id":"p-1"})");
}

TEST_F(LoggingTest, FormatLineAt_WithCorrelation_CorrelationIdFollowsMessage) {
  ScopedCorrelationId cid("usedcar/purchase/42");
  EXPECT_EQ(FormatLineAt(kTs, Level::kWarn, "slow", {}),
            R"({"ts":"2026-11-21T05:40:23.123456Z","level":"warn","service":"purchase",)"
            R"("msg":"slow","correlation_id":"usedcar/purchase/42"})");
}

TEST_F(LoggingTest, FormatLineAt_SpecialCharacters_EscapedAsJson) {
  std::string line = FormatLineAt(kTs, Level::kError, "say \"hi\"\\\n\tend\x01\x1f",
                                  {{"k\"ey", std::string("a\rb")}});
  EXPECT_THAT(line, HasSubstr(R"("msg":"say \"hi\"\\\n\tend\u0001\u001f")"));
  EXPECT_THAT(line, HasSubstr(R"("k\"ey":"a\rb")"));
}

TEST_F(LoggingTest, FormatLineAt_Utf8_KeptAndInvalidBytesReplaced) {
  std::string line = FormatLineAt(kTs, Level::kInfo, "탁송 \xff\xc3", {});
  EXPECT_THAT(line, HasSubstr("\"msg\":\"탁송 \\ufffd\\ufffd\""));
}

TEST_F(LoggingTest, FormatLineAt_TypedFields_NumbersAndBoolsUnquoted) {
  const int64_t big = std::numeric_limits<int64_t>::min();
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  std::string line = FormatLineAt(kTs, Level::kInfo, "m",
                                  {{"i", 7},
                                   {"i64", big},
                                   {"u64", huge},
                                   {"d", 0.25},
                                   {"b", true},
                                   {"f", false},
                                   {"nan", std::numeric_limits<double>::quiet_NaN()},
                                   {"s", "7"},
                                   {"sv", absl::string_view("x")}});
  EXPECT_THAT(line, HasSubstr(R"("i":7,"i64":-9223372036854775808,)"
                              R"("u64":18446744073709551615,"d":0.25,"b":true,"f":false,)"
                              R"("nan":"NaN","s":"7","sv":"x"})"));
}

TEST_F(LoggingTest, FormatLine_Now_TimestampIsUtcWithMicroseconds) {
  EXPECT_THAT(FormatLine(Level::kInfo, "m", {}),
              ContainsRegex(R"(^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:)"
                            R"([0-9]{2}\.[0-9]{6}Z","level":"info")"));
}

TEST_F(LoggingTest, ScopedCorrelationId_Nested_InnerWinsThenOuterRestored) {
  EXPECT_EQ(CurrentCorrelationId(), "");
  {
    ScopedCorrelationId outer("outer");
    EXPECT_EQ(CurrentCorrelationId(), "outer");
    {
      ScopedCorrelationId inner("inner");
      EXPECT_EQ(CurrentCorrelationId(), "inner");
    }
    EXPECT_EQ(CurrentCorrelationId(), "outer");
  }
  EXPECT_EQ(CurrentCorrelationId(), "");
  EXPECT_THAT(FormatLine(Level::kInfo, "m", {}), Not(HasSubstr("correlation_id")));
}

TEST_F(LoggingTest, ScopedCorrelationId_OtherThread_NotVisible) {
  ScopedCorrelationId cid("mine");
  std::string seen = "unset";
  std::thread([&] { seen = CurrentCorrelationId(); }).join();
  EXPECT_EQ(seen, "");
}

TEST_F(LoggingTest, Log_BelowMinLevel_WritesNothing) {
  Debug("hidden");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LoggingTest, Log_AtOrAboveMinLevel_WritesOneJsonLinePerCall) {
  {
    ScopedCorrelationId cid("c-9");
    Info("first {}", {{"n", 1}});
  }
  Error("second");
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(R"("level":"info","service":"purchase",)"
                                  R"("msg":"first {}","correlation_id":"c-9","n":1})"));
  EXPECT_THAT(lines[1], HasSubstr(R"("level":"error","service":"purchase","msg":"second"})"));
}

TEST_F(LoggingTest, Log_ManyThreads_EveryLineWholeWithItsOwnCorrelationId) {
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      ScopedCorrelationId cid(absl::StrCat("thread-", t));
      for (int i = 0; i < kLines; ++i) Info("tick", {{"thread", t}});
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  for (const std::string& line : lines) {
    ASSERT_THAT(line, ContainsRegex(R"re(^\{"ts":.*"msg":"tick","correlation_id":"thread-[0-9]",)re"
                                    R"re("thread":[0-9]\}$)re"));
    const size_t id_digit = line.find("thread-") + 7;
    const size_t field_digit = line.find("\"thread\":") + 9;
    EXPECT_EQ(line[id_digit], line[field_digit]) << line;
  }
}

TEST_F(LoggingTest, Enabled_DebugMinLevel_DebugWritten) {
  InitWithStream("svc", Level::kDebug, out_);
  EXPECT_TRUE(Enabled(Level::kDebug));
  Debug("visible");
  EXPECT_THAT(out_.str(), HasSubstr(R"("level":"debug","service":"svc","msg":"visible")"));
}

TEST(LevelTest, ParseLevel_KnownNames_RoundTripWithLevelName) {
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    absl::StatusOr<Level> parsed = ParseLevel(LevelName(level));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_EQ(LevelName(Level::kWarn), "warn");
  EXPECT_EQ(*ParseLevel("WARNING"), Level::kWarn);
}

TEST(LevelTest, ParseLevel_UnknownName_InvalidArgument) {
  absl::StatusOr<Level> parsed = ParseLevel("verbose");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("verbose"));
}

}  // namespace
}  // namespace mesh::logging
