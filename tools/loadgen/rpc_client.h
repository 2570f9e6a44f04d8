// The calls a load run makes: one RpcClient per run, over several channels,
// each call on the generated stubs' callback API, so that no thread waits
// for an answer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "billing/v1/billing.pb.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/grpcpp.h"
#include "mesh/bench/v1/echo.pb.h"
#include "tools/loadgen/schedule.h"
#include "usedcar/purchase/v1/purchase.pb.h"

namespace mesh::loadgen {

struct ClientOptions {
  // echo (mesh.bench.v1.EchoService/Echo), health (grpc.health.v1.Health/Check),
  // pay (billing.v1.BillingService/Pay) or purchase
  // (usedcar.purchase.v1.PurchaseService/RequestPurchase).
  std::string rpc = "echo";
  std::string target;
  // Channels, each with its own connection; calls are spread over them.
  int channels = 1;
  // Deadline of each call.
  Nanos timeout = 10 * kNanosPerSecond;
  // echo: bytes of payload.
  int payload_bytes = 16;
  // pay, purchase: every call carries the key "<id_prefix>-<sequence>", so a
  // run never repeats a key of an earlier run with another prefix.
  std::string id_prefix = "lg";
  // pay, purchase: payers are "buyer-<sequence % buyers>".
  int buyers = 1000;
  // purchase: cars are "car-<sequence % cars>".
  int cars = 64;
  int64_t amount_minor = 25'000'000;
};

// Thread-safe: Start may be called from any thread, including from inside
// another call's completion.
class RpcClient {
 public:
  using Done = std::function<void(const grpc::Status&)>;

  virtual ~RpcClient() = default;

  // Starts call number `sequence` (unique within the run) on channel
  // `channel` (0 <= channel < channels()). `done` runs exactly once, with the
  // call's status, on a gRPC thread.
  virtual void Start(int64_t sequence, int channel, Done done) = 0;
  virtual int channels() const = 0;
};

// INVALID_ARGUMENT for an unknown rpc, an empty target, or channels < 1.
absl::StatusOr<std::unique_ptr<RpcClient>> MakeRpcClient(const ClientOptions& options);

// The request each kind of call sends; pure.
bench::v1::EchoRequest EchoRequestOf(const ClientOptions& options);
billing::v1::PayRequest PayRequestOf(const ClientOptions& options, int64_t sequence);
usedcar::purchase::v1::RequestPurchaseRequest PurchaseRequestOf(const ClientOptions& options,
                                                                 int64_t sequence);

// `message` in gRPC's length-prefixed framing, as an HTTP/2 request body:
// a zero flag byte (uncompressed), the length as 4 bytes big-endian, then the
// serialized message. This is what h2load posts.
std::string GrpcFrame(const google::protobuf::MessageLite& message);

// `count` channels to `target` that never share a connection (gRPC would
// otherwise pool one subchannel for identical channels), with retries off.
std::vector<std::shared_ptr<grpc::Channel>> DialChannels(const std::string& target, int count);

}  // namespace mesh::loadgen
