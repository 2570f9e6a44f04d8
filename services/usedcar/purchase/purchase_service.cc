#include "services/usedcar/purchase/purchase_service.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/server/paging.h"
#include "libs/server/unary.h"
#include "libs/status/status.h"
#include "libs/storage/ids.h"

namespace usedcar::purchase {
namespace {

using mesh::server::FinishUnary;

absl::Status CheckPurchaseId(std::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("purchase_id is required");
  return absl::OkStatus();
}

}  // namespace

bool ProvesNothingCharged(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

PurchaseService::PurchaseService(PurchaseRepository* repository, PaymentGateway* gateway,
                                 const mesh::resilience::Clock& clock, PurchaseDrills drills,
                                 mesh::server::BlockingPool* pool)
    : repository_(repository),
      gateway_(gateway),
      clock_(clock),
      settlement_(repository),
      drills_(drills),
      pool_(pool) {}

absl::StatusOr<Purchase> PurchaseService::BeginPurchase(const v1::RequestPurchaseRequest& request,
                                                        bool* fresh,
                                                        std::optional<Purchase>* settled) {
  RETURN_IF_ERROR(ValidateRequest(request));
  auto lock = repository_->Lock(request.request_id());
  ASSIGN_OR_RETURN(std::optional<Purchase> existing,
                   repository_->FindByRequest(request.request_id()));
  if (existing.has_value()) {
    if (!SameRequest(*existing, request)) {
      return absl::AlreadyExistsError(
          absl::StrCat("request_id ", request.request_id(),
                       " was already used for a different purchase (",
                       existing->purchase_id(), ")"));
    }
    // A retry of a purchase whose payment is still open pays again with the
    // same key: billing returns the first payment and never charges twice.
    if (existing->status() != v1::PURCHASE_STATUS_PENDING) *settled = existing;
    *fresh = false;
    return *existing;
  }
  // The fallback: while billing's breaker is open, answer at once and record nothing.
  RETURN_IF_ERROR(gateway_->Admit());
  Purchase purchase = NewPending(request, mesh::storage::NewId("pur_"), clock_.Now());
  RETURN_IF_ERROR(repository_->Insert(purchase));
  *fresh = true;
  return purchase;
}

grpc::ServerUnaryReactor* PurchaseService::RequestPurchase(
    grpc::CallbackServerContext* context, const v1::RequestPurchaseRequest* request,
    v1::RequestPurchaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  mesh::server::RunBlocking(pool_, [this, context, request, response, reactor] {
    bool fresh = false;
    std::optional<Purchase> settled;
    absl::StatusOr<Purchase> purchase = BeginPurchase(*request, &fresh, &settled);
    if (!purchase.ok() || settled.has_value()) {
      if (settled.has_value()) *response->mutable_purchase() = *settled;
      FinishUnary(context, reactor, purchase.status());
      return;
    }
    const std::string purchase_id = purchase->purchase_id();
    const std::string correlation = Reference(*purchase);
    gateway_->Pay(*purchase, context,
                  [this, context, reactor, response, purchase_id, correlation, fresh](
                      absl::StatusOr<billing::v1::Payment> payment, bool sent) {
                    mesh::server::RunBlocking(pool_, [this, context, reactor, response, purchase_id,
                                                      correlation, fresh, sent,
                                                      payment = std::move(payment)] {
                      OnPaid(context, reactor, response, purchase_id, correlation, fresh,
                             payment, sent);
                    });
                  });
  });
  return reactor;
}

void PurchaseService::OnPaid(grpc::CallbackServerContext* context,
                             grpc::ServerUnaryReactor* reactor,
                             v1::RequestPurchaseResponse* response,
                             const std::string& purchase_id, const std::string& correlation,
                             bool fresh, const absl::StatusOr<billing::v1::Payment>& payment,
                             bool sent) {
  mesh::logging::ScopedCorrelationId scope(correlation);
  if (!payment.ok()) {
    // Billing certainly did nothing: forget the purchase, so that nothing is
    // recorded for a sale that did not happen. Otherwise it stays PENDING
    // for the resolver to settle.
    if ((fresh && !sent) || ProvesNothingCharged(payment.status().code())) {
      absl::Status abandoned = settlement_.Abandon(purchase_id);
      if (!abandoned.ok()) {
        mesh::logging::Error("cannot abandon purchase", {{"error", abandoned.ToString()}});
      }
    } else {
      mesh::logging::Warn("payment outcome unknown; the resolver will settle it",
                          {{"purchase_id", purchase_id}, {"error", payment.status().ToString()}});
    }
    FinishUnary(context, reactor, mesh::status::Annotate(payment.status(), "billing"));
    return;
  }
  if (drills_.crash_after_charge) {
    mesh::logging::Error("fault drill: crashing after the charge");
    _exit(86);
  }
  absl::StatusOr<Purchase> paid = settlement_.ApplyPayment(purchase_id, *payment, purchase_id);
  if (paid.ok()) *response->mutable_purchase() = *paid;
  FinishUnary(context, reactor, paid.status());
}

absl::StatusOr<Purchase> PurchaseService::BeginCancel(const v1::CancelPurchaseRequest& request,
                                                      std::optional<Purchase>* settled) {
  RETURN_IF_ERROR(CheckPurchaseId(request.purchase_id()));
  auto lock = repository_->Lock(request.purchase_id());
  ASSIGN_OR_RETURN(std::optional<Purchase> purchase, repository_->Get(request.purchase_id()));
  if (!purchase.has_value()) {
    return absl::NotFoundError(absl::StrCat("no purchase ", request.purchase_id()));
  }
  if (purchase->status() == v1::PURCHASE_STATUS_CANCELLED) {
    *settled = purchase;
    return *purchase;
  }
  if (purchase->status() == v1::PURCHASE_STATUS_PAID) {
    RETURN_IF_ERROR(gateway_->Admit());
  }
  ASSIGN_OR_RETURN(bool changed, usedcar::purchase::BeginCancel(*purchase, request.reason(),
                                                                clock_.Now()));
  if (changed) RETURN_IF_ERROR(repository_->Save(*purchase, nullptr, ""));
  return *purchase;
}

grpc::ServerUnaryReactor* PurchaseService::CancelPurchase(
    grpc::CallbackServerContext* context, const v1::CancelPurchaseRequest* request,
    v1::CancelPurchaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Purchase> settled;
  absl::StatusOr<Purchase> purchase = BeginCancel(*request, &settled);
  if (!purchase.ok() || settled.has_value()) {
    if (settled.has_value()) *response->mutable_purchase() = *settled;
    FinishUnary(context, reactor, purchase.status());
    return reactor;
  }
  const std::string purchase_id = purchase->purchase_id();
  const std::string correlation = Reference(*purchase);
  const std::string causation = RefundKey(*purchase);
  gateway_->Refund(*purchase, context,
                   [this, context, reactor, response, purchase_id, correlation, causation](
                       absl::StatusOr<billing::v1::Payment> payment, bool) {
                     mesh::logging::ScopedCorrelationId scope(correlation);
                     if (!payment.ok()) {
                       // The purchase stays CANCELLING; a retry or the resolver
                       // finishes the refund with the same key.
                       FinishUnary(context, reactor,
                                   mesh::status::Annotate(payment.status(), "billing"));
                       return;
                     }
                     absl::StatusOr<Purchase> cancelled =
                         settlement_.ApplyRefund(purchase_id, *payment, causation);
                     if (cancelled.ok()) *response->mutable_purchase() = *cancelled;
                     FinishUnary(context, reactor, cancelled.status());
                   });
  return reactor;
}

grpc::ServerUnaryReactor* PurchaseService::GetPurchase(grpc::CallbackServerContext* context,
                                                       const v1::GetPurchaseRequest* request,
                                                       v1::GetPurchaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = CheckPurchaseId(request->purchase_id());
  if (status.ok()) {
    absl::StatusOr<std::optional<Purchase>> purchase = repository_->Get(request->purchase_id());
    if (!purchase.ok()) {
      status = purchase.status();
    } else if (!purchase->has_value()) {
      status = absl::NotFoundError(absl::StrCat("no purchase ", request->purchase_id()));
    } else {
      *response->mutable_purchase() = **purchase;
    }
  }
  FinishUnary(context, reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* PurchaseService::ListPurchases(grpc::CallbackServerContext* context,
                                                         const v1::ListPurchasesRequest* request,
                                                         v1::ListPurchasesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<int> page_size = mesh::server::PageSize(request->page());
  if (!page_size.ok()) {
    FinishUnary(context, reactor, page_size.status());
    return reactor;
  }
  absl::StatusOr<PurchaseRepository::Page> page =
      repository_->List(request->customer_id(), *page_size, request->page().page_token());
  if (page.ok()) {
    for (Purchase& purchase : page->purchases) *response->add_purchases() = std::move(purchase);
    response->mutable_page()->set_next_page_token(page->next_page_token);
  }
  FinishUnary(context, reactor, page.status());
  return reactor;
}

}  // namespace usedcar::purchase
