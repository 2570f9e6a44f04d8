// Command-line parsing for meshctl, kept free of gRPC so it can be unit tested.
//
// The grammar is deliberately small: every flag takes a value, given as
// `--name value` or `--name=value`; `--help` / `-h` is the only switch; `--`
// makes every later token positional. Flags may appear anywhere after the
// program name, so `meshctl purchase get P1 --timeout 2s` works as well as
// `meshctl --timeout 2s purchase get P1`.
//
// Every error is INVALID_ARGUMENT and its message names the offending flag or
// argument, so the caller can print it above the usage text and exit 2.
//
// All types here are immutable after parsing and safe to read from many
// threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace mesh::cli {

// The parsed tokens of one invocation: positionals (command words first, then
// their arguments) and flags by name without the leading dashes.
class CommandLine {
 public:
  // Splits `args` (argv without the program name). Fails on a flag without a
  // value, a flag given twice, or a lone `-x` style token other than `-h`.
  static absl::StatusOr<CommandLine> Parse(absl::Span<const std::string> args);

  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }
  bool Has(absl::string_view flag) const;

  // Fails, naming the first offender, when a flag outside `allowed` was given.
  // The global flags (--target, --timeout) are always allowed. `command` is
  // used in the message, for example "purchase get".
  absl::Status CheckFlags(absl::string_view command,
                          std::initializer_list<absl::string_view> allowed) const;

  // Fails unless there are between `min` and `max` positionals after the
  // first `skip` (the command words).
  absl::Status CheckPositionalCount(absl::string_view command, size_t skip,
                                    size_t min, size_t max) const;

  // The positional at `index`, or an error saying `name` is missing.
  absl::StatusOr<std::string> Positional(size_t index,
                                         absl::string_view name) const;

  // The flag's value, or an error "missing required flag --<flag>". An empty
  // value counts as missing.
  absl::StatusOr<std::string> Required(absl::string_view flag) const;
  // The flag's value, or `fallback` when it was not given.
  std::string GetOr(absl::string_view flag, absl::string_view fallback) const;

  // A required flag holding a base-10 int64 (an amount in minor units).
  absl::StatusOr<int64_t> RequiredInt64(absl::string_view flag) const;
  // An optional flag holding a non-negative int32 (a page size).
  absl::StatusOr<int32_t> NonNegativeInt32Or(absl::string_view flag,
                                             int32_t fallback) const;
  // An optional flag holding a base-10 uint64 (a stream sequence).
  absl::StatusOr<uint64_t> Uint64Or(absl::string_view flag,
                                    uint64_t fallback) const;
  // The positional at `index` as a base-10 uint64, or an error naming `name`
  // when it is missing or not a number.
  absl::StatusOr<uint64_t> PositionalUint64(size_t index,
                                            absl::string_view name) const;

 private:
  std::vector<std::string> positionals_;
  absl::flat_hash_map<std::string, std::string> flags_;
  bool help_ = false;
};

// Options that apply to every command.
struct GlobalOptions {
  // The --target flag; empty means "use the command's default".
  std::string target;
  // Per-call deadline, from --timeout (absl duration syntax: 5s, 300ms).
  absl::Duration timeout = absl::Seconds(5);
};

// Reads --target and --timeout. Fails when the timeout does not parse or is
// not positive.
absl::StatusOr<GlobalOptions> ParseGlobalOptions(const CommandLine& line);

// Where a service listens unless --target says otherwise.
struct ServiceAddress {
  // Environment variable holding a full HOST:PORT, e.g. BILLING_TARGET.
  absl::string_view target_env;
  // Environment variable holding just the port, e.g. BILLING_PORT.
  absl::string_view port_env;
  int default_port;
};

inline constexpr ServiceAddress kBillingAddress{"BILLING_TARGET",
                                                "BILLING_PORT", 50051};
inline constexpr ServiceAddress kPurchaseAddress{"PURCHASE_TARGET",
                                                 "PURCHASE_PORT", 50052};
inline constexpr ServiceAddress kConsignAddress{"CONSIGN_TARGET",
                                                "CONSIGN_PORT", 50053};
inline constexpr ServiceAddress kStockAddress{"STOCK_TARGET", "STOCK_PORT",
                                              50054};
inline constexpr ServiceAddress kDashboardAddress{"DASHBOARD_TARGET",
                                                  "DASHBOARD_PORT", 50055};
inline constexpr ServiceAddress kNotificationAddress{
    "NOTIFICATION_TARGET", "NOTIFICATION_PORT", 50056};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;

// The process environment, as an EnvLookup.
EnvLookup ProcessEnvironment();

// Picks the target: `flag_target` if non-empty, else $target_env, else
// 127.0.0.1:$port_env, else 127.0.0.1:default_port. Empty variables count as
// unset.
std::string ResolveTarget(absl::string_view flag_target,
                          const ServiceAddress& address, const EnvLookup& env);

}  // namespace mesh::cli
