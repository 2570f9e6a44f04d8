#include "tools/cli/health_command.h"

#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace mesh::cli {

CommandResult RunHealthCommand(const Invocation& invocation) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("health", {"service"}); !s.ok()) {
    return s;
  }
  if (absl::Status s = line.CheckPositionalCount("health", 1, 0, 1); !s.ok()) {
    return s;
  }
  std::string target = line.positionals().size() > 1 ? line.positionals()[1]
                                                     : invocation.global.target;
  if (target.empty()) {
    return absl::InvalidArgumentError("missing HOST:PORT for 'health'");
  }

  grpc::health::v1::HealthCheckRequest request;
  request.set_service(line.GetOr("service", ""));
  std::unique_ptr<grpc::health::v1::Health::Stub> stub =
      grpc::health::v1::Health::NewStub(Dial(target));
  std::unique_ptr<grpc::ClientContext> context =
      NewClientContext(invocation.global);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) {
    PrintRpcError(status, *context, invocation.err);
    return kExitRpcFailed;
  }
  invocation.out << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                        response.status())
                 << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? kExitOk
             : kExitRpcFailed;
}

}  // namespace mesh::cli
