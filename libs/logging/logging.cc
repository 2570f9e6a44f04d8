#include "libs/logging/logging.h"

#include <atomic>
#include <charconv>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/logger.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace mesh::logging {
namespace {

struct State {
  std::string service;
  std::shared_ptr<spdlog::logger> logger;
};

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  // Not registered with spdlog's global registry: Init may run more than once
  // and the registry rejects a second logger with the same name.
  auto logger = std::make_shared<spdlog::logger>("mesh", std::move(sink));
  logger->set_pattern("%v");
  // Filtering happens before the JSON is built, so spdlog passes everything.
  logger->set_level(spdlog::level::trace);
  return logger;
}

class Globals {
 public:
  static Globals& Get() {
    static Globals* globals = new Globals();
    return *globals;
  }

  std::shared_ptr<const State> state() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (state_ == nullptr) {
      state_ = std::make_shared<const State>(
          State{"", MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>())});
    }
    return state_;
  }

  void Set(std::string_view service, Level min_level, spdlog::sink_ptr sink)
      ABSL_LOCKS_EXCLUDED(mu_) {
    auto state = std::make_shared<const State>(State{std::string(service), MakeLogger(sink)});
    absl::MutexLock lock(&mu_);
    state_ = std::move(state);
    min_level_.store(static_cast<int>(min_level), std::memory_order_relaxed);
  }

  int min_level() const { return min_level_.load(std::memory_order_relaxed); }

 private:
  absl::Mutex mu_;
  std::shared_ptr<const State> state_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> min_level_{static_cast<int>(Level::kInfo)};
};

thread_local std::string current_correlation_id;

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if the
// bytes there are not one (RFC 3629 table 3-7: no overlongs, no surrogates,
// nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < second_low || byte(i + 1) > second_high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

void AppendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  AppendJsonEscaped(text, out);
  out.push_back('"');
}

void AppendDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "\"+Inf\"" : "\"-Inf\"");
  } else {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general);
    out.append(buffer, result.ptr);
  }
}

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string FormatWithService(absl::Time ts, Level level, std::string_view service,
                              std::string_view message, std::initializer_list<Field> fields) {
  std::string out;
  out.reserve(128 + message.size());
  out.append("{\"ts\":\"");
  out.append(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", ts, absl::UTCTimeZone()));
  out.append("\",\"level\":\"");
  out.append(LevelName(level));
  out.append("\",\"service\":");
  AppendJsonString(service, out);
  out.append(",\"msg\":");
  AppendJsonString(message, out);
  if (!current_correlation_id.empty()) {
    out.append(",\"correlation_id\":");
    AppendJsonString(current_correlation_id, out);
  }
  for (const Field& field : fields) {
    out.push_back(',');
    field.AppendTo(out);
  }
  out.push_back('}');
  return out;
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(absl::StrCat("unknown log level \"",
                                                 absl::string_view(text.data(), text.size()),
                                                 "\"; want debug, info, warn or error"));
}

void Init(std::string_view service, Level min_level) {
  Globals::Get().Set(service, min_level, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void InitWithStream(std::string_view service, Level min_level, std::ostream& out) {
  Globals::Get().Set(service, min_level,
                     std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true));
}

bool Enabled(Level level) { return static_cast<int>(level) >= Globals::Get().min_level(); }

void AppendJsonEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (size_t length = Utf8SequenceLength(text, i); length > 0) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out.append("\\ufffd");
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

void Field::AppendTo(std::string& out) const {
  AppendJsonString(key_, out);
  out.push_back(':');
  struct Visitor {
    std::string& out;
    void operator()(std::string_view v) const { AppendJsonString(v, out); }
    void operator()(int64_t v) const { absl::StrAppend(&out, v); }
    void operator()(uint64_t v) const { absl::StrAppend(&out, v); }
    void operator()(double v) const { AppendDouble(v, out); }
    void operator()(bool v) const { out.append(v ? "true" : "false"); }
  };
  std::visit(Visitor{out}, value_);
}

std::string FormatLineAt(absl::Time ts, Level level, std::string_view message,
                         std::initializer_list<Field> fields) {
  return FormatWithService(ts, level, Globals::Get().state()->service, message, fields);
}

std::string FormatLine(Level level, std::string_view message, std::initializer_list<Field> fields) {
  return FormatLineAt(absl::Now(), level, message, fields);
}

void Log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::shared_ptr<const State> state = Globals::Get().state();
  const std::string line = FormatWithService(absl::Now(), level, state->service, message, fields);
  // The message is passed as a plain string so that braces in it are not
  // taken as fmt replacement fields.
  state->logger->log(ToSpdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

ScopedCorrelationId::ScopedCorrelationId(std::string id)
    : previous_(std::exchange(current_correlation_id, std::move(id))) {}

ScopedCorrelationId::~ScopedCorrelationId() { current_correlation_id = std::move(previous_); }

std::string CurrentCorrelationId() { return current_correlation_id; }

}  // namespace mesh::logging
