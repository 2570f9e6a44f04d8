// Running command-line tools from contract tests (buf, python3), with their
// standard output and standard error kept apart.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/testing/paths.h"
#include "libs/testing/process.h"

namespace mesh::contract {

struct CommandResult {
  // Shell-style: the exit code, or 128 + the signal number.
  int exit_code = -1;
  std::string out;
  std::string err;
};

// One running command. Its output goes to files in a private temporary
// directory, removed with the object. Killed (SIGKILL) on destruction if it
// is still running. Thread-compatible.
class Command {
 public:
  // Starts argv[0] (an absolute path) with the other elements as its
  // arguments and `env` added to the test's environment. Errors as for
  // testing::Process::Start.
  static absl::StatusOr<std::unique_ptr<Command>> Start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

  // Waits up to `timeout` for the command to exit. DEADLINE_EXCEEDED, leaving
  // it running, if it has not.
  absl::StatusOr<CommandResult> Wait(absl::Duration timeout);
  // What it has written so far.
  std::string Out() const;
  std::string Err() const;
  void Kill() { process_->Kill(); }

 private:
  Command() = default;

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::Process> process_;
};

// Starts the command and waits up to `timeout` for it. DEADLINE_EXCEEDED
// (after killing it) when it takes longer.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::map<std::string, std::string>& env = {});

// The repository's buf, installed by `tools/mesh deps`: the platform binary
// that node_modules/.bin/buf runs, or that script when there is none.
std::string BufPath();

// `buf curl --protocol grpc --http2-prior-knowledge [-d json] http://address/path`:
// a call through server reflection, with no proto files. path is
// "<package>.<Service>/<Method>". buf exits with the gRPC code times 8 and
// prints the error on standard error.
std::vector<std::string> BufCurlArgs(const std::string& address, const std::string& path,
                                     const std::string& json_request = "");
absl::StatusOr<CommandResult> BufCurl(const std::string& address, const std::string& path,
                                      const std::string& json_request = "",
                                      absl::Duration timeout = absl::Seconds(30));

}  // namespace mesh::contract
