// The benchmark baseline: mesh.bench.v1.EchoService with no storage and no
// logic, so that tools/bench can state every service's figures relative to
// what the same server stack costs on its own.
//
// Thread-safe; stateless.
#pragma once

#include "mesh/bench/v1/echo.grpc.pb.h"

namespace mesh::loadgen {

class EchoService final : public bench::v1::EchoService::CallbackService {
 public:
  // Answers OK with the request's payload.
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const bench::v1::EchoRequest* request,
                                 bench::v1::EchoResponse* response) override;
};

}  // namespace mesh::loadgen
