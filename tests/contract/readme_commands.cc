#include "tests/contract/readme_commands.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mesh::contract {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Reads $NAME at text[i] (text[i] == '$'); returns the name, advancing i
// past it, or an empty name (i unchanged) when '$' starts no name.
std::string ReadName(absl::string_view text, size_t& i) {
  size_t end = i + 1;
  if (end >= text.size() || !IsNameStart(text[end])) return "";
  while (end < text.size() && IsNameChar(text[end])) ++end;
  std::string name(text.substr(i + 1, end - i - 1));
  i = end - 1;
  return name;
}

bool IsAssignment(const std::string& word) {
  const size_t eq = word.find('=');
  if (eq == std::string::npos || eq == 0 || !IsNameStart(word[0])) return false;
  for (size_t i = 0; i < eq; ++i) {
    if (!IsNameChar(word[i])) return false;
  }
  return true;
}

}  // namespace

std::string Section(absl::string_view markdown, absl::string_view title) {
  std::string body;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (absl::StartsWith(line, "## ")) {
      if (inside) break;
      inside = absl::StartsWith(line.substr(3), title);
      continue;
    }
    if (inside) {
      body.append(line.data(), line.size());
      body.push_back('\n');
    }
  }
  return body;
}

std::vector<std::string> CodeBlocks(absl::string_view markdown) {
  std::vector<std::string> blocks;
  bool inside = false;
  std::string block;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "```")) {
      if (inside) blocks.push_back(block);
      block.clear();
      inside = !inside;
      continue;
    }
    if (inside) {
      block.append(line.data(), line.size());
      block.push_back('\n');
    }
  }
  return blocks;
}

std::vector<std::vector<std::string>> ShellCommands(absl::string_view block,
                                                    std::map<std::string, std::string>& variables) {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) words.push_back(word);
    word.clear();
    in_word = false;
  };
  auto end_command = [&] {
    end_word();
    if (words.size() == 1 && IsAssignment(words[0])) {
      const size_t eq = words[0].find('=');
      variables[words[0].substr(0, eq)] = words[0].substr(eq + 1);
    } else if (!words.empty()) {
      commands.push_back(words);
    }
    words.clear();
  };
  for (size_t i = 0; i < block.size(); ++i) {
    const char c = block[i];
    if (c == '\\' && i + 1 < block.size()) {
      if (block[i + 1] != '\n') {
        word.push_back(block[i + 1]);
        in_word = true;
      }
      ++i;
    } else if (c == '\n') {
      end_command();
    } else if (c == ' ' || c == '\t') {
      end_word();
    } else if (c == '#' && !in_word) {
      while (i + 1 < block.size() && block[i + 1] != '\n') ++i;
    } else if (c == '\'') {
      in_word = true;
      for (++i; i < block.size() && block[i] != '\''; ++i) word.push_back(block[i]);
    } else if (c == '"') {
      in_word = true;
      for (++i; i < block.size() && block[i] != '"'; ++i) {
        if (block[i] == '\\' && i + 1 < block.size() && absl::StrContains("\"\\$`", block[i + 1])) {
          word.push_back(block[++i]);
        } else if (block[i] == '$') {
          const std::string name = ReadName(block, i);
          if (name.empty()) {
            word.push_back('$');
          } else {
            word += variables[name];
          }
        } else {
          word.push_back(block[i]);
        }
      }
    } else if (c == '$') {
      const std::string name = ReadName(block, i);
      if (name.empty()) {
        word.push_back('$');
        in_word = true;
        continue;
      }
      const std::vector<std::string> parts =
          absl::StrSplit(variables[name], ' ', absl::SkipEmpty());
      for (size_t p = 0; p < parts.size(); ++p) {
        if (p > 0) end_word();
        word += parts[p];
        in_word = true;
      }
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  end_command();
  return commands;
}

std::map<std::string, std::string> PortsByService(absl::string_view markdown) {
  std::map<std::string, std::string> ports;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (!absl::StartsWith(line, "|")) continue;
    const std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
    if (cells.size() < 4) continue;
    const absl::string_view name = absl::StripAsciiWhitespace(cells[1]);
    const absl::string_view address = absl::StripAsciiWhitespace(cells[2]);
    constexpr absl::string_view kPrefix = "`127.0.0.1:";
    if (!absl::StartsWith(address, kPrefix) || !absl::EndsWith(address, "`")) continue;
    const absl::string_view port =
        address.substr(kPrefix.size(), address.size() - kPrefix.size() - 1);
    ports[std::string(port)] = std::string(name.substr(0, name.find(' ')));
  }
  return ports;
}

}  // namespace mesh::contract
