// A NATS connection with JetStream, and the naming rules of DESIGN §2:
// one stream per producing context, "<DOMAIN>_<CONTEXT>" over subjects
// "<domain>.<context>.>", and a dead-letter stream per consuming service.
//
// The connection reconnects forever; Connect succeeds while the broker is
// down (requests must never depend on the broker). Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nats/nats.h"

namespace mesh::messaging {

struct NatsOptions {
  std::string url = "nats://127.0.0.1:4222";
  // The client name the broker shows, e.g. "usedcar.consign".
  std::string name;
};

class NatsClient {
 public:
  static absl::StatusOr<std::unique_ptr<NatsClient>> Connect(const NatsOptions& options);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  natsConnection* connection() { return connection_; }
  jsCtx* jetstream() { return jetstream_; }
  bool connected() const;

 private:
  NatsClient() = default;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* jetstream_ = nullptr;
};

// "usedcar.purchase" → "USEDCAR_PURCHASE".
std::string StreamName(std::string_view context);
// "usedcar.purchase", "Purchased" → "usedcar.purchase.Purchased".
std::string Subject(std::string_view context, std::string_view event_type);
// "usedcar.consign" → durable "usedcar_consign".
std::string DurableName(std::string_view service);
// "usedcar.consign" → stream "DLQ_USEDCAR_CONSIGN" over subject "DLQ.usedcar.consign".
std::string DeadLetterStream(std::string_view service);
std::string DeadLetterSubject(std::string_view service);

// Creates the context's stream if missing (file storage, a three-minute
// duplicate window for Msg-Id). Idempotent; UNAVAILABLE while the broker is down.
absl::Status EnsureStream(NatsClient& client, std::string_view context);
// The Msg-Id duplicate window of the context's stream as it is (a stream made
// elsewhere, e.g. by the Helm chart, may have another).
absl::StatusOr<absl::Duration> DuplicateWindow(NatsClient& client, std::string_view context);
absl::Status EnsureDeadLetterStream(NatsClient& client, std::string_view service);

// Maps a nats.c status (and JetStream error code, when known) to absl.
absl::Status FromNats(natsStatus status, std::string_view context, int js_error = 0);

}  // namespace mesh::messaging
