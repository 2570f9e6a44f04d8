#include "tools/loadgen/echo_service.h"

#include <time.h>

namespace mesh::loadgen {

absl::Duration ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

void BurnCpu(absl::Duration cpu) {
  if (cpu <= absl::ZeroDuration()) return;
  const absl::Duration until = ThreadCpuTime() + cpu;
  while (ThreadCpuTime() < until) {
  }
}

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* context,
                                            const bench::v1::EchoRequest* request,
                                            bench::v1::EchoResponse* response) {
  BurnCpu(cpu_per_call_);
  response->set_payload(request->payload());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace mesh::loadgen
