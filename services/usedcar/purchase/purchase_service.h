// The inbound gRPC adapter of the purchase context: the only place where
// absl::Status becomes grpc::Status. Handlers never block on the network;
// billing is called asynchronously and the reactor finishes in its callback.
#pragma once

#include "libs/resilience/clock.h"
#include "libs/server/blocking_pool.h"
#include "services/usedcar/purchase/billing_client.h"
#include "services/usedcar/purchase/purchase_repository.h"
#include "services/usedcar/purchase/purchase_settlement.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace usedcar::purchase {

// Fault drills for crash tests.
struct PurchaseDrills {
  // Exit the process right after billing charged, before the purchase is marked paid.
  bool crash_after_charge = false;
};

class PurchaseService final : public v1::PurchaseService::CallbackService {
 public:
  // pool, when given, runs the storage work (commits that wait for fsync)
  // off gRPC's threads; see libs/server/blocking_pool.h.
  PurchaseService(PurchaseRepository* repository, PaymentGateway* gateway,
                  const mesh::resilience::Clock& clock, PurchaseDrills drills = PurchaseDrills(),
                  mesh::server::BlockingPool* pool = nullptr);

  grpc::ServerUnaryReactor* RequestPurchase(grpc::CallbackServerContext* context,
                                            const v1::RequestPurchaseRequest* request,
                                            v1::RequestPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* CancelPurchase(grpc::CallbackServerContext* context,
                                           const v1::CancelPurchaseRequest* request,
                                           v1::CancelPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* GetPurchase(grpc::CallbackServerContext* context,
                                        const v1::GetPurchaseRequest* request,
                                        v1::GetPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* ListPurchases(grpc::CallbackServerContext* context,
                                          const v1::ListPurchasesRequest* request,
                                          v1::ListPurchasesResponse* response) override;

 private:
  // Returns the purchase to pay (new or still pending), or the finished
  // answer in *settled when the request was already decided.
  absl::StatusOr<Purchase> BeginPurchase(const v1::RequestPurchaseRequest& request,
                                         bool* fresh, std::optional<Purchase>* settled);
  absl::StatusOr<Purchase> BeginCancel(const v1::CancelPurchaseRequest& request,
                                       std::optional<Purchase>* settled);
  // Settles a RequestPurchase with billing's answer and finishes the call.
  void OnPaid(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
              v1::RequestPurchaseResponse* response, const std::string& purchase_id,
              const std::string& correlation, bool fresh,
              const absl::StatusOr<billing::v1::Payment>& payment, bool sent);

  PurchaseRepository* repository_;
  PaymentGateway* gateway_;
  const mesh::resilience::Clock& clock_;
  Settlement settlement_;
  PurchaseDrills drills_;
  mesh::server::BlockingPool* pool_;
};

// Whether a billing error proves that billing charged nothing.
bool ProvesNothingCharged(absl::StatusCode code);

}  // namespace usedcar::purchase
