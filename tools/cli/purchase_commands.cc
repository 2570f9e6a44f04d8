#include "tools/cli/purchase_commands.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::purchase::v1;
using Stub = pb::PurchaseService::Stub;

constexpr size_t kCommandWords = 2;

CommandResult Request(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags(
          "purchase request",
          {"request-id", "customer", "car", "price", "currency"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("purchase request", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> request_id = line.Required("request-id");
  if (!request_id.ok()) return request_id.status();
  absl::StatusOr<std::string> customer = line.Required("customer");
  if (!customer.ok()) return customer.status();
  absl::StatusOr<std::string> car = line.Required("car");
  if (!car.ok()) return car.status();
  absl::StatusOr<int64_t> price = line.RequiredInt64("price");
  if (!price.ok()) return price.status();

  pb::RequestPurchaseRequest request;
  request.set_request_id(*request_id);
  request.set_customer_id(*customer);
  request.set_car_id(*car);
  request.mutable_price()->set_amount_minor(*price);
  request.mutable_price()->set_currency_code(line.GetOr("currency", "KRW"));
  return CallAndPrint(invocation, stub, &Stub::RequestPurchase, request);
}

CommandResult Cancel(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("purchase cancel", {"reason"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("purchase cancel", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> purchase_id =
      line.Positional(kCommandWords, "PURCHASE_ID");
  if (!purchase_id.ok()) return purchase_id.status();

  pb::CancelPurchaseRequest request;
  request.set_purchase_id(*purchase_id);
  request.set_reason(line.GetOr("reason", ""));
  return CallAndPrint(invocation, stub, &Stub::CancelPurchase, request);
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("purchase get", {}); !s.ok()) return s;
  if (absl::Status s =
          line.CheckPositionalCount("purchase get", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> purchase_id =
      line.Positional(kCommandWords, "PURCHASE_ID");
  if (!purchase_id.ok()) return purchase_id.status();

  pb::GetPurchaseRequest request;
  request.set_purchase_id(*purchase_id);
  return CallAndPrint(invocation, stub, &Stub::GetPurchase, request);
}

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("purchase list",
                                       {"customer", "page-size", "page-token"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("purchase list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListPurchasesRequest request;
  request.set_customer_id(line.GetOr("customer", ""));
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListPurchases, request);
}

}  // namespace

CommandResult RunPurchaseCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand = invocation.line.Positional(
      1, "purchase subcommand (request, cancel, get, list)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "request") handler = &Request;
  if (*subcommand == "cancel") handler = &Cancel;
  if (*subcommand == "get") handler = &Get;
  if (*subcommand == "list") handler = &List;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown purchase subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::PurchaseService::NewStub(
      Dial(ResolveTarget(invocation.global.target, kPurchaseAddress,
                         ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
