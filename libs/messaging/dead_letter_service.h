// The admin gRPC service every consuming service serves: list and replay the
// events in its dead-letter stream (DESIGN §3.3).
#pragma once

#include "libs/messaging/event_consumer.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"

namespace mesh::messaging {

class DeadLetterService final : public mesh::admin::v1::DeadLetterService::CallbackService {
 public:
  explicit DeadLetterService(EventConsumer* consumer) : consumer_(consumer) {}

  grpc::ServerUnaryReactor* ListDeadLetters(grpc::CallbackServerContext* context,
                                            const admin::v1::ListDeadLettersRequest* request,
                                            admin::v1::ListDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* ReplayDeadLetter(grpc::CallbackServerContext* context,
                                             const admin::v1::ReplayDeadLetterRequest* request,
                                             admin::v1::ReplayDeadLetterResponse* response) override;

 private:
  EventConsumer* consumer_;
};

}  // namespace mesh::messaging
