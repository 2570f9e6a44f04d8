// Guards every outbound gRPC call to one target (DESIGN §3.6): a deadline
// that is the earlier of our per-call limit and the caller's own deadline,
// a circuit breaker, a bulkhead, and retries only for calls that carry an
// idempotency key. Calls are asynchronous; no thread blocks on the network.
//
// Thread-safe. One GuardedTarget per downstream service, shared by all calls.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "libs/resilience/bulkhead.h"
#include "libs/resilience/circuit_breaker.h"
#include "libs/resilience/clock.h"
#include "libs/resilience/retry.h"

namespace mesh::metrics {
class Registry;
}

namespace mesh::resilience {

struct GuardOptions {
  absl::Duration call_timeout = absl::Seconds(2);
  int max_in_flight = 256;
  CircuitBreakerOptions breaker;
  RetryOptions retry;
};

struct CallOptions {
  // The inbound call this one serves: its deadline and cancellation carry over.
  const grpc::CallbackServerContext* parent = nullptr;
  bool has_idempotency_key = false;
  // Sent as "x-correlation-id" metadata.
  std::string correlation_id;
};

struct CallOutcome {
  absl::Status status;
  // False when no attempt left this process (breaker open, bulkhead full):
  // the target certainly did nothing.
  bool sent = false;
  int attempts = 0;
};

class GuardedTarget {
 public:
  // One attempt: issue the async call on the given context, then call `done`
  // exactly once with its status. The response object belongs to the caller.
  using Attempt = std::function<void(grpc::ClientContext*, std::function<void(grpc::Status)>)>;

  // registry may be null; otherwise breaker state, in-flight calls and
  // outcomes per code are exported with label target=name.
  GuardedTarget(std::string name, GuardOptions options, const Clock& clock,
                metrics::Registry* registry);
  ~GuardedTarget();

  // The fallback check before a caller persists anything: UNAVAILABLE with a
  // retry-after payload (libs/status) while the breaker is open. Consumes nothing.
  absl::Status Admit() const;

  // Runs attempts until one succeeds, the error is final, or the deadline or
  // retry budget is spent. `done` runs exactly once, on a gRPC thread (or the
  // caller's, when rejected before sending).
  void Call(const CallOptions& options, Attempt attempt, std::function<void(CallOutcome)> done);

  const std::string& name() const { return name_; }
  const CircuitBreaker& breaker() const { return breaker_; }
  const Bulkhead& bulkhead() const { return bulkhead_; }

 private:
  struct CallState;
  void StartAttempt(std::shared_ptr<CallState> state);
  void Record(absl::StatusCode code);

  const std::string name_;
  const GuardOptions options_;
  const Clock& clock_;
  CircuitBreaker breaker_;
  Bulkhead bulkhead_;
  RetryPolicy retry_;
  metrics::Registry* registry_;
};

}  // namespace mesh::resilience
