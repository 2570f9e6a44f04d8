// Reading JetStream directly, as the crash matrix's independent witness:
// every message of a stream, the backlog of every durable consumer, the
// dead-letter streams, and deleting a service's durables (the replay drill).
//
// Every function is thread-safe (the client is) and answers UNAVAILABLE
// while the broker is away.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/v1/event.pb.h"
#include "libs/messaging/nats_client.h"

namespace mesh::crash_matrix {

// The streams of the used-car story, in the order events flow.
const std::vector<std::string>& StoryStreams();

struct StreamEvent {
  uint64_t seq = 0;
  common::v1::EventEnvelope event;
};

struct StreamContents {
  std::string stream;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::vector<StreamEvent> events;  // in stream order
  // Sequences in [first, last] without a message, and messages that are not
  // envelopes; both should be zero (streams keep everything).
  int64_t missing = 0;
  int64_t unparsable = 0;
};

// Every message of the stream, read by sequence with `readers` requests in
// flight. A stream that does not exist reads as empty.
absl::StatusOr<StreamContents> ReadStream(messaging::NatsClient& client, const std::string& stream,
                                          int readers = 4);

// The last sequence of the stream; 0 when it does not exist.
absl::StatusOr<uint64_t> LastSequence(messaging::NatsClient& client, const std::string& stream);

// For every durable on the stream: messages not yet delivered plus messages
// delivered but not acked.
absl::StatusOr<std::map<std::string, uint64_t>> ConsumerBacklogs(messaging::NatsClient& client,
                                                                 const std::string& stream);

// Messages in the service's dead-letter stream; 0 when it does not exist.
absl::StatusOr<uint64_t> DeadLetterCount(messaging::NatsClient& client, const std::string& service);

struct DeletedDurables {
  int deleted = 0;
  // Messages the deleted durables had already delivered: the service will
  // receive them all again, and its inbox must absorb every one.
  uint64_t delivered = 0;
};

// Deletes the durable of `service` (e.g. "usedcar.consign") on every story
// stream; a missing one is fine.
absl::StatusOr<DeletedDurables> DeleteDurables(messaging::NatsClient& client,
                                               const std::string& service);

}  // namespace mesh::crash_matrix
