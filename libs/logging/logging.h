#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mesh::logging {

// Structured logs: one JSON object per line on stderr, written through spdlog.
//
//   mesh::logging::Init("purchase", Level::kInfo);
//   mesh::logging::ScopedCorrelationId cid(request.purchase_id());
//   mesh::logging::Info("purchase paid", {{"purchase_id", id}, {"amount", 1200}});
//
// writes
//
//   {"ts":"2026-11-21T05:40:23.123456Z","level":"info","service":"purchase",
//    "msg":"purchase paid","correlation_id":"p-1","purchase_id":"p-1","amount":1200}
//
// (on one line). `ts` is UTC with microseconds. `correlation_id` is left out
// when the thread has none. Strings are escaped per RFC 8259 (quotes,
// backslashes, control characters as \n, \t, \u00XX); bytes that are not valid
// UTF-8 become U+FFFD so every line stays valid JSON. Fields follow in the
// order given; a field may repeat a built-in key, which readers then see twice.
//
// Every function here is thread-safe. Logging before Init writes to stderr
// with an empty service name at level info.

enum class Level { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn" or "error".
std::string_view LevelName(Level level);

// Accepts the names LevelName returns, in any case, and "warning". Anything
// else is INVALID_ARGUMENT.
absl::StatusOr<Level> ParseLevel(std::string_view text);

// Sets the service name and minimum level, and sends lines to stderr.
// May be called again, e.g. to change the level.
void Init(std::string_view service, Level min_level = Level::kInfo);

// As Init, but sends lines to `out`, which must outlive all logging (tests).
void InitWithStream(std::string_view service, Level min_level, std::ostream& out);

// True when a line at `level` would be written.
bool Enabled(Level level);

// One key/value pair of a log line. Numbers and bools render unquoted;
// non-finite doubles render as the strings "NaN", "+Inf", "-Inf".
//
// A Field is a view like absl::AlphaNum: it refers to the key and string
// value it was made from, so use it only within the argument list of a Log
// call.
class Field {
 public:
  Field(std::string_view key, std::string_view value) : key_(key), value_(value) {}
  Field(std::string_view key, const char* value)
      : key_(key), value_(std::string_view(value == nullptr ? "" : value)) {}
  Field(std::string_view key, const std::string& value)
      : key_(key), value_(std::string_view(value)) {}
  // Debian's absl::string_view is its own type, not std::string_view.
  Field(std::string_view key, absl::string_view value)
      : key_(key), value_(std::string_view(value.data(), value.size())) {}
  Field(std::string_view key, int value) : key_(key), value_(int64_t{value}) {}
  Field(std::string_view key, long value) : key_(key), value_(int64_t{value}) {}
  Field(std::string_view key, long long value) : key_(key), value_(int64_t{value}) {}
  Field(std::string_view key, unsigned value) : key_(key), value_(uint64_t{value}) {}
  Field(std::string_view key, unsigned long value) : key_(key), value_(uint64_t{value}) {}
  Field(std::string_view key, unsigned long long value) : key_(key), value_(uint64_t{value}) {}
  Field(std::string_view key, double value) : key_(key), value_(value) {}
  Field(std::string_view key, bool value) : key_(key), value_(value) {}

  std::string_view key() const { return key_; }

  // Appends `"key":value` to `out`.
  void AppendTo(std::string& out) const;

 private:
  std::string_view key_;
  std::variant<std::string_view, int64_t, uint64_t, double, bool> value_;
};

void Log(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kDebug, message, fields);
}
inline void Info(std::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, message, fields);
}
inline void Warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarn, message, fields);
}
inline void Error(std::string_view message, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, message, fields);
}

// Sets the calling thread's correlation id for the object's lifetime and
// restores the previous one afterwards, so scopes nest. Every line logged on
// this thread meanwhile carries "correlation_id". Must be destroyed on the
// thread that created it.
class ScopedCorrelationId {
 public:
  explicit ScopedCorrelationId(std::string id);
  ~ScopedCorrelationId();

  ScopedCorrelationId(const ScopedCorrelationId&) = delete;
  ScopedCorrelationId& operator=(const ScopedCorrelationId&) = delete;

 private:
  std::string previous_;
};

// The calling thread's correlation id; empty when none is set.
std::string CurrentCorrelationId();

// The JSON object (no trailing newline) that Log would write now, with the
// service given to Init and the thread's correlation id.
std::string FormatLine(Level level, std::string_view message, std::initializer_list<Field> fields);

// As FormatLine, at time `ts`.
std::string FormatLineAt(absl::Time ts, Level level, std::string_view message,
                         std::initializer_list<Field> fields);

// Appends `text` to `out` as a JSON string body (no surrounding quotes).
void AppendJsonEscaped(std::string_view text, std::string& out);

}  // namespace mesh::logging
