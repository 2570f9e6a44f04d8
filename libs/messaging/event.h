// Building and reading domain-event envelopes (DESIGN §3.4).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/v1/event.pb.h"
#include "google/protobuf/message.h"

namespace mesh::messaging {

struct EventContext {
  std::string producer;        // "usedcar.purchase"
  std::string aggregate_type;  // "Purchase"
  std::string aggregate_id;
  int64_t aggregate_version = 0;
  std::string correlation_id;  // "usedcar/purchase/<id>"
  std::string causation_id;    // the command or event that caused it
  std::string traceparent;     // W3C trace context; a fresh one is made when empty
};

// Wraps payload in an envelope with a fresh event id; event_type is the
// payload's message name ("Purchased").
common::v1::EventEnvelope MakeEvent(const EventContext& context,
                                    const google::protobuf::Message& payload, absl::Time now);

// A new W3C traceparent ("00-<32 hex>-<16 hex>-01").
std::string NewTraceparent();

// Unpacks the payload. INVALID_ARGUMENT when the type does not match or the
// bytes do not parse, so a malformed event never crashes a consumer.
absl::Status UnpackPayload(const common::v1::EventEnvelope& envelope,
                           google::protobuf::Message* payload);

}  // namespace mesh::messaging
