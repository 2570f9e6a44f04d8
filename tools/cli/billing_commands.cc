#include "tools/cli/billing_commands.h"

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "billing/v1/billing.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::billing::v1;
using Stub = pb::BillingService::Stub;

constexpr size_t kCommandWords = 2;

absl::Status CheckShape(const CommandLine& line, absl::string_view command,
                        std::initializer_list<absl::string_view> flags,
                        size_t max_positionals) {
  if (absl::Status s = line.CheckFlags(command, flags); !s.ok()) return s;
  // A missing positional is reported by name when it is read.
  return line.CheckPositionalCount(command, kCommandWords, 0, max_positionals);
}

// Pay and Authorize take the same arguments in differently named messages.
template <typename ChargeRequest>
absl::Status FillCharge(const CommandLine& line, absl::string_view command,
                        ChargeRequest* request) {
  if (absl::Status s = CheckShape(
          line, command,
          {"key", "merchant", "reference", "payer", "amount", "currency"}, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> key = line.Required("key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> merchant = line.Required("merchant");
  if (!merchant.ok()) return merchant.status();
  absl::StatusOr<std::string> reference = line.Required("reference");
  if (!reference.ok()) return reference.status();
  absl::StatusOr<std::string> payer = line.Required("payer");
  if (!payer.ok()) return payer.status();
  absl::StatusOr<int64_t> amount = line.RequiredInt64("amount");
  if (!amount.ok()) return amount.status();

  request->set_idempotency_key(*key);
  request->set_merchant(*merchant);
  request->set_reference(*reference);
  request->set_payer_id(*payer);
  request->mutable_amount()->set_amount_minor(*amount);
  request->mutable_amount()->set_currency_code(line.GetOr("currency", "KRW"));
  return absl::OkStatus();
}

// Capture and Refund both act on PAYMENT_ID under a new idempotency key.
template <typename PaymentRequest>
absl::Status FillPaymentAction(const CommandLine& line,
                               absl::string_view command,
                               PaymentRequest* request) {
  if (absl::Status s = CheckShape(line, command, {"key"}, 1); !s.ok()) return s;
  absl::StatusOr<std::string> payment_id =
      line.Positional(kCommandWords, "PAYMENT_ID");
  if (!payment_id.ok()) return payment_id.status();
  absl::StatusOr<std::string> key = line.Required("key");
  if (!key.ok()) return key.status();
  request->set_payment_id(*payment_id);
  request->set_idempotency_key(*key);
  return absl::OkStatus();
}

CommandResult Pay(const Invocation& invocation, Stub& stub) {
  pb::PayRequest request;
  if (absl::Status s = FillCharge(invocation.line, "billing pay", &request);
      !s.ok()) {
    return s;
  }
  return CallAndPrint(invocation, stub, &Stub::Pay, request);
}

CommandResult Authorize(const Invocation& invocation, Stub& stub) {
  pb::AuthorizeRequest request;
  if (absl::Status s =
          FillCharge(invocation.line, "billing authorize", &request);
      !s.ok()) {
    return s;
  }
  return CallAndPrint(invocation, stub, &Stub::Authorize, request);
}

CommandResult Capture(const Invocation& invocation, Stub& stub) {
  pb::CaptureRequest request;
  if (absl::Status s =
          FillPaymentAction(invocation.line, "billing capture", &request);
      !s.ok()) {
    return s;
  }
  return CallAndPrint(invocation, stub, &Stub::Capture, request);
}

CommandResult Refund(const Invocation& invocation, Stub& stub) {
  pb::RefundRequest request;
  if (absl::Status s =
          FillPaymentAction(invocation.line, "billing refund", &request);
      !s.ok()) {
    return s;
  }
  return CallAndPrint(invocation, stub, &Stub::Refund, request);
}

CommandResult Cancel(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s =
          CheckShape(line, "billing cancel", {"key", "merchant", "reference"}, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> key = line.Required("key");
  if (!key.ok()) return key.status();

  pb::CancelRequest request;
  request.set_idempotency_key(*key);
  request.set_merchant(line.GetOr("merchant", ""));
  request.set_reference(line.GetOr("reference", ""));
  return CallAndPrint(invocation, stub, &Stub::Cancel, request);
}

CommandResult Get(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("billing get", {"key"}); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("billing get", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  bool by_id = line.positionals().size() > kCommandWords;
  if (by_id == line.Has("key")) {
    return absl::InvalidArgumentError(
        "'billing get' needs exactly one of PAYMENT_ID or --key");
  }

  pb::GetPaymentRequest request;
  if (by_id) {
    absl::StatusOr<std::string> payment_id =
        line.Positional(kCommandWords, "PAYMENT_ID");
    if (!payment_id.ok()) return payment_id.status();
    request.set_payment_id(*payment_id);
  } else {
    absl::StatusOr<std::string> key = line.Required("key");
    if (!key.ok()) return key.status();
    request.set_idempotency_key(*key);
  }
  return CallAndPrint(invocation, stub, &Stub::GetPayment, request);
}

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = CheckShape(line, "billing list",
                                  {"merchant", "reference", "payer",
                                   "page-size", "page-token"},
                                  0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListPaymentsRequest request;
  request.set_merchant(line.GetOr("merchant", ""));
  request.set_reference(line.GetOr("reference", ""));
  request.set_payer_id(line.GetOr("payer", ""));
  if (line.Has("page-size") || line.Has("page-token")) {
    request.mutable_page()->set_page_size(*page_size);
    request.mutable_page()->set_page_token(line.GetOr("page-token", ""));
  }
  return CallAndPrint(invocation, stub, &Stub::ListPayments, request);
}

}  // namespace

CommandResult RunBillingCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand = invocation.line.Positional(
      1,
      "billing subcommand (pay, authorize, capture, cancel, refund, get, "
      "list)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "pay") handler = &Pay;
  if (*subcommand == "authorize") handler = &Authorize;
  if (*subcommand == "capture") handler = &Capture;
  if (*subcommand == "cancel") handler = &Cancel;
  if (*subcommand == "refund") handler = &Refund;
  if (*subcommand == "get") handler = &Get;
  if (*subcommand == "list") handler = &List;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown billing subcommand '", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub = pb::BillingService::NewStub(
      Dial(ResolveTarget(invocation.global.target, kBillingAddress,
                         ProcessEnvironment())));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
