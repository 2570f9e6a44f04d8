// Test-only helpers for meshctl's command tests: an in-process gRPC server on
// a free 127.0.0.1 port, and a runner that parses arguments the way main.cc
// does and captures what the command prints.
//
// Neither is thread-safe; use each from the test's thread only.
#pragma once

#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/cli/args.h"
#include "tools/cli/rpc.h"

namespace mesh::cli {

// Serves `services` (which must outlive it) until Shutdown or destruction.
// started() is false when the server could not be built.
class FakeServer {
 public:
  explicit FakeServer(std::initializer_list<grpc::Service*> services) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    for (grpc::Service* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    target_ = "127.0.0.1:" + std::to_string(port);
  }
  ~FakeServer() { Shutdown(); }

  bool started() const { return server_ != nullptr; }
  const std::string& target() const { return target_; }

  // Stops serving; later calls to target() find nothing listening.
  void Shutdown() {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
  }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
};

// Runs one command per instance, keeping its parsed line alive as the
// Invocation requires.
class CommandRunner {
 public:
  // Parses `args` (argv without the program name) and the global options,
  // failing the test if either is malformed, then runs `run` on them.
  CommandResult Run(CommandResult (*run)(const Invocation&),
                    std::vector<std::string> args) {
    absl::StatusOr<CommandLine> line = CommandLine::Parse(args);
    EXPECT_TRUE(line.ok()) << line.status();
    if (!line.ok()) return line.status();
    line_ = *std::move(line);
    absl::StatusOr<GlobalOptions> global = ParseGlobalOptions(line_);
    EXPECT_TRUE(global.ok()) << global.status();
    if (!global.ok()) return global.status();
    return run(Invocation{line_, *global, out_, err_});
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

 private:
  CommandLine line_;
  std::ostringstream out_;
  std::ostringstream err_;
};

}  // namespace mesh::cli
