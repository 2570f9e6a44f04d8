#include "libs/metrics/server_interceptor.h"

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/interceptor.h"

namespace mesh::metrics {
namespace {

constexpr size_t kMaxMethods = 1000;
constexpr int kCodeCount = 17;  // OK .. UNAUTHENTICATED
constexpr std::string_view kHandledName = "grpc_server_handled_total";
constexpr std::string_view kHandledHelp = "RPCs completed on the server, by status code.";
constexpr std::string_view kLatencyName = "grpc_server_handling_seconds";
constexpr std::string_view kLatencyHelp = "Time from receiving an RPC to sending its status.";

// The series of one method. Counters per code are looked up once and cached,
// so the common path takes no registry lock.
class MethodMetrics {
 public:
  MethodMetrics(Registry& registry, std::string service, std::string method)
      : registry_(registry),
        service_(std::move(service)),
        method_(std::move(method)),
        latency_(registry.GetHistogram(kLatencyName, kLatencyHelp,
                                       {{"grpc_service", service_}, {"grpc_method", method_}})) {}

  void Record(grpc::StatusCode code, double seconds) {
    latency_.Observe(seconds);
    Handled(code).Increment();
  }

 private:
  Counter& Handled(grpc::StatusCode code) {
    int index = static_cast<int>(code);
    if (index < 0 || index >= kCodeCount) index = static_cast<int>(grpc::StatusCode::UNKNOWN);
    Counter* counter = by_code_[index].load(std::memory_order_acquire);
    if (counter == nullptr) {
      // Two threads may race here; the registry hands both the same counter.
      counter = &registry_.GetCounter(
          kHandledName, kHandledHelp,
          {{"grpc_service", service_},
           {"grpc_method", method_},
           {"grpc_code", std::string(GrpcCodeName(static_cast<grpc::StatusCode>(index)))}});
      by_code_[index].store(counter, std::memory_order_release);
    }
    return *counter;
  }

  Registry& registry_;
  const std::string service_;
  const std::string method_;
  Histogram& latency_;
  std::array<std::atomic<Counter*>, kCodeCount> by_code_{};
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(MethodMetrics& metrics)
      : metrics_(metrics), start_(std::chrono::steady_clock::now()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_.Record(code, elapsed.count());
  }

  MethodMetrics& metrics_;
  const std::chrono::steady_clock::time_point start_;
  // gRPC runs one RPC's interception batches one after another.
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Registry& registry) : registry_(registry) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(ForMethod(info->method() == nullptr ? "" : info->method()));
  }

 private:
  MethodMetrics& ForMethod(std::string_view path) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = methods_.find(path); it != methods_.end()) return *it->second;
    }
    absl::MutexLock lock(&mu_);
    if (auto it = methods_.find(path); it != methods_.end()) return *it->second;
    if (methods_.size() >= kMaxMethods) {
      if (overflow_ == nullptr) {
        overflow_ = std::make_unique<MethodMetrics>(registry_, "unknown", "unknown");
      }
      return *overflow_;
    }
    auto [service, method] = SplitPath(path);
    auto metrics =
        std::make_unique<MethodMetrics>(registry_, std::move(service), std::move(method));
    return *methods_.emplace(std::string(path), std::move(metrics)).first->second;
  }

  // "/pkg.Service/Method" -> {"pkg.Service", "Method"}. Anything else keeps
  // the whole path as the method, so it still shows up.
  static std::pair<std::string, std::string> SplitPath(std::string_view path) {
    const size_t slash = path.rfind('/');
    if (path.size() < 4 || path[0] != '/' || slash == 0 || slash + 1 == path.size()) {
      return {"unknown", std::string(path)};
    }
    return {std::string(path.substr(1, slash - 1)), std::string(path.substr(slash + 1))};
  }

  Registry& registry_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MethodMetrics>, std::less<>> methods_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<MethodMetrics> overflow_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::string_view GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerMetricsInterceptorFactory(Registry& registry) {
  return std::make_unique<MetricsInterceptorFactory>(registry);
}

}  // namespace mesh::metrics
