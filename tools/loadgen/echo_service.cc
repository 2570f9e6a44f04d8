#include "tools/loadgen/echo_service.h"

namespace mesh::loadgen {

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* context,
                                            const bench::v1::EchoRequest* request,
                                            bench::v1::EchoResponse* response) {
  response->set_payload(request->payload());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace mesh::loadgen
