#include "tools/cli/consign_commands.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::usedcar::consign::v1;
using Stub = pb::ConsignService::Stub;

constexpr size_t kCommandWords = 2;

// Every consign subcommand but list takes exactly one id and no flags.
absl::StatusOr<std::string> SingleId(const CommandLine& line,
                                     absl::string_view command,
                                     absl::string_view id_name) {
  if (absl::Status s = line.CheckFlags(command, {}); !s.ok()) return s;
  if (absl::Status s = line.CheckPositionalCount(command, kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  return line.Positional(kCommandWords, id_name);
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  absl::StatusOr<std::string> consignment_id =
      SingleId(invocation.line, "consign get", "CONSIGNMENT_ID");
  if (!consignment_id.ok()) return consignment_id.status();

  pb::GetConsignmentRequest request;
  request.set_consignment_id(*consignment_id);
  return CallAndPrint(invocation, stub, &Stub::GetConsignment, request);
}

CommandResult ByPurchase(const Invocation& invocation, Stub& stub) {
  absl::StatusOr<std::string> purchase_id =
      SingleId(invocation.line, "consign by-purchase", "PURCHASE_ID");
  if (!purchase_id.ok()) return purchase_id.status();

  pb::GetConsignmentByPurchaseRequest request;
  request.set_purchase_id(*purchase_id);
  return CallAndPrint(invocation, stub, &Stub::GetConsignmentByPurchase,
                      request);
}

CommandResult Consigned(const Invocation& invocation, Stub& stub) {
  absl::StatusOr<std::string> consignment_id =
      SingleId(invocation.line, "consign consigned", "CONSIGNMENT_ID");
  if (!consignment_id.ok()) return consignment_id.status();

  pb::MarkConsignedRequest request;
  request.set_consignment_id(*consignment_id);
  return CallAndPrint(invocation, stub, &Stub::MarkConsigned, request);
}

CommandResult Delivered(const Invocation& invocation, Stub& stub) {
  absl::StatusOr<std::string> consignment_id =
      SingleId(invocation.line, "consign delivered", "CONSIGNMENT_ID");
  if (!consignment_id.ok()) return consignment_id.status();

  pb::MarkDeliveredRequest request;
  request.set_consignment_id(*consignment_id);
  return CallAndPrint(invocation, stub, &Stub::MarkDelivered, request);
}

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("consign list",
                                       {"customer", "page-size", "page-token"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("consign list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListConsignmentsRequest request;
  request.set_customer_id(line.GetOr("customer", ""));
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListConsignments, request);
}

}  // namespace

CommandResult RunConsignCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand = invocation.line.Positional(
      1, "consign subcommand (get, by-purchase, list, consigned, delivered)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "get") handler = &Get;
  if (*subcommand == "by-purchase") handler = &ByPurchase;
  if (*subcommand == "list") handler = &List;
  if (*subcommand == "consigned") handler = &Consigned;
  if (*subcommand == "delivered") handler = &Delivered;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown consign subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::ConsignService::NewStub(Dial(ResolveTarget(
      invocation.global.target, kConsignAddress, ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
