#include "libs/messaging/event.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/storage/ids.h"

namespace mesh::messaging {

std::string NewTraceparent() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("00-%016x%016x-%016x-01", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen) | 1);
}

common::v1::EventEnvelope MakeEvent(const EventContext& context,
                                    const google::protobuf::Message& payload, absl::Time now) {
  common::v1::EventEnvelope event;
  event.set_event_id(storage::NewId("evt_"));
  event.set_event_type(payload.GetDescriptor()->name());
  event.set_producer(context.producer);
  event.set_aggregate_type(context.aggregate_type);
  event.set_aggregate_id(context.aggregate_id);
  event.set_aggregate_version(context.aggregate_version);
  event.set_correlation_id(context.correlation_id);
  event.set_causation_id(context.causation_id);
  event.set_traceparent(context.traceparent.empty() ? NewTraceparent() : context.traceparent);
  const int64_t micros = absl::ToUnixMicros(now);
  event.mutable_occur_time()->set_seconds(micros / 1000000);
  event.mutable_occur_time()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

absl::Status UnpackPayload(const common::v1::EventEnvelope& envelope,
                           google::protobuf::Message* payload) {
  const std::string& url = envelope.payload().type_url();
  const std::string& expected = payload->GetDescriptor()->full_name();
  const size_t slash = url.rfind('/');
  if (slash == std::string::npos || url.compare(slash + 1, std::string::npos, expected) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", envelope.event_id(), " carries ", url, ", expected ", expected));
  }
  if (!envelope.payload().UnpackTo(payload)) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", envelope.event_id(), " payload does not parse"));
  }
  return absl::OkStatus();
}

}  // namespace mesh::messaging
