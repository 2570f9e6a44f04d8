#include "libs/config/config.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mesh::config {
namespace {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Misuse of the API is a bug in the program, found on its first start; abort
// in every build mode rather than run with a silently wrong value.
[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "mesh::config: %.*s\n", static_cast<int>(message.size()), message.data());
  std::abort();
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name == "help") return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return true;
}

bool ParseBool(std::string_view text, bool& out) {
  std::string lower = absl::AsciiStrToLower(Sv(text));
  if (lower == "true" || lower == "1" || lower == "yes") {
    out = true;
    return true;
  }
  if (lower == "false" || lower == "0" || lower == "no") {
    out = false;
    return true;
  }
  return false;
}

bool NeedsQuotes(std::string_view value) {
  return value.empty() || value.find_first_of(" \"'\\\n\t") != std::string_view::npos;
}

}  // namespace

Config::Config(std::string program, std::string env_prefix, std::string summary)
    : program_(std::move(program)),
      env_prefix_(std::move(env_prefix)),
      summary_(std::move(summary)) {}

void Config::DefineString(std::string name, std::string default_value, std::string help) {
  Define(std::move(name), Type::kString, std::move(default_value), std::move(help));
}

void Config::DefineInt(std::string name, int64_t default_value, std::string help) {
  Define(std::move(name), Type::kInt, default_value, std::move(help));
}

void Config::DefineDouble(std::string name, double default_value, std::string help) {
  Define(std::move(name), Type::kDouble, default_value, std::move(help));
}

void Config::DefineBool(std::string name, bool default_value, std::string help) {
  Define(std::move(name), Type::kBool, default_value, std::move(help));
}

void Config::DefineDuration(std::string name, absl::Duration default_value, std::string help) {
  Define(std::move(name), Type::kDuration, default_value, std::move(help));
}

void Config::Define(std::string name, Type type, Value default_value, std::string help) {
  if (!IsValidName(name)) Die(absl::StrCat("invalid flag name \"", name, "\""));
  Flag flag{type, std::move(help), default_value, default_value};
  if (!flags_.emplace(name, std::move(flag)).second) {
    Die(absl::StrCat("flag --", name, " defined twice"));
  }
}

std::string Config::EnvName(std::string_view name) const {
  std::string upper = absl::AsciiStrToUpper(Sv(name));
  if (env_prefix_.empty()) return upper;
  return absl::StrCat(env_prefix_, "_", upper);
}

absl::Status Config::Assign(std::string_view name, Flag& flag, std::string_view text,
                            std::string_view source) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", absl::CEscape(Sv(text)),
                                                   "\" for flag --", Sv(name), Sv(source), ": ",
                                                   Sv(why)));
  };
  switch (flag.type) {
    case Type::kString:
      flag.value = std::string(text);
      return absl::OkStatus();
    case Type::kInt: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(Sv(text), &v)) return invalid("expected an integer");
      flag.value = v;
      return absl::OkStatus();
    }
    case Type::kDouble: {
      double v = 0;
      if (!absl::SimpleAtod(Sv(text), &v)) return invalid("expected a number");
      flag.value = v;
      return absl::OkStatus();
    }
    case Type::kBool: {
      bool v = false;
      if (!ParseBool(text, v)) return invalid("expected true or false");
      flag.value = v;
      return absl::OkStatus();
    }
    case Type::kDuration: {
      absl::Duration v;
      if (!absl::ParseDuration(Sv(text), &v)) {
        return invalid("expected a duration such as 250ms, 2s or 1m30s");
      }
      flag.value = v;
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unreachable flag type");
}

