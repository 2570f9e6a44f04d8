// The benchmark baseline: mesh.bench.v1.EchoService with no storage and no
// logic, so that tools/bench can state every service's figures relative to
// what the same server stack costs on its own.
//
// Thread-safe; stateless.
#pragma once

#include "absl/time/time.h"
#include "mesh/bench/v1/echo.grpc.pb.h"

namespace mesh::loadgen {

// The CPU time the calling thread has used so far.
absl::Duration ThreadCpuTime();

// Spends `cpu` of the calling thread's CPU time in a loop (not sleeping): the
// work of a server that costs that much per call.
void BurnCpu(absl::Duration cpu);

class EchoService final : public bench::v1::EchoService::CallbackService {
 public:
  // cpu_per_call: CPU each call spends before answering; zero for the bare
  // baseline. tools/bench gives its agreement stage a costlier server, so
  // that the server, not the load generator, limits the rate.
  explicit EchoService(absl::Duration cpu_per_call = absl::ZeroDuration())
      : cpu_per_call_(cpu_per_call) {}

  // Answers OK with the request's payload.
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const bench::v1::EchoRequest* request,
                                 bench::v1::EchoResponse* response) override;

 private:
  const absl::Duration cpu_per_call_;
};

}  // namespace mesh::loadgen
