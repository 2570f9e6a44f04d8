#include "services/billing/billing_service.h"

#include <string>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/alarm.h"
#include "libs/logging/logging.h"
#include "libs/server/paging.h"
#include "libs/status/status.h"

namespace billing {
namespace {

// "00-<32 hex>-<16 hex>-<2 hex>"; anything else is dropped rather than copied
// into events.
constexpr size_t kTraceparentSize = 55;

CommandContext ContextOf(const grpc::CallbackServerContext* context) {
  CommandContext command;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("traceparent");
  if (it != metadata.end() && it->second.size() == kTraceparentSize) {
    command.traceparent.assign(it->second.data(), it->second.size());
  }
  return command;
}

template <typename Request>
Charge ChargeOf(const Request& request) {
  return Charge{request.idempotency_key(), request.merchant(), request.reference(),
                request.payer_id(), request.amount()};
}

// Puts the payment into the response, or passes the failure on.
template <typename Response>
absl::Status Answer(absl::StatusOr<Payment> result, Response* response) {
  if (!result.ok()) return result.status();
  *response->mutable_payment() = *std::move(result);
  return absl::OkStatus();
}

void Finish(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  // Callers see their own mistakes in the status; only a store in trouble is
  // something an operator must hear about.
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kUnknown) {
    mesh::logging::Error("billing call failed", {{"error", status.ToString()}});
  }
  reactor->Finish(mesh::status::ToGrpcStatus(status));
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finish(reactor, status);
  return reactor;
}

}  // namespace

absl::Status ValidateFaultOptions(const FaultOptions& options) {
  if (options.latency < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("fault_latency must not be negative");
  }
  if (!(options.failure_rate >= 0 && options.failure_rate <= 1)) {
    return absl::InvalidArgumentError("fault_failure_rate must be between 0 and 1");
  }
  return absl::OkStatus();
}

BillingService::BillingService(PaymentRepository& repository, FaultOptions faults,
                               mesh::server::BlockingPool* pool)
    : repository_(repository), faults_(faults), pool_(pool) {}

bool BillingService::InjectFailure() const {
  if (faults_.failure_rate <= 0) return false;
  thread_local absl::BitGen gen;
  return absl::Bernoulli(gen, faults_.failure_rate);
}

grpc::ServerUnaryReactor* BillingService::RunWithFaults(grpc::CallbackServerContext* context,
                                                        Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto complete = [this, context, reactor, work = std::move(work)](bool delayed) {
    if (delayed && context->IsCancelled()) {
      Finish(reactor, absl::CancelledError("the caller gave up before billing charged"));
    } else if (InjectFailure()) {
      Finish(reactor, absl::UnavailableError("billing fault drill: injected failure"));
    } else {
      Finish(reactor, work());
    }
  };
  if (faults_.latency <= absl::ZeroDuration()) {
    mesh::server::RunBlocking(pool_, [complete = std::move(complete)] { complete(false); });
    return reactor;
  }
  // The alarm owns itself: it is deleted by its own callback, which gRPC runs
  // while still holding a reference to the alarm's state.
  auto* alarm = new grpc::Alarm();
  alarm->Set(absl::ToChronoTime(absl::Now() + faults_.latency),
             [this, alarm, complete = std::move(complete)](bool /*fired*/) {
               mesh::server::RunBlocking(pool_, [complete] { complete(/*delayed=*/true); });
               delete alarm;
             });
  return reactor;
}

grpc::ServerUnaryReactor* BillingService::Pay(grpc::CallbackServerContext* context,
                                              const v1::PayRequest* request,
                                              v1::PayResponse* response) {
  return RunWithFaults(context, [this, context, request, response] {
    return Answer(repository_.Open(ChargeOf(*request), ChargeMode::kPay, ContextOf(context)),
                  response);
  });
}

grpc::ServerUnaryReactor* BillingService::Authorize(grpc::CallbackServerContext* context,
                                                    const v1::AuthorizeRequest* request,
                                                    v1::AuthorizeResponse* response) {
  return RunWithFaults(context, [this, context, request, response] {
    return Answer(repository_.Open(ChargeOf(*request), ChargeMode::kAuthorize, ContextOf(context)),
                  response);
  });
}

grpc::ServerUnaryReactor* BillingService::Capture(grpc::CallbackServerContext* context,
                                                  const v1::CaptureRequest* request,
                                                  v1::CaptureResponse* response) {
  return RunWithFaults(context, [this, context, request, response] {
    return Answer(
        repository_.Capture(request->idempotency_key(), request->payment_id(), ContextOf(context)),
        response);
  });
}

grpc::ServerUnaryReactor* BillingService::Cancel(grpc::CallbackServerContext* context,
                                                 const v1::CancelRequest* request,
                                                 v1::CancelResponse* response) {
  return FinishNow(context,
                   Answer(repository_.Cancel(request->idempotency_key(), request->merchant(),
                                             request->reference(), ContextOf(context)),
                          response));
}

grpc::ServerUnaryReactor* BillingService::Refund(grpc::CallbackServerContext* context,
                                                 const v1::RefundRequest* request,
                                                 v1::RefundResponse* response) {
  return FinishNow(context, Answer(repository_.Refund(request->idempotency_key(),
                                                      request->payment_id(), ContextOf(context)),
                                   response));
}

grpc::ServerUnaryReactor* BillingService::GetPayment(grpc::CallbackServerContext* context,
                                                     const v1::GetPaymentRequest* request,
                                                     v1::GetPaymentResponse* response) {
  absl::StatusOr<Payment> result =
      absl::InvalidArgumentError("payment_id or idempotency_key is required");
  if (request->lookup_case() == v1::GetPaymentRequest::kPaymentId &&
      !request->payment_id().empty()) {
    result = repository_.Get(request->payment_id());
  } else if (request->lookup_case() == v1::GetPaymentRequest::kIdempotencyKey &&
             !request->idempotency_key().empty()) {
    result = repository_.GetByKey(request->idempotency_key());
  }
  return FinishNow(context, Answer(std::move(result), response));
}

grpc::ServerUnaryReactor* BillingService::ListPayments(grpc::CallbackServerContext* context,
                                                       const v1::ListPaymentsRequest* request,
                                                       v1::ListPaymentsResponse* response) {
  absl::StatusOr<int> page_size =
      mesh::server::PageSize(request->page(), kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) return FinishNow(context, page_size.status());
  ListQuery query;
  query.merchant = request->merchant();
  query.reference = request->reference();
  query.payer_id = request->payer_id();
  query.page_size = *page_size;
  query.page_token = request->page().page_token();
  absl::StatusOr<ListPage> page = repository_.List(query);
  if (!page.ok()) return FinishNow(context, page.status());
  for (Payment& payment : page->payments) *response->add_payments() = std::move(payment);
  response->mutable_page()->set_next_page_token(std::move(page->next_page_token));
  return FinishNow(context, absl::OkStatus());
}

}  // namespace billing
