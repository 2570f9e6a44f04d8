#include "services/usedcar/purchase/billing_client.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status.h"

namespace usedcar::purchase {
namespace {

using mesh::status::RetryAfter;

// Rewrites an open-breaker rejection into the message buyers see; other
// errors pass through.
absl::Status Explain(absl::Status status) {
  if (status.code() == absl::StatusCode::kUnavailable) {
    if (std::optional<absl::Duration> retry_after = RetryAfter(status)) {
      return PaymentBusy(*retry_after);
    }
  }
  return status;
}

}  // namespace

absl::Status PaymentBusy(absl::Duration retry_after) {
  return mesh::status::WithRetryAfter(
      absl::UnavailableError(absl::StrCat("payment is busy, try again in ",
                                          mesh::status::RetryAfterSeconds(retry_after), " s")),
      retry_after);
}

BillingClient::BillingClient(std::shared_ptr<grpc::Channel> channel,
                             mesh::resilience::GuardOptions options,
                             const mesh::resilience::Clock& clock,
                             mesh::metrics::Registry* registry)
    : stub_(billing::v1::BillingService::NewStub(std::move(channel))),
      target_("billing", options, clock, registry) {}

absl::Status BillingClient::Admit() const { return Explain(target_.Admit()); }

template <typename Request, typename Response>
void BillingClient::Run(const grpc::CallbackServerContext* parent, std::string correlation_id,
                        bool has_key, Request request,
                        void (billing::v1::BillingService::StubInterface::async_interface::*method)(
                            grpc::ClientContext*, const Request*, Response*,
                            std::function<void(grpc::Status)>),
                        PaymentCallback done) {
  struct Call {
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  mesh::resilience::CallOptions options;
  options.parent = parent;
  options.has_idempotency_key = has_key;
  options.correlation_id = std::move(correlation_id);
  target_.Call(
      options,
      [this, call, method](grpc::ClientContext* context, std::function<void(grpc::Status)> cb) {
        call->response.Clear();
        (stub_->async()->*method)(context, &call->request, &call->response, std::move(cb));
      },
      [call, done = std::move(done)](mesh::resilience::CallOutcome outcome) {
        if (!outcome.status.ok()) {
          done(Explain(std::move(outcome.status)), outcome.sent);
          return;
        }
        done(call->response.payment(), true);
      });
}

void BillingClient::Pay(const Purchase& purchase, const grpc::CallbackServerContext* parent,
                        PaymentCallback done) {
  billing::v1::PayRequest request;
  request.set_idempotency_key(PaymentKey(purchase));
  request.set_merchant(std::string(kMerchant));
  request.set_reference(Reference(purchase));
  request.set_payer_id(purchase.customer_id());
  *request.mutable_amount() = purchase.price();
  Run(parent, Reference(purchase), true, std::move(request),
      &billing::v1::BillingService::StubInterface::async_interface::Pay, std::move(done));
}

void BillingClient::Refund(const Purchase& purchase, const grpc::CallbackServerContext* parent,
                           PaymentCallback done) {
  billing::v1::RefundRequest request;
  request.set_idempotency_key(RefundKey(purchase));
  request.set_payment_id(purchase.payment_id());
  Run(parent, Reference(purchase), true, std::move(request),
      &billing::v1::BillingService::StubInterface::async_interface::Refund, std::move(done));
}

void BillingClient::Find(const Purchase& purchase, PaymentCallback done) {
  billing::v1::GetPaymentRequest request;
  request.set_idempotency_key(PaymentKey(purchase));
  // A read is safe to retry, like a call with a key.
  Run(nullptr, Reference(purchase), true, std::move(request),
      &billing::v1::BillingService::StubInterface::async_interface::GetPayment, std::move(done));
}

void BillingClient::Void(const Purchase& purchase, PaymentCallback done) {
  billing::v1::CancelRequest request;
  request.set_idempotency_key(PaymentKey(purchase));
  request.set_merchant(std::string(kMerchant));
  request.set_reference(Reference(purchase));
  Run(nullptr, Reference(purchase), true, std::move(request),
      &billing::v1::BillingService::StubInterface::async_interface::Cancel, std::move(done));
}

}  // namespace usedcar::purchase
