#include "tools/loadgen/report.h"

#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mesh::loadgen {
namespace {

double Millis(uint64_t nanos) { return static_cast<double>(nanos) / 1e6; }
double Seconds(Nanos nanos) { return static_cast<double>(nanos) / 1e9; }

std::string LatencyJson(const HistogramSnapshot& h) {
  return absl::StrFormat(
      R"({"count":%d,"min":%.3f,"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p999":%.3f,"max":%.3f})",
      h.count(), Millis(h.min()), h.mean() / 1e6, Millis(h.Percentile(0.5)),
      Millis(h.Percentile(0.9)), Millis(h.Percentile(0.99)), Millis(h.Percentile(0.999)),
      Millis(h.max()));
}

}  // namespace

int64_t RunResult::completed() const { return std::accumulate(codes.begin(), codes.end(), 0L); }

double RunResult::achieved_rate() const {
  return duration > 0 ? static_cast<double>(completed()) / Seconds(duration) : 0;
}

std::string CodeName(int code) {
  if (code < 0 || code >= kStatusCodes) return absl::StrCat("CODE_", code);
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string ToJson(const RunResult& r) {
  std::string codes;
  for (int code = 0; code < kStatusCodes; ++code) {
    if (r.codes[code] == 0) continue;
    absl::StrAppend(&codes, codes.empty() ? "" : ",", "\"", CodeName(code), "\":", r.codes[code]);
  }
  std::string samples;
  for (const auto& [code, message] : r.error_samples) {
    absl::StrAppend(&samples, samples.empty() ? "" : ",", "\"", CodeName(code), "\":\"",
                    JsonEscape(message), "\"");
  }
  const double seconds = Seconds(r.duration);
  const double ok_rate = seconds > 0 ? static_cast<double>(r.ok()) / seconds : 0;
  std::string json = absl::StrFormat(
      R"({"rpc":"%s","target":"%s","mode":"%s","channels":%d,"concurrency":%d,)"
      R"("target_rate":%d,"warmup_s":%.3f,"duration_s":%.3f,"calls":%d,"ok":%d,"errors":%d,)"
      R"("rate":%.1f,"ok_rate":%.1f,"unfinished":%d,"latency_ms":%s,)",
      JsonEscape(r.rpc), JsonEscape(r.target), r.open_loop ? "open" : "closed", r.channels,
      r.concurrency, r.rate, Seconds(r.warmup), seconds, r.completed(), r.ok(), r.errors(),
      r.achieved_rate(), ok_rate, r.unfinished, LatencyJson(r.latency));
  absl::StrAppend(&json, "\"status_codes\":{", codes, "},\"error_samples\":{", samples, "}");
  absl::StrAppendFormat(
      &json, R"(,"calls_total":%d,"client_cpu_s":%.3f,"client_cpu_us_per_call":%.1f)",
      r.calls_total, r.client_cpu_seconds,
      r.calls_total > 0 ? r.client_cpu_seconds * 1e6 / static_cast<double>(r.calls_total) : 0.0);
  if (r.open_loop) {
    absl::StrAppendFormat(&json,
                          R"(,"open_loop":{"intended":%d,"dropped":%d,"late":%d,)"
                          R"("send_lag_ms":{"p99":%.3f,"max":%.3f}})",
                          r.intended, r.dropped, r.late, Millis(r.send_lag.Percentile(0.99)),
                          Millis(r.send_lag.max()));
  }
  absl::StrAppend(&json, "}");
  return json;
}

std::string SummaryLine(const RunResult& r) {
  const HistogramSnapshot& h = r.latency;
  std::string line =
      r.open_loop
          ? absl::StrFormat("%s open rate=%d/s ch=%d: %.1f/s", r.rpc, r.rate, r.channels,
                            r.achieved_rate())
          : absl::StrFormat("%s closed c=%d ch=%d: %.1f/s", r.rpc, r.concurrency, r.channels,
                            r.achieved_rate());
  absl::StrAppendFormat(
      &line, ", p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms, errors %d",
      Millis(h.Percentile(0.5)), Millis(h.Percentile(0.9)), Millis(h.Percentile(0.99)),
      Millis(h.Percentile(0.999)), Millis(h.max()), r.errors());
  if (r.errors() > 0) {
    std::string by_code;
    for (int code = 1; code < kStatusCodes; ++code) {
      if (r.codes[code] == 0) continue;
      absl::StrAppend(&by_code, by_code.empty() ? "" : " ", CodeName(code), "=", r.codes[code]);
    }
    absl::StrAppend(&line, " (", by_code, ")");
  }
  if (r.open_loop) absl::StrAppendFormat(&line, ", dropped %d, late %d", r.dropped, r.late);
  if (r.unfinished > 0) absl::StrAppendFormat(&line, ", unfinished %d", r.unfinished);
  return line;
}

std::string ProgressLine(const Progress& p) {
  std::string line = absl::StrFormat("[%5.1fs/%.1fs] %-8s %9.0f/s  in-flight %d  errors %d",
                                     Seconds(p.elapsed), Seconds(p.total), p.phase, p.rate,
                                     p.in_flight, p.errors);
  if (p.dropped > 0) absl::StrAppendFormat(&line, "  dropped %d", p.dropped);
  if (p.p99 > 0) absl::StrAppendFormat(&line, "  p99 %.3f ms", Millis(p.p99));
  return line;
}

}  // namespace mesh::loadgen
