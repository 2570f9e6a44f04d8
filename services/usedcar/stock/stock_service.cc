#include "services/usedcar/stock/stock_service.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/server/paging.h"
#include "libs/server/unary.h"
#include "libs/status/status.h"

namespace usedcar::stock {
namespace {

using mesh::storage::UnitOfWork;

// "00-<32 hex>-<16 hex>-<2 hex>"; anything else is dropped rather than copied
// into events.
constexpr size_t kTraceparentSize = 55;

std::string TraceparentOf(const grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("traceparent");
  if (it == metadata.end() || it->second.size() != kTraceparentSize) return "";
  return std::string(it->second.data(), it->second.size());
}

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const absl::Status& status) {
  // Callers see their own mistakes in the status; only a store in trouble is
  // something an operator must hear about.
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kUnknown) {
    mesh::logging::Error("stock call failed", {{"error", status.ToString()}});
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  mesh::server::FinishUnary(context, reactor, status);
  return reactor;
}

}  // namespace

StockService::StockService(StockRepository* repository, const mesh::resilience::Clock& clock)
    : repository_(repository), clock_(clock) {}

absl::StatusOr<Stock> StockService::ApplyStockIn(const v1::StockInRequest& request,
                                                 const std::string& traceparent) {
  RETURN_IF_ERROR(ValidateStockIn(request));
  const std::string& key = request.idempotency_key();
  auto key_lock = repository_->LockKey(key);
  ASSIGN_OR_RETURN(std::optional<StockInRecord> seen, repository_->FindStockIn(key));
  if (seen.has_value()) {
    if (seen->stock.car_id() != request.car_id() || seen->quantity != request.quantity()) {
      return absl::AlreadyExistsError(
          absl::StrCat("idempotency_key ", key, " was used for a different request"));
    }
    return std::move(seen->stock);
  }
  auto car_lock = repository_->LockCar(request.car_id());
  ASSIGN_OR_RETURN(std::optional<Stock> current, repository_->Get(request.car_id()));
  Stock stock = current.has_value() ? *std::move(current) : EmptyStock(request.car_id());
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(v1::StockChanged changed,
                   usedcar::stock::StockIn(stock, request.quantity(), now));
  UnitOfWork work;
  StockRepository::PutStock(work, stock);
  StockRepository::PutStockIn(work, key, {request.quantity(), stock});
  StockRepository::AddEvent(work, stock, changed,
                            {absl::StrCat("usedcar/stock/", request.car_id()), key, traceparent},
                            now);
  RETURN_IF_ERROR(repository_->Commit(work));
  return stock;
}

grpc::ServerUnaryReactor* StockService::StockIn(grpc::CallbackServerContext* context,
                                                const v1::StockInRequest* request,
                                                v1::StockInResponse* response) {
  mesh::logging::ScopedCorrelationId scope(absl::StrCat("usedcar/stock/", request->car_id()));
  absl::StatusOr<Stock> stock = ApplyStockIn(*request, TraceparentOf(context));
  if (stock.ok()) *response->mutable_stock() = *std::move(stock);
  return Finish(context, stock.status());
}

grpc::ServerUnaryReactor* StockService::GetStock(grpc::CallbackServerContext* context,
                                                 const v1::GetStockRequest* request,
                                                 v1::GetStockResponse* response) {
  absl::Status status = ValidateId("car_id", request->car_id());
  if (!status.ok()) return Finish(context, status);
  absl::StatusOr<std::optional<Stock>> stock = repository_->Get(request->car_id());
  if (!stock.ok()) return Finish(context, stock.status());
  if (!stock->has_value()) {
    return Finish(context,
                  absl::NotFoundError(absl::StrCat("no stock of car ", request->car_id())));
  }
  *response->mutable_stock() = **std::move(stock);
  return Finish(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* StockService::ListStock(grpc::CallbackServerContext* context,
                                                  const v1::ListStockRequest* request,
                                                  v1::ListStockResponse* response) {
  absl::StatusOr<int> page_size =
      mesh::server::PageSize(request->page(), kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) return Finish(context, page_size.status());
  absl::StatusOr<StockRepository::Page> page =
      repository_->List(*page_size, request->page().page_token());
  if (!page.ok()) return Finish(context, page.status());
  for (Stock& stock : page->stocks) *response->add_stocks() = std::move(stock);
  response->mutable_page()->set_next_page_token(std::move(page->next_page_token));
  return Finish(context, absl::OkStatus());
}

}  // namespace usedcar::stock
