#include "libs/resilience/guarded_target.h"

#include "absl/strings/str_cat.h"
#include "libs/metrics/registry.h"
#include "libs/resilience/deadline.h"
#include "libs/status/status.h"

namespace mesh::resilience {

struct GuardedTarget::CallState {
  CallOptions options;
  Attempt attempt;
  std::function<void(CallOutcome)> done;
  absl::Time deadline;
  int attempts = 0;
  bool sent = false;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::Alarm> backoff_alarm;
};

GuardedTarget::GuardedTarget(std::string name, GuardOptions options, const Clock& clock,
                             metrics::Registry* registry)
    : name_(std::move(name)),
      options_(options),
      clock_(clock),
      breaker_(name_, options.breaker, clock),
      bulkhead_(options.max_in_flight),
      retry_(options.retry, clock),
      registry_(registry) {
  if (registry_ == nullptr) return;
  metrics::Labels labels = {{"target", name_}};
  registry_->AddCallbackGauge("mesh_breaker_state",
                              "circuit breaker state: 0 closed, 1 open, 2 half-open", labels,
                              [this] { return static_cast<double>(breaker_.state()); });
  registry_->AddCallbackGauge("mesh_outbound_in_flight", "outbound calls in flight", labels,
                              [this] { return static_cast<double>(bulkhead_.in_flight()); });
}

GuardedTarget::~GuardedTarget() {
  if (registry_ == nullptr) return;
  metrics::Labels labels = {{"target", name_}};
  registry_->RemoveCallbackGauge("mesh_breaker_state", labels);
  registry_->RemoveCallbackGauge("mesh_outbound_in_flight", labels);
}

absl::Status GuardedTarget::Admit() const {
  if (breaker_.state() != BreakerState::kOpen) return absl::OkStatus();
  return status::WithRetryAfter(absl::UnavailableError(absl::StrCat(name_, " circuit is open")),
                                breaker_.RetryAfter());
}

void GuardedTarget::Record(absl::StatusCode code) {
  if (registry_ == nullptr) return;
  registry_
      ->GetCounter("mesh_outbound_calls_total", "outbound call attempts by outcome",
                   {{"target", name_}, {"code", absl::StatusCodeToString(code)}})
      .Increment();
}

void GuardedTarget::Call(const CallOptions& options, Attempt attempt,
                         std::function<void(CallOutcome)> done) {
  auto state = std::make_shared<CallState>();
  state->options = options;
  state->attempt = std::move(attempt);
  state->done = std::move(done);
  const absl::Time caller_deadline =
      options.parent != nullptr ? absl::FromChrono(options.parent->deadline())
                                : absl::InfiniteFuture();
  state->deadline = OutboundDeadline(clock_.Now(), options_.call_timeout, caller_deadline);
  retry_.OnRequest();
  StartAttempt(std::move(state));
}

void GuardedTarget::StartAttempt(std::shared_ptr<CallState> state) {
  absl::StatusOr<CircuitBreaker::Permit> permit = breaker_.TryAcquire();
  if (!permit.ok()) {
    Record(absl::StatusCode::kUnavailable);
    state->done({status::WithRetryAfter(permit.status(), breaker_.RetryAfter()), state->sent,
                 state->attempts});
    return;
  }
  if (!bulkhead_.TryAcquire()) {
    // A rejected call tells the breaker nothing about the target's health.
    breaker_.Cancel(*permit);
    Record(absl::StatusCode::kResourceExhausted);
    state->done({absl::ResourceExhaustedError(absl::StrCat(name_, " bulkhead is full: ",
                                                           bulkhead_.limit(),
                                                           " calls in flight")),
                 state->sent, state->attempts});
    return;
  }
  if (state->options.parent != nullptr) {
    state->context = grpc::ClientContext::FromCallbackServerContext(*state->options.parent);
  } else {
    state->context = std::make_unique<grpc::ClientContext>();
  }
  state->context->set_deadline(absl::ToChronoTime(state->deadline));
  if (!state->options.correlation_id.empty()) {
    state->context->AddMetadata("x-correlation-id", state->options.correlation_id);
  }
  ++state->attempts;
  state->sent = true;
  const absl::Time started = clock_.Now();
  CircuitBreaker::Permit held = *permit;
  state->attempt(state->context.get(), [this, state, held, started](grpc::Status result) {
    const absl::StatusCode code = status::FromGrpcCode(result.error_code());
    breaker_.OnResult(held, code, clock_.Now() - started);
    bulkhead_.Release();
    Record(code);
    if (!result.ok()) {
      std::optional<absl::Duration> backoff = retry_.NextBackoff(
          state->options.has_idempotency_key, code, state->attempts, state->deadline);
      if (backoff.has_value()) {
        state->backoff_alarm = std::make_unique<grpc::Alarm>();
        state->backoff_alarm->Set(absl::ToChronoTime(absl::Now() + *backoff),
                                  [this, state](bool) {
                                    // The alarm's callback holds the state; moving the
                                    // alarm out breaks that cycle (alarms are ref-counted,
                                    // so destroying one in its own callback is safe).
                                    std::unique_ptr<grpc::Alarm> fired =
                                        std::move(state->backoff_alarm);
                                    StartAttempt(state);
                                  });
        return;
      }
    }
    state->done({status::FromGrpcStatus(result), true, state->attempts});
  });
}

}  // namespace mesh::resilience
