// Finishing a callback-API unary call from an absl::Status.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace mesh::server {

// Finishes the reactor with the status mapped to gRPC. A retry-after payload
// (libs/status) becomes "retry-after" trailing metadata in whole seconds.
void FinishUnary(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                 const absl::Status& status);

// The "x-correlation-id" request metadata, or empty.
std::string CorrelationIdOf(const grpc::CallbackServerContext* context);

}  // namespace mesh::server
