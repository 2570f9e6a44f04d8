#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mesh::config {

// A program's configuration: typed flags, each also settable through an
// environment variable (so a Kubernetes ConfigMap can drive it), each with a
// documented default.
//
//   Config config("purchase", "PURCHASE", "The usedcar purchase context.");
//   config.DefineString("billing_target", "localhost:50061", "Billing address.");
//   config.DefineDuration("billing_timeout", absl::Milliseconds(250), "Per-call limit.");
//   if (absl::Status s = config.Parse(argc, argv); !s.ok()) { ...print s and Usage()... }
//   if (config.help_requested()) { ...print Usage()... }
//   std::string target = config.GetString("billing_target");
//
// Flag `billing_target` is also read from env `PURCHASE_BILLING_TARGET`
// (prefix, underscore, upper-cased name). An empty prefix gives
// `BILLING_TARGET`.
//
// Precedence: command line > environment > default.
//
// Command-line forms: `--name=value` and `--name value`; a single leading dash
// works as well. Bool flags also take bare `--name` (true) and `--noname`
// (false), and do not consume the next argument. `--help` sets
// help_requested(). `--` ends the flags; it and every argument that does not
// start with `-` go to positional_args().
//
// Accepted values: ints are decimal int64; bools are true/false/1/0/yes/no
// (any case); durations use absl::ParseDuration ("250ms", "2s", "1m30s").
//
// Defining a flag twice, a malformed name (not [a-z0-9_]+, or "help"), or a
// Get* of an undefined flag or with the wrong type is a programming error and
// aborts the process.
//
// Thread-safety: Define* and Parse must not race with anything. After Parse,
// the const methods may be called from any number of threads.
class Config {
 public:
  Config(std::string program, std::string env_prefix, std::string summary);

  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;
  Config(Config&&) = default;
  Config& operator=(Config&&) = default;

  void DefineString(std::string name, std::string default_value, std::string help);
  void DefineInt(std::string name, int64_t default_value, std::string help);
  void DefineDouble(std::string name, double default_value, std::string help);
  void DefineBool(std::string name, bool default_value, std::string help);
  void DefineDuration(std::string name, absl::Duration default_value, std::string help);

  // Reads the command line (argv[0] is the program and is skipped), then the
  // environment for each flag the command line did not set. `env` replaces
  // the process environment (for tests); nullptr reads the real one.
  //
  // Returns INVALID_ARGUMENT, naming the flag, for an unknown flag, a missing
  // value, or a value that does not parse; when the bad value came from the
  // environment the message names the variable too. On error, flags keep
  // whatever values were applied before the error was found.
  absl::Status Parse(int argc, char** argv,
                     const std::map<std::string, std::string>* env = nullptr);

  // True when `--help` was on the command line.
  bool help_requested() const { return help_requested_; }

  // Arguments that are not flags, in order.
  const std::vector<std::string>& positional_args() const { return positional_; }

  // The help text: a usage line, the summary, then one block per flag giving
  // `--name`, its environment variable, type, default and help.
  std::string Usage() const;

  std::string GetString(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  double GetDouble(std::string_view name) const;
  bool GetBool(std::string_view name) const;
  absl::Duration GetDuration(std::string_view name) const;

  // The environment variable read for flag `name` (defined or not).
  std::string EnvName(std::string_view name) const;

  // Every flag as `name=value`, sorted by name and separated by spaces, for a
  // start-up log line. Strings that are empty or contain spaces or quotes are
  // quoted and C-escaped.
  std::string Dump() const;

 private:
  enum class Type { kString, kInt, kDouble, kBool, kDuration };
  using Value = std::variant<std::string, int64_t, double, bool, absl::Duration>;

  struct Flag {
    Type type;
    std::string help;
    Value default_value;
    Value value;
  };

  void Define(std::string name, Type type, Value default_value, std::string help);
  const Flag& Lookup(std::string_view name, Type type) const;

  // Parses `text` into `flag`. `source` names where the text came from, for
  // the error message.
  static absl::Status Assign(std::string_view name, Flag& flag, std::string_view text,
                             std::string_view source);
  absl::Status ApplyArgument(int argc, char** argv, int& index,
                             std::vector<std::string>& set_on_command_line);

  static std::string_view TypeName(Type type);
  static std::string Render(const Value& value);

  std::string program_;
  std::string env_prefix_;
  std::string summary_;
  std::map<std::string, Flag, std::less<>> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

}  // namespace mesh::config
