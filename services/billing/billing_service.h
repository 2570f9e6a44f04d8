// The inbound gRPC adapter of billing.v1.BillingService: translates requests
// into repository commands and absl::Status into grpc::Status (the only place
// that does), and runs the fault drills.
//
// Fault drills let the purchase side's circuit breaker be shown working. They
// apply to Pay, Authorize and Capture only:
//   - latency: the call is answered that much later, from a grpc::Alarm, so no
//     gRPC thread waits. The work happens after the delay, and not at all when
//     the caller has given up by then (CANCELLED, nothing charged).
//   - failure_rate: that fraction of calls answers UNAVAILABLE "billing fault
//     drill: injected failure" at once and charges nothing.
//
// Thread-safe. The repository is not owned and must outlive the service and
// every call still in flight (a grpc::Server's Shutdown waits for those).
#pragma once

#include "libs/server/blocking_pool.h"

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "billing/v1/billing.grpc.pb.h"
#include "services/billing/payment_repository.h"

namespace billing {

struct FaultOptions {
  absl::Duration latency = absl::ZeroDuration();
  // Probability in [0, 1] that a call fails.
  double failure_rate = 0;
};

// INVALID_ARGUMENT naming the flag when latency is negative or failure_rate is
// outside [0, 1].
absl::Status ValidateFaultOptions(const FaultOptions& options);

class BillingService final : public v1::BillingService::CallbackService {
 public:
  // pool, when given, runs the storage work of Pay, Authorize and Capture
  // off gRPC's threads (see libs/server/blocking_pool.h).
  explicit BillingService(PaymentRepository& repository, FaultOptions faults = {},
                          mesh::server::BlockingPool* pool = nullptr);

  grpc::ServerUnaryReactor* Pay(grpc::CallbackServerContext* context, const v1::PayRequest* request,
                                v1::PayResponse* response) override;
  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* context,
                                      const v1::AuthorizeRequest* request,
                                      v1::AuthorizeResponse* response) override;
  grpc::ServerUnaryReactor* Capture(grpc::CallbackServerContext* context,
                                    const v1::CaptureRequest* request,
                                    v1::CaptureResponse* response) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const v1::CancelRequest* request,
                                   v1::CancelResponse* response) override;
  grpc::ServerUnaryReactor* Refund(grpc::CallbackServerContext* context,
                                   const v1::RefundRequest* request,
                                   v1::RefundResponse* response) override;
  grpc::ServerUnaryReactor* GetPayment(grpc::CallbackServerContext* context,
                                       const v1::GetPaymentRequest* request,
                                       v1::GetPaymentResponse* response) override;
  grpc::ServerUnaryReactor* ListPayments(grpc::CallbackServerContext* context,
                                         const v1::ListPaymentsRequest* request,
                                         v1::ListPaymentsResponse* response) override;

 private:
  using Work = std::function<absl::Status()>;

  // Finishes the call with work's status, now or, under the drill, later.
  grpc::ServerUnaryReactor* RunWithFaults(grpc::CallbackServerContext* context, Work work);
  bool InjectFailure() const;

  PaymentRepository& repository_;
  const FaultOptions faults_;
  mesh::server::BlockingPool* pool_;
};

}  // namespace billing
