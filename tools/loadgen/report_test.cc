#include "tools/loadgen/report.h"

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tools/loadgen/rpc_client.h"

namespace mesh::loadgen {
namespace {

RunResult SampleResult() {
  RunResult r;
  r.rpc = "purchase";
  r.target = "127.0.0.1:1";
  r.open_loop = true;
  r.rate = 100;
  r.duration = 2 * kNanosPerSecond;
  for (uint64_t ms = 1; ms <= 100; ++ms) r.latency.Record(ms * 100'000);  // 0.1 .. 10 ms
  r.codes[0] = 90;
  r.codes[14] = 10;
  r.error_samples[14] = "payment is \"busy\"\n";
  r.intended = 200;
  r.dropped = 3;
  return r;
}

TEST(ReportTest, AchievedRate_HundredCallsInTwoSeconds_IsFiftyPerSecond) {
  EXPECT_DOUBLE_EQ(SampleResult().achieved_rate(), 50);
  EXPECT_EQ(SampleResult().errors(), 10);
}

TEST(ReportTest, ToJson_OpenLoopResult_HasPercentilesCodesAndDrops) {
  const std::string json = ToJson(SampleResult());
  EXPECT_NE(json.find(R"("mode":"open")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("rate":50.0)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("ok_rate":45.0)"), std::string::npos) << json;
  const RunResult r = SampleResult();
  const double p99_ms = static_cast<double>(r.latency.Percentile(0.99)) / 1e6;
  EXPECT_GE(p99_ms, 9.9);
  EXPECT_LE(p99_ms, 9.9 * 129 / 128);
  EXPECT_NE(json.find(absl::StrFormat(R"("p99":%.3f)", p99_ms)), std::string::npos) << json;
  EXPECT_NE(json.find(R"("max":10.000)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status_codes":{"OK":90,"UNAVAILABLE":10})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("UNAVAILABLE":"payment is \"busy\"\n")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("dropped":3)"), std::string::npos) << json;
}

TEST(ReportTest, ToJson_ClientCpu_IsPerCallInMicroseconds) {
  RunResult r = SampleResult();
  r.calls_total = 1000;
  r.client_cpu_seconds = 0.02;
  const std::string json = ToJson(r);
  EXPECT_NE(json.find(R"("client_cpu_us_per_call":20.0)"), std::string::npos) << json;
}

TEST(ReportTest, JsonEscape_ControlCharacters_AreEscaped) {
  EXPECT_EQ(JsonEscape(std::string("a\\b\x01", 4)), "a\\\\b\\u0001");
}

TEST(ReportTest, SummaryLine_WithErrors_ListsThemByCode) {
  const std::string line = SummaryLine(SampleResult());
  EXPECT_NE(line.find("purchase open rate=100/s"), std::string::npos) << line;
  EXPECT_NE(line.find("errors 10 (UNAVAILABLE=10)"), std::string::npos) << line;
  EXPECT_NE(line.find("dropped 3"), std::string::npos) << line;
}

TEST(ReportTest, CodeName_OutOfRange_IsNumbered) {
  EXPECT_EQ(CodeName(4), "DEADLINE_EXCEEDED");
  EXPECT_EQ(CodeName(42), "CODE_42");
}

TEST(RequestTest, PurchaseRequestOf_Sequence_IsUniqueAndSpreadOverBuyersAndCars) {
  ClientOptions options;
  options.id_prefix = "run7";
  options.buyers = 10;
  options.cars = 4;
  const auto request = PurchaseRequestOf(options, 23);
  EXPECT_EQ(request.request_id(), "run7-23");
  EXPECT_EQ(request.customer_id(), "buyer-3");
  EXPECT_EQ(request.car_id(), "car-3");
  EXPECT_EQ(request.price().currency_code(), "KRW");
  EXPECT_NE(PurchaseRequestOf(options, 24).request_id(), request.request_id());
}

TEST(RequestTest, PayRequestOf_Sequence_CarriesAUniqueIdempotencyKey) {
  ClientOptions options;
  options.id_prefix = "p";
  const auto request = PayRequestOf(options, 5);
  EXPECT_EQ(request.idempotency_key(), "p-5");
  EXPECT_EQ(request.reference(), "loadgen/p-5");
  EXPECT_GT(request.amount().amount_minor(), 0);
}

TEST(RequestTest, GrpcFrame_EchoRequest_IsLengthPrefixedBigEndian) {
  ClientOptions options;
  options.payload_bytes = 300;
  const auto request = EchoRequestOf(options);
  const std::string frame = GrpcFrame(request);
  const std::string body = request.SerializeAsString();
  ASSERT_EQ(frame.size(), body.size() + 5);
  EXPECT_EQ(frame[0], '\0');
  const uint32_t length = (static_cast<uint8_t>(frame[1]) << 24) |
                          (static_cast<uint8_t>(frame[2]) << 16) |
                          (static_cast<uint8_t>(frame[3]) << 8) | static_cast<uint8_t>(frame[4]);
  EXPECT_EQ(length, body.size());
  EXPECT_EQ(frame.substr(5), body);
}

}  // namespace
}  // namespace mesh::loadgen
