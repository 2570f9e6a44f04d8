#include "services/usedcar/consign/consign_service.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/server/paging.h"
#include "libs/server/unary.h"
#include "libs/status/status.h"

namespace usedcar::consign {
namespace {

using mesh::server::FinishUnary;

// "00-<32 hex>-<16 hex>-<2 hex>"; anything else is dropped rather than copied
// into events.
constexpr size_t kTraceparentSize = 55;

absl::Status CheckId(absl::string_view field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return absl::OkStatus();
}

std::string TraceparentOf(const grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("traceparent");
  if (it == metadata.end() || it->second.size() != kTraceparentSize) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<Consignment> Found(absl::StatusOr<std::optional<Consignment>> consignment,
                                  absl::string_view what) {
  if (!consignment.ok()) return consignment.status();
  if (!consignment->has_value()) return absl::NotFoundError(absl::StrCat("no consignment ", what));
  return **std::move(consignment);
}

// Callers see their own mistakes in the status; only a store in trouble is
// something an operator must hear about.
void Finish(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
            const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kUnknown) {
    mesh::logging::Error("consign call failed", {{"error", status.ToString()}});
  }
  FinishUnary(context, reactor, status);
}

template <typename Response>
grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                 absl::StatusOr<Consignment> consignment, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (consignment.ok()) *response->mutable_consignment() = *std::move(consignment);
  Finish(context, reactor, consignment.status());
  return reactor;
}

}  // namespace

ConsignService::ConsignService(ConsignmentRepository* repository,
                               const mesh::resilience::Clock& clock)
    : repository_(repository), clock_(clock) {}

template <typename Transition>
absl::StatusOr<Consignment> ConsignService::Apply(grpc::CallbackServerContext* context,
                                                  const std::string& consignment_id,
                                                  std::string_view rpc, Transition transition) {
  RETURN_IF_ERROR(CheckId("consignment_id", consignment_id));
  auto lock = repository_->Lock(consignment_id);
  ASSIGN_OR_RETURN(Consignment consignment,
                   Found(repository_->Get(consignment_id), consignment_id));
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(auto event, transition(consignment, now));
  if (!event.has_value()) return consignment;
  EventOrigin origin{.correlation_id = Reference(consignment),
                     .causation_id = std::string(rpc),
                     .traceparent = TraceparentOf(context)};
  mesh::logging::ScopedCorrelationId scope(origin.correlation_id);
  mesh::storage::UnitOfWork work;
  repository_->Stage(work, consignment, &*event, origin, now);
  RETURN_IF_ERROR(repository_->Commit(work));
  mesh::logging::Info("consignment changed", {{"consignment_id", consignment_id},
                                              {"status", StatusName(consignment.status())}});
  return consignment;
}

grpc::ServerUnaryReactor* ConsignService::MarkConsigned(grpc::CallbackServerContext* context,
                                                        const v1::MarkConsignedRequest* request,
                                                        v1::MarkConsignedResponse* response) {
  return Answer(context,
                Apply(context, request->consignment_id(), "MarkConsigned",
                      [](Consignment& c, absl::Time now) { return consign::MarkConsigned(c, now); }),
                response);
}

grpc::ServerUnaryReactor* ConsignService::MarkDelivered(grpc::CallbackServerContext* context,
                                                        const v1::MarkDeliveredRequest* request,
                                                        v1::MarkDeliveredResponse* response) {
  return Answer(context,
                Apply(context, request->consignment_id(), "MarkDelivered",
                      [](Consignment& c, absl::Time now) { return consign::MarkDelivered(c, now); }),
                response);
}

grpc::ServerUnaryReactor* ConsignService::GetConsignment(grpc::CallbackServerContext* context,
                                                         const v1::GetConsignmentRequest* request,
                                                         v1::GetConsignmentResponse* response) {
  auto load = [&]() -> absl::StatusOr<Consignment> {
    RETURN_IF_ERROR(CheckId("consignment_id", request->consignment_id()));
    return Found(repository_->Get(request->consignment_id()), request->consignment_id());
  };
  return Answer(context, load(), response);
}

grpc::ServerUnaryReactor* ConsignService::GetConsignmentByPurchase(
    grpc::CallbackServerContext* context, const v1::GetConsignmentByPurchaseRequest* request,
    v1::GetConsignmentByPurchaseResponse* response) {
  auto load = [&]() -> absl::StatusOr<Consignment> {
    RETURN_IF_ERROR(CheckId("purchase_id", request->purchase_id()));
    return Found(repository_->GetByPurchase(request->purchase_id()),
                 absl::StrCat("for purchase ", request->purchase_id()));
  };
  return Answer(context, load(), response);
}

grpc::ServerUnaryReactor* ConsignService::ListConsignments(
    grpc::CallbackServerContext* context, const v1::ListConsignmentsRequest* request,
    v1::ListConsignmentsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<int> page_size = mesh::server::PageSize(request->page());
  if (!page_size.ok()) {
    Finish(context, reactor, page_size.status());
    return reactor;
  }
  absl::StatusOr<ConsignmentRepository::Page> page =
      repository_->List(request->customer_id(), *page_size, request->page().page_token());
  if (page.ok()) {
    for (Consignment& consignment : page->consignments) {
      *response->add_consignments() = std::move(consignment);
    }
    response->mutable_page()->set_next_page_token(page->next_page_token);
  }
  Finish(context, reactor, page.status());
  return reactor;
}

}  // namespace usedcar::consign
