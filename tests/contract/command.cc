#include "tests/contract/command.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mesh::contract {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Command>> Command::Start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  if (argv.empty()) return absl::InvalidArgumentError("no command");
  std::unique_ptr<Command> command(new Command());
  command->dir_ = std::make_unique<testing::TempDir>();
  // testing::Process sends both streams to one file; the shell parts them,
  // so that a JSON answer on stdout is never mixed with buf's diagnostics.
  testing::ProcessOptions options;
  options.binary = "/bin/sh";
  options.args = {"-c", "exec \"$@\" 2>\"$MESH_COMMAND_STDERR\"", "sh"};
  options.args.insert(options.args.end(), argv.begin(), argv.end());
  options.env = env;
  options.env["MESH_COMMAND_STDERR"] = command->dir_->path() + "/stderr";
  options.log_path = command->dir_->path() + "/stdout";
  absl::StatusOr<std::unique_ptr<testing::Process>> process =
      testing::Process::Start(std::move(options));
  if (!process.ok()) return process.status();
  command->process_ = *std::move(process);
  return command;
}

absl::StatusOr<CommandResult> Command::Wait(absl::Duration timeout) {
  absl::StatusOr<int> code = process_->Wait(timeout);
  if (!code.ok()) return code.status();
  return CommandResult{*code, Out(), Err()};
}

std::string Command::Out() const { return ReadFile(dir_->path() + "/stdout"); }

std::string Command::Err() const { return ReadFile(dir_->path() + "/stderr"); }

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::map<std::string, std::string>& env) {
  absl::StatusOr<std::unique_ptr<Command>> command = Command::Start(argv, env);
  if (!command.ok()) return command.status();
  absl::StatusOr<CommandResult> result = (*command)->Wait(timeout);
  if (!result.ok()) {
    const std::string out = (*command)->Out(), err = (*command)->Err();
    (*command)->Kill();
    return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish within ",
                                                    absl::FormatDuration(timeout),
                                                    "; stdout: ", out, "; stderr: ", err));
  }
  return result;
}

std::string BufPath() {
  const std::string modules = testing::SourceDir() + "/node_modules";
  // node_modules/.bin/buf is a node script that runs the platform's binary as
  // its child. Calling the binary itself saves node's start-up on every call,
  // and killing a streaming call then leaves no orphaned buf behind.
  for (const char* platform : {"buf-linux-x64", "buf-linux-arm64"}) {
    const std::string native = absl::StrCat(modules, "/@bufbuild/", platform, "/bin/buf");
    if (access(native.c_str(), X_OK) == 0) return native;
  }
  return modules + "/.bin/buf";
}

std::vector<std::string> BufCurlArgs(const std::string& address, const std::string& path,
                                     const std::string& json_request) {
  std::vector<std::string> args = {BufPath(), "curl", "--protocol", "grpc",
                                   "--http2-prior-knowledge"};
  if (!json_request.empty()) {
    args.push_back("-d");
    args.push_back(json_request);
  }
  args.push_back(absl::StrCat("http://", address, "/", path));
  return args;
}

absl::StatusOr<CommandResult> BufCurl(const std::string& address, const std::string& path,
                                      const std::string& json_request, absl::Duration timeout) {
  return RunCommand(BufCurlArgs(address, path, json_request), timeout);
}

}  // namespace mesh::contract
