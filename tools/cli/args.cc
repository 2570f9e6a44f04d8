#include "tools/cli/args.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mesh::cli {
namespace {

constexpr absl::string_view kGlobalFlags[] = {"target", "timeout"};

bool IsFlagToken(absl::string_view token) {
  return absl::StartsWith(token, "--") && token.size() > 2;
}

// A lone dash followed by a letter is almost certainly a mistyped flag, while
// "-5" or "-" may be a legitimate value.
bool IsShortFlagToken(absl::string_view token) {
  return token.size() >= 2 && token[0] == '-' && token[1] != '-' &&
         !(token[1] >= '0' && token[1] <= '9');
}

}  // namespace

absl::StatusOr<CommandLine> CommandLine::Parse(
    absl::Span<const std::string> args) {
  CommandLine line;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (only_positionals) {
      line.positionals_.push_back(token);
      continue;
    }
    if (token == "--") {
      only_positionals = true;
      continue;
    }
    if (token == "--help" || token == "-h") {
      line.help_ = true;
      continue;
    }
    if (IsShortFlagToken(token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", token, "; flags are spelled --name"));
    }
    if (!IsFlagToken(token)) {
      line.positionals_.push_back(token);
      continue;
    }
    absl::string_view body = absl::string_view(token).substr(2);
    std::string name;
    std::string value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = std::string(body.substr(0, eq));
      value = std::string(body.substr(eq + 1));
    } else {
      name = std::string(body);
      // A following flag is not a value: "--reason --key k" means the reason
      // was forgotten, and silently taking "--key" would hide that.
      if (i + 1 >= args.size() || IsFlagToken(args[i + 1])) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value"));
      }
      value = args[++i];
    }
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed flag ", token));
    }
    if (!line.flags_.emplace(name, std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " given more than once"));
    }
  }
  return line;
}

bool CommandLine::Has(absl::string_view flag) const {
  return flags_.contains(flag);
}

absl::Status CommandLine::CheckFlags(
    absl::string_view command,
    std::initializer_list<absl::string_view> allowed) const {
  for (const auto& [name, value] : flags_) {
    bool known = false;
    for (absl::string_view candidate : allowed) known |= candidate == name;
    for (absl::string_view candidate : kGlobalFlags) known |= candidate == name;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for '", command, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CommandLine::CheckPositionalCount(absl::string_view command,
                                               size_t skip, size_t min,
                                               size_t max) const {
  size_t count =
      positionals_.size() > skip ? positionals_.size() - skip : size_t{0};
  if (count < min) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", command, "' needs ", min, " argument(s), got ",
                     count));
  }
  if (count > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", command, "' takes at most ", max,
                     " argument(s); unexpected '", positionals_[skip + max],
                     "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CommandLine::Positional(
    size_t index, absl::string_view name) const {
  if (index >= positionals_.size() || positionals_[index].empty()) {
    return absl::InvalidArgumentError(absl::StrCat("missing ", name));
  }
  return positionals_[index];
}

absl::StatusOr<std::string> CommandLine::Required(absl::string_view flag) const {
  auto it = flags_.find(flag);
  if (it == flags_.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing required flag --", flag));
  }
  return it->second;
}

std::string CommandLine::GetOr(absl::string_view flag,
                               absl::string_view fallback) const {
  auto it = flags_.find(flag);
  return it == flags_.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<int64_t> CommandLine::RequiredInt64(
    absl::string_view flag) const {
  absl::StatusOr<std::string> text = Required(flag);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "flag --", flag, " must be an integer, got '", *text, "'"));
  }
  return value;
}

absl::StatusOr<int32_t> CommandLine::NonNegativeInt32Or(
    absl::string_view flag, int32_t fallback) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return fallback;
  int32_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", flag, " must be a non-negative integer, got '",
                     it->second, "'"));
  }
  return value;
}

absl::StatusOr<uint64_t> CommandLine::Uint64Or(absl::string_view flag,
                                               uint64_t fallback) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return fallback;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", flag, " must be a non-negative integer, got '",
                     it->second, "'"));
  }
  return value;
}

absl::StatusOr<uint64_t> CommandLine::PositionalUint64(
    size_t index, absl::string_view name) const {
  absl::StatusOr<std::string> text = Positional(index, name);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " must be a non-negative integer, got '", *text, "'"));
  }
  return value;
}

absl::StatusOr<GlobalOptions> ParseGlobalOptions(const CommandLine& line) {
  GlobalOptions options;
  options.target = line.GetOr("target", "");
  if (line.Has("target") && options.target.empty()) {
    return absl::InvalidArgumentError("flag --target must not be empty");
  }
  if (line.Has("timeout")) {
    std::string text = line.GetOr("timeout", "");
    absl::Duration timeout;
    if (!absl::ParseDuration(text, &timeout) ||
        timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "flag --timeout must be a positive duration like 5s or 300ms, got '",
          text, "'"));
    }
    options.timeout = timeout;
  }
  return options;
}

EnvLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string ResolveTarget(absl::string_view flag_target,
                          const ServiceAddress& address, const EnvLookup& env) {
  if (!flag_target.empty()) return std::string(flag_target);
  if (std::optional<std::string> target = env(address.target_env);
      target.has_value() && !target->empty()) {
    return *target;
  }
  if (std::optional<std::string> port = env(address.port_env);
      port.has_value() && !port->empty()) {
    return absl::StrCat("127.0.0.1:", *port);
  }
  return absl::StrCat("127.0.0.1:", address.default_port);
}

}  // namespace mesh::cli