absl::Status Config::ApplyArgument(int argc, char** argv, int& index,
                                   std::vector<std::string>& set_on_command_line) {
  std::string_view body = argv[index];
  body.remove_prefix(body.starts_with("--") ? 2 : 1);
  std::string_view name = body;
  std::optional<std::string_view> value;
  if (size_t eq = body.find('='); eq != std::string_view::npos) {
    name = body.substr(0, eq);
    value = body.substr(eq + 1);
  }

  if (name == "help") {
    help_requested_ = true;
    return absl::OkStatus();
  }

  auto it = flags_.find(name);
  if (it == flags_.end()) {
    // `--noverbose` clears bool flag `verbose`.
    if (name.starts_with("no") && !value.has_value()) {
      auto negated = flags_.find(name.substr(2));
      if (negated != flags_.end() && negated->second.type == Type::kBool) {
        negated->second.value = false;
        set_on_command_line.push_back(negated->first);
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown flag --", Sv(name)));
  }

  Flag& flag = it->second;
  set_on_command_line.push_back(it->first);
  if (!value.has_value()) {
    if (flag.type == Type::kBool) {
      flag.value = true;
      return absl::OkStatus();
    }
    if (index + 1 >= argc) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", Sv(name), " needs a value"));
    }
    value = argv[++index];
  }
  return Assign(it->first, flag, *value, "");
}

absl::Status Config::Parse(int argc, char** argv, const std::map<std::string, std::string>* env) {
  help_requested_ = false;
  positional_.clear();
  std::vector<std::string> set_on_command_line;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.emplace_back(arg);
      continue;
    }
    if (absl::Status status = ApplyArgument(argc, argv, i, set_on_command_line); !status.ok()) {
      return status;
    }
  }

  const std::set<std::string> explicit_flags(set_on_command_line.begin(),
                                             set_on_command_line.end());
  for (auto& [name, flag] : flags_) {
    if (explicit_flags.contains(name)) continue;
    const std::string env_name = EnvName(name);
    std::optional<std::string> text;
    if (env != nullptr) {
      if (auto found = env->find(env_name); found != env->end()) text = found->second;
    } else if (const char* raw = std::getenv(env_name.c_str()); raw != nullptr) {
      text = raw;
    }
    if (!text.has_value()) continue;
    if (absl::Status status =
            Assign(name, flag, *text, absl::StrCat(" from environment variable ", env_name));
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

std::string_view Config::TypeName(Type type) {
  switch (type) {
    case Type::kString:
      return "string";
    case Type::kInt:
      return "int";
    case Type::kDouble:
      return "double";
    case Type::kBool:
      return "bool";
    case Type::kDuration:
      return "duration";
  }
  return "unknown";
}

std::string Config::Render(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const {
      // Shortest text that reads back as the same double; StrCat keeps only 6 digits.
      char buffer[32];
      auto result = std::to_chars(buffer, buffer + sizeof(buffer), v, std::chars_format::general);
      return std::string(buffer, result.ptr);
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(absl::Duration v) const { return absl::FormatDuration(v); }
  };
  return std::visit(Visitor{}, value);
}

std::string Config::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " [flags]\n");
  if (!summary_.empty()) absl::StrAppend(&out, summary_, "\n");
  absl::StrAppend(&out,
                  "\nflags (command line overrides environment, which overrides the default):\n");
  for (const auto& [name, flag] : flags_) {
    std::string default_text = Render(flag.default_value);
    if (flag.type == Type::kString)
      default_text = absl::StrCat("\"", absl::CEscape(default_text), "\"");
    absl::StrAppend(&out, "\n  --", name, "  (env ", EnvName(name),
                    ")\n      type: ", Sv(TypeName(flag.type)), "  default: ", default_text, "\n");
    if (!flag.help.empty()) absl::StrAppend(&out, "      ", flag.help, "\n");
  }
  absl::StrAppend(&out, "\n  --help\n      Print this text.\n");
  return out;
}

const Config::Flag& Config::Lookup(std::string_view name, Type type) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) Die(absl::StrCat("flag --", Sv(name), " is not defined"));
  if (it->second.type != type) {
    Die(absl::StrCat("flag --", Sv(name), " is a ", Sv(TypeName(it->second.type)), ", read as a ",
                     Sv(TypeName(type))));
  }
  return it->second;
}

std::string Config::GetString(std::string_view name) const {
  return std::get<std::string>(Lookup(name, Type::kString).value);
}

int64_t Config::GetInt(std::string_view name) const {
  return std::get<int64_t>(Lookup(name, Type::kInt).value);
}

double Config::GetDouble(std::string_view name) const {
  return std::get<double>(Lookup(name, Type::kDouble).value);
}

bool Config::GetBool(std::string_view name) const {
  return std::get<bool>(Lookup(name, Type::kBool).value);
}

absl::Duration Config::GetDuration(std::string_view name) const {
  return std::get<absl::Duration>(Lookup(name, Type::kDuration).value);
}

std::string Config::Dump() const {
  std::vector<std::string> pairs;
  pairs.reserve(flags_.size());
  for (const auto& [name, flag] : flags_) {
    std::string value = Render(flag.value);
    if (flag.type == Type::kString && NeedsQuotes(value)) {
      value = absl::StrCat("\"", absl::CEscape(value), "\"");
    }
    pairs.push_back(absl::StrCat(name, "=", value));
  }
  return absl::StrJoin(pairs, " ");
}

}  // namespace mesh::config
