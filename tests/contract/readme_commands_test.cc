// The README's reflection commands (sections "Calling the services" and "The
// flagship scenario"), run as written against real services: the README's
// ports are swapped for the test's, each <placeholder> for the value an
// earlier answer gave, and every `buf curl` must succeed with an answer of
// the method's declared type.
#include "tests/contract/readme_commands.h"

#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/testing/paths.h"
#include "tests/contract/api_contract.h"
#include "tests/contract/command.h"
#include "tests/e2e/usedcar_fixture.h"

namespace mesh::contract {
namespace {

using ::testing::ElementsAre;

constexpr char kBuf[] = "node_modules/.bin/buf";
// buf exits with the gRPC code times 8.
constexpr int kNotFoundExit = 5 * 8;

std::string ReadReadme() {
  std::ifstream in(testing::SourceDir() + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The method a `buf curl` URL names ("http://host:port/pkg.Service/Method"),
// or null for --list-services and the like.
const google::protobuf::MethodDescriptor* MethodOf(const std::vector<std::string>& argv) {
  const std::string& url = argv.back();
  const size_t path = url.find('/', url.find("//") + 2);
  if (path == std::string::npos) return nullptr;
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      absl::StrReplaceAll(url.substr(path + 1), {{"/", "."}}));
}

class ReadmeCommandsTest : public e2e::UsedcarFixture {
 protected:
  // Starts the services the section's commands call, runs every `buf curl`
  // in it in order, and returns how many ran.
  int RunSection(const std::string& title) {
    LoadEveryContract();
    const std::string readme = ReadReadme();
    std::string section = Section(readme, title);
    EXPECT_FALSE(section.empty()) << "README.md has no section " << title;
    // The section starts where `tools/mesh up` left off: every service runs.
    const std::map<std::string, std::string> ports = PortsByService(readme);
    EXPECT_FALSE(ports.empty()) << "README.md lists no processes and ports";
    for (const auto& [port, service] : ports) {
      if (absl::StartsWith(service, "nats")) continue;
      Start(service);
      section =
          absl::StrReplaceAll(section, {{absl::StrCat("127.0.0.1:", port), address(service)}});
    }

    std::map<std::string, std::string> variables;
    int ran = 0;
    for (const std::string& block : CodeBlocks(section)) {
      for (std::vector<std::string> argv : ShellCommands(block, variables)) {
        if (argv.size() < 2 || argv[0] != kBuf || argv[1] != "curl") continue;
        argv[0] = BufPath();
        bool filled = true;
        for (std::string& arg : argv) filled = Fill(arg) && filled;
        if (filled) Run(argv);
        ++ran;
      }
    }
    return ran;
  }

  // Replaces each <name> in arg by the value of "name" in the latest answer
  // that had one. False, failing the test, when no answer had one.
  bool Fill(std::string& arg) {
    static const std::regex kPlaceholder("<([A-Za-z_]+)>");
    std::smatch match;
    while (std::regex_search(arg, match, kPlaceholder)) {
      auto value = answers_.find(match[1].str());
      if (value == answers_.end()) {
        ADD_FAILURE() << "no earlier answer gives <" << match[1] << "> for: " << arg;
        return false;
      }
      arg.replace(match.position(0), match.length(0), value->second);
    }
    return true;
  }

  void Remember(const std::string& output) {
    static const std::regex kStringField("\"([A-Za-z_]+)\":\\s*\"([^\"]*)\"");
    for (std::sregex_iterator it(output.begin(), output.end(), kStringField), end; it != end;
         ++it) {
      answers_[(*it)[1].str()] = (*it)[2].str();
    }
  }

  void Run(const std::vector<std::string>& argv) {
    const std::string shown = absl::StrJoin(argv, " ");
    SCOPED_TRACE(shown);
    const google::protobuf::MethodDescriptor* method = MethodOf(argv);
    if (method == nullptr) {
      ASSERT_THAT(argv, ::testing::Contains(::testing::StartsWith("--list-")))
          << "the URL names no method of the contracts";
    }
    std::string output;
    if (method != nullptr && method->server_streaming()) {
      // A watch streams until the reader stops it (Ctrl-C in the README).
      absl::StatusOr<std::unique_ptr<Command>> command = Command::Start(argv);
      ASSERT_TRUE(command.ok()) << command.status();
      const absl::Time deadline = absl::Now() + absl::Seconds(20);
      while (JsonObjects((*command)->Out()).empty() && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(50));
      }
      output = (*command)->Out();
      (*command)->Kill();
      ASSERT_FALSE(JsonObjects(output).empty()) << "nothing streamed: " << (*command)->Err();
    } else {
      // Views and notifications follow the events a moment later.
      absl::StatusOr<CommandResult> result;
      const absl::Time deadline = absl::Now() + absl::Seconds(20);
      while (true) {
        result = RunCommand(argv, absl::Seconds(30));
        ASSERT_TRUE(result.ok()) << result.status();
        if (result->exit_code != kNotFoundExit || absl::Now() >= deadline) break;
        absl::SleepFor(absl::Milliseconds(100));
      }
      ASSERT_EQ(result->exit_code, 0) << result->out << result->err;
      output = result->out;
    }
    ASSERT_FALSE(output.empty());
    if (method != nullptr) {
      std::unique_ptr<google::protobuf::Message> answer(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(method->output_type())
              ->New());
      const std::string first = JsonObjects(output).front();
      const auto parsed = google::protobuf::util::JsonStringToMessage(first, answer.get());
      EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << first;
    }
    Remember(output);
  }

  std::map<std::string, std::string> answers_;
};

TEST(ReadmeCommands, ShellCommands_ContinuationsQuotesAndVariables_SplitLikeAShell) {
  std::map<std::string, std::string> variables;
  const auto commands = ShellCommands(
      "# a comment\n"
      "B=\"tool sub --flag\"\n"
      "$B -d '{\"a\": 1,\n"
      "  \"b\": \"x y\"}' \\\n"
      "  http://h/p\n",
      variables);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_THAT(commands[0], ElementsAre("tool", "sub", "--flag", "-d",
                                       "{\"a\": 1,\n  \"b\": \"x y\"}", "http://h/p"));
}

TEST(ReadmeCommands, PortsByService_ReadmeTable_NamesEveryService) {
  const std::map<std::string, std::string> ports = PortsByService(ReadReadme());
  std::set<std::string> services;
  for (const auto& [port, service] : ports) services.insert(service);
  EXPECT_EQ(services, (std::set<std::string>{"nats-server", "billing", "purchase", "consign",
                                             "stock", "dashboard", "notification"}));
}

TEST_F(ReadmeCommandsTest, CallingTheServices_EveryBufCurlCommand_Succeeds) {
  // list-services, list-methods, health, buy, read back, billing's side.
  EXPECT_GE(RunSection("Calling the services"), 6);
}

TEST_F(ReadmeCommandsTest, FlagshipScenario_EveryBufCurlCommand_Succeeds) {
  // stock in, buy, view, watch, notifications, cancel.
  EXPECT_GE(RunSection("The flagship scenario"), 6);
}

}  // namespace
}  // namespace mesh::contract
