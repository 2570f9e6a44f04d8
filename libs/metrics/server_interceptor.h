#pragma once

#include <memory>
#include <string_view>

#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "libs/metrics/registry.h"

namespace mesh::metrics {

// A gRPC server interceptor factory that records, for every RPC:
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}   (counter)
//   grpc_server_handling_seconds{grpc_service,grpc_method}          (histogram)
// The method path "/pkg.Service/Method" gives grpc_service="pkg.Service" and
// grpc_method="Method"; grpc_code is the canonical code name ("OK",
// "NOT_FOUND", ...). Latency runs from the moment gRPC matched the call to a
// handler until the status is sent. An RPC that gRPC releases without its
// status having passed through the interceptor is counted as CANCELLED.
//
// To bound cardinality, methods beyond the first 1000 distinct paths are
// recorded as grpc_service="unknown", grpc_method="unknown".
//
// `registry` must outlive the server. Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerMetricsInterceptorFactory(Registry& registry);

// "OK", "CANCELLED", ..., "UNAUTHENTICATED"; "UNKNOWN" for values outside the
// enum.
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace mesh::metrics
