// The outbound adapter to billing: deadline, breaker, bulkhead, retry and the
// fallback of DESIGN §3.6, behind the PaymentGateway seam.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "billing/v1/billing.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/resilience/guarded_target.h"
#include "services/usedcar/purchase/purchase.h"

namespace usedcar::purchase {

// The payment, or why there is none. `sent` is false when the call never left
// this process, so billing certainly did nothing.
using PaymentCallback =
    std::function<void(absl::StatusOr<billing::v1::Payment> payment, bool sent)>;

// What purchase needs from billing. Implementations are thread-safe and call
// `done` exactly once, possibly on another thread.
class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  // OK, or the fallback: UNAVAILABLE "payment is busy, try again in N s" with a
  // retry-after payload, while billing's breaker is open. Consumes nothing.
  virtual absl::Status Admit() const = 0;
  // Pays the price with idempotency key = the purchase id.
  virtual void Pay(const Purchase& purchase, const grpc::CallbackServerContext* parent,
                   PaymentCallback done) = 0;
  // Refunds the purchase's payment with key "<purchase id>/refund".
  virtual void Refund(const Purchase& purchase, const grpc::CallbackServerContext* parent,
                      PaymentCallback done) = 0;
  // The payment made under the purchase's key; NOT_FOUND when there is none.
  virtual void Find(const Purchase& purchase, PaymentCallback done) = 0;
  // Voids the purchase's key, so that a payment that has not happened never can.
  virtual void Void(const Purchase& purchase, PaymentCallback done) = 0;
};

// The fallback status for a breaker that reopens in `retry_after`.
absl::Status PaymentBusy(absl::Duration retry_after);

class BillingClient : public PaymentGateway {
 public:
  BillingClient(std::shared_ptr<grpc::Channel> channel, mesh::resilience::GuardOptions options,
                const mesh::resilience::Clock& clock, mesh::metrics::Registry* registry);

  absl::Status Admit() const override;
  void Pay(const Purchase& purchase, const grpc::CallbackServerContext* parent,
           PaymentCallback done) override;
  void Refund(const Purchase& purchase, const grpc::CallbackServerContext* parent,
              PaymentCallback done) override;
  void Find(const Purchase& purchase, PaymentCallback done) override;
  void Void(const Purchase& purchase, PaymentCallback done) override;

  const mesh::resilience::GuardedTarget& target() const { return target_; }

 private:
  template <typename Request, typename Response>
  void Run(const grpc::CallbackServerContext* parent, std::string correlation_id,
           bool has_key, Request request,
           void (billing::v1::BillingService::StubInterface::async_interface::*method)(
               grpc::ClientContext*, const Request*, Response*,
               std::function<void(grpc::Status)>),
           PaymentCallback done);

  std::unique_ptr<billing::v1::BillingService::Stub> stub_;
  mesh::resilience::GuardedTarget target_;
};

}  // namespace usedcar::purchase
