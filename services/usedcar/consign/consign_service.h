// The inbound gRPC adapter of the consign context: the only place where
// absl::Status becomes grpc::Status. Every call finishes on the calling
// thread; nothing here waits on the network.
//
// Errors: INVALID_ARGUMENT naming the empty id field or a bad page field,
// NOT_FOUND for an unknown consignment, FAILED_PRECONDITION for a transition
// the state machine forbids, and the store's error otherwise.
//
// Events emitted by MarkConsigned / MarkDelivered carry the purchase's
// correlation key, the RPC name as causation and the caller's traceparent.
//
// Thread-safe.
#pragma once

#include "libs/resilience/clock.h"
#include "services/usedcar/consign/consignment_repository.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"

namespace usedcar::consign {

class ConsignService final : public v1::ConsignService::CallbackService {
 public:
  // Neither argument is owned; both must outlive the service.
  ConsignService(ConsignmentRepository* repository, const mesh::resilience::Clock& clock);

  grpc::ServerUnaryReactor* MarkConsigned(grpc::CallbackServerContext* context,
                                          const v1::MarkConsignedRequest* request,
                                          v1::MarkConsignedResponse* response) override;
  grpc::ServerUnaryReactor* MarkDelivered(grpc::CallbackServerContext* context,
                                          const v1::MarkDeliveredRequest* request,
                                          v1::MarkDeliveredResponse* response) override;
  grpc::ServerUnaryReactor* GetConsignment(grpc::CallbackServerContext* context,
                                           const v1::GetConsignmentRequest* request,
                                           v1::GetConsignmentResponse* response) override;
  grpc::ServerUnaryReactor* GetConsignmentByPurchase(
      grpc::CallbackServerContext* context, const v1::GetConsignmentByPurchaseRequest* request,
      v1::GetConsignmentByPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* ListConsignments(grpc::CallbackServerContext* context,
                                             const v1::ListConsignmentsRequest* request,
                                             v1::ListConsignmentsResponse* response) override;

 private:
  // Loads the consignment, applies transition to it under its lock and
  // commits it with the event the transition returned, if any.
  template <typename Transition>
  absl::StatusOr<Consignment> Apply(grpc::CallbackServerContext* context,
                                    const std::string& consignment_id, std::string_view rpc,
                                    Transition transition);

  ConsignmentRepository* repository_;
  const mesh::resilience::Clock& clock_;
};

}  // namespace usedcar::consign
