#include "tools/cli/stock_commands.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::stock::v1;
using Stub = pb::StockService::Stub;

constexpr size_t kCommandWords = 2;

CommandResult In(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("stock in", {"car", "quantity", "key"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("stock in", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> car = line.Required("car");
  if (!car.ok()) return car.status();
  absl::StatusOr<int64_t> quantity = line.RequiredInt64("quantity");
  if (!quantity.ok()) return quantity.status();
  absl::StatusOr<std::string> key = line.Required("key");
  if (!key.ok()) return key.status();

  pb::StockInRequest request;
  request.set_car_id(*car);
  request.set_quantity(*quantity);
  request.set_idempotency_key(*key);
  return CallAndPrint(invocation, stub, &Stub::StockIn, request);
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("stock get", {}); !s.ok()) return s;
  if (absl::Status s =
          line.CheckPositionalCount("stock get", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> car_id = line.Positional(kCommandWords, "CAR_ID");
  if (!car_id.ok()) return car_id.status();

  pb::GetStockRequest request;
  request.set_car_id(*car_id);
  return CallAndPrint(invocation, stub, &Stub::GetStock, request);
}

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s =
          line.CheckFlags("stock list", {"page-size", "page-token"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("stock list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListStockRequest request;
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListStock, request);
}

}  // namespace

CommandResult RunStockCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand =
      invocation.line.Positional(1, "stock subcommand (in, get, list)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "in") handler = &In;
  if (*subcommand == "get") handler = &Get;
  if (*subcommand == "list") handler = &List;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown stock subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::StockService::NewStub(Dial(ResolveTarget(
      invocation.global.target, kStockAddress, ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
