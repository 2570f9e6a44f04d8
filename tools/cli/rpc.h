// What every meshctl command shares: its parsed arguments, its output
// streams, and the plumbing to make one unary call and report its outcome.
//
// Not thread-safe; a command runs on the main thread only.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "tools/cli/args.h"

namespace mesh::cli {

// One invocation of a command.
struct Invocation {
  const CommandLine& line;
  GlobalOptions global;
  // Where responses go (JSON) and where errors go.
  std::ostream& out;
  std::ostream& err;
};

// Exit codes, part of the contract with scripts (tools/mesh waits on health).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcFailed = 1;
inline constexpr int kExitUsage = 2;

// A command's result: INVALID_ARGUMENT when the arguments were wrong and
// nothing was sent (the caller prints usage and exits kExitUsage), otherwise
// the exit code.
using CommandResult = absl::StatusOr<int>;

// An insecure channel to `target`; connecting happens lazily on first call.
std::shared_ptr<grpc::Channel> Dial(const std::string& target);

// A client context whose deadline is `timeout` from now. Calls fail fast
// (no wait-for-ready) so an absent server is reported at once.
std::unique_ptr<grpc::ClientContext> NewClientContext(
    const GlobalOptions& global);

// Writes `message` as indented JSON with proto field names to `out`. Returns
// INTERNAL, writing nothing, if protobuf cannot render it.
absl::Status PrintJson(const google::protobuf::Message& message,
                       std::ostream& out);

// Writes "ERROR <CODE_NAME>: <message>" to `err`, followed by
// "retry-after: N" when the server sent that metadata (trailing first, then
// initial). `context` must be the one the failed call used.
void PrintRpcError(const grpc::Status& status,
                   const grpc::ClientContext& context, std::ostream& err);

// Makes the unary call `method` on `stub` and prints its response (exit 0)
// or its error (exit 1).
template <typename Stub, typename Request, typename Response>
int CallAndPrint(const Invocation& invocation, Stub& stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*,
                                              const Request&, Response*),
                 const Request& request) {
  std::unique_ptr<grpc::ClientContext> context =
      NewClientContext(invocation.global);
  Response response;
  grpc::Status status = (stub.*method)(context.get(), request, &response);
  if (!status.ok()) {
    PrintRpcError(status, *context, invocation.err);
    return kExitRpcFailed;
  }
  if (absl::Status printed = PrintJson(response, invocation.out);
      !printed.ok()) {
    invocation.err << "ERROR " << printed << "\n";
    return kExitRpcFailed;
  }
  return kExitOk;
}

}  // namespace mesh::cli
