#include "tools/loadgen/rpc_client.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "billing/v1/billing.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "mesh/bench/v1/echo.grpc.pb.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace mesh::loadgen {
namespace {

// One kind of unary call. `Fill` builds the request of call `sequence`.
template <typename Service, typename Request, typename Response>
class UnaryClient final : public RpcClient {
 public:
  using Method = void (Service::StubInterface::async_interface::*)(
      grpc::ClientContext*, const Request*, Response*, std::function<void(grpc::Status)>);
  using Fill = std::function<void(int64_t sequence, Request*)>;

  UnaryClient(const ClientOptions& options, Method method, Fill fill)
      : method_(method), fill_(std::move(fill)), timeout_(options.timeout) {
    for (const auto& channel : DialChannels(options.target, options.channels)) {
      stubs_.push_back(Service::NewStub(channel));
    }
  }

  void Start(int64_t sequence, int channel, Done done) override {
    // gRPC needs the context, request and response until the callback ends.
    auto call = std::make_shared<Call>();
    fill_(sequence, &call->request);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::nanoseconds(timeout_));
    (stubs_[channel]->async()->*method_)(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) { done(status); });
  }

  int channels() const override { return static_cast<int>(stubs_.size()); }

 private:
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };

  const Method method_;
  const Fill fill_;
  const Nanos timeout_;
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
};

// Spelled with explicit template arguments, so that `method` names one
// overload of the stub's method.
template <typename Service, typename Request, typename Response>
std::unique_ptr<RpcClient> MakeUnary(
    const ClientOptions& options,
    typename UnaryClient<Service, Request, Response>::Method method,
    typename UnaryClient<Service, Request, Response>::Fill fill) {
  return std::make_unique<UnaryClient<Service, Request, Response>>(options, method,
                                                                  std::move(fill));
}

}  // namespace

bench::v1::EchoRequest EchoRequestOf(const ClientOptions& options) {
  bench::v1::EchoRequest request;
  request.set_payload(std::string(static_cast<size_t>(std::max(0, options.payload_bytes)), 'x'));
  return request;
}

billing::v1::PayRequest PayRequestOf(const ClientOptions& options, int64_t sequence) {
  billing::v1::PayRequest request;
  const std::string key = absl::StrCat(options.id_prefix, "-", sequence);
  request.set_idempotency_key(key);
  request.set_merchant("loadgen");
  request.set_reference(absl::StrCat("loadgen/", key));
  request.set_payer_id(absl::StrCat("buyer-", sequence % std::max(1, options.buyers)));
  request.mutable_amount()->set_currency_code("KRW");
  request.mutable_amount()->set_amount_minor(options.amount_minor);
  return request;
}

usedcar::purchase::v1::RequestPurchaseRequest PurchaseRequestOf(const ClientOptions& options,
                                                                 int64_t sequence) {
  usedcar::purchase::v1::RequestPurchaseRequest request;
  request.set_request_id(absl::StrCat(options.id_prefix, "-", sequence));
  request.set_customer_id(absl::StrCat("buyer-", sequence % std::max(1, options.buyers)));
  request.set_car_id(absl::StrCat("car-", sequence % std::max(1, options.cars)));
  request.mutable_price()->set_currency_code("KRW");
  request.mutable_price()->set_amount_minor(options.amount_minor);
  return request;
}

std::string GrpcFrame(const google::protobuf::MessageLite& message) {
  const std::string body = message.SerializeAsString();
  const uint32_t size = static_cast<uint32_t>(body.size());
  std::string frame(5, '\0');
  frame[1] = static_cast<char>((size >> 24) & 0xff);
  frame[2] = static_cast<char>((size >> 16) & 0xff);
  frame[3] = static_cast<char>((size >> 8) & 0xff);
  frame[4] = static_cast<char>(size & 0xff);
  return frame + body;
}

std::vector<std::shared_ptr<grpc::Channel>> DialChannels(const std::string& target, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // One attempt per call: a load generator reports failures, it does not
    // hide them, and the retry machinery costs the client a third of its CPU.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    channels.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

absl::StatusOr<std::unique_ptr<RpcClient>> MakeRpcClient(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("--target is required");
  if (options.channels < 1) return absl::InvalidArgumentError("--channels must be at least 1");
  if (options.rpc == "echo") {
    using Service = bench::v1::EchoService;
    bench::v1::EchoRequest prototype = EchoRequestOf(options);
    return MakeUnary<Service, bench::v1::EchoRequest, bench::v1::EchoResponse>(
        options, &Service::StubInterface::async_interface::Echo,
        [prototype](int64_t, bench::v1::EchoRequest* request) { *request = prototype; });
  }
  if (options.rpc == "health") {
    using Service = grpc::health::v1::Health;
    return MakeUnary<Service, grpc::health::v1::HealthCheckRequest,
                     grpc::health::v1::HealthCheckResponse>(
        options, &Service::StubInterface::async_interface::Check,
        [](int64_t, grpc::health::v1::HealthCheckRequest*) {});
  }
  if (options.rpc == "pay") {
    using Service = billing::v1::BillingService;
    return MakeUnary<Service, billing::v1::PayRequest, billing::v1::PayResponse>(
        options, &Service::StubInterface::async_interface::Pay,
        [options](int64_t sequence, billing::v1::PayRequest* request) {
          *request = PayRequestOf(options, sequence);
        });
  }
  if (options.rpc == "purchase") {
    using Service = usedcar::purchase::v1::PurchaseService;
    return MakeUnary<Service, usedcar::purchase::v1::RequestPurchaseRequest,
                     usedcar::purchase::v1::RequestPurchaseResponse>(
        options, &Service::StubInterface::async_interface::RequestPurchase,
        [options](int64_t sequence, usedcar::purchase::v1::RequestPurchaseRequest* request) {
          *request = PurchaseRequestOf(options, sequence);
        });
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --rpc '", options.rpc, "': expected echo, health, pay or purchase"));
}

}  // namespace mesh::loadgen
