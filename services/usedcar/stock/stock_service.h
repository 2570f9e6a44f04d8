// The inbound gRPC adapter of usedcar.stock.v1.StockService: the only place
// where absl::Status becomes grpc::Status. Every call is answered from the
// local store; nothing blocks on the network.
//
// StockIn commits the new stock, the idempotency key and a StockChanged
// (cause "stock-in", correlation "usedcar/stock/<car_id>", causation = the
// idempotency key, traceparent from the request metadata) in one unit of work.
//
// Thread-safe. The repository and clock are not owned and must outlive the
// service and every call in flight.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/resilience/clock.h"
#include "services/usedcar/stock/stock_repository.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace usedcar::stock {

class StockService final : public v1::StockService::CallbackService {
 public:
  StockService(StockRepository* repository, const mesh::resilience::Clock& clock);

  grpc::ServerUnaryReactor* StockIn(grpc::CallbackServerContext* context,
                                    const v1::StockInRequest* request,
                                    v1::StockInResponse* response) override;
  grpc::ServerUnaryReactor* GetStock(grpc::CallbackServerContext* context,
                                     const v1::GetStockRequest* request,
                                     v1::GetStockResponse* response) override;
  grpc::ServerUnaryReactor* ListStock(grpc::CallbackServerContext* context,
                                      const v1::ListStockRequest* request,
                                      v1::ListStockResponse* response) override;

 private:
  // The stock right after the stock-in: new, or the first result for a
  // repeated key. ALREADY_EXISTS when the key was used for another request.
  absl::StatusOr<Stock> ApplyStockIn(const v1::StockInRequest& request,
                                     const std::string& traceparent);

  StockRepository* repository_;
  const mesh::resilience::Clock& clock_;
};

}  // namespace usedcar::stock
