#include "libs/messaging/dead_letter_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/server/unary.h"
#include "libs/status/status.h"

namespace mesh::messaging {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

std::string Header(natsMsg* message, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(message, key, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

// Reads one dead letter; NOT_FOUND when the sequence holds none (replayed or never used).
absl::StatusOr<admin::v1::DeadLetter> Read(NatsClient& client, const std::string& stream,
                                           uint64_t sequence,
                                           common::v1::EventEnvelope* envelope) {
  natsMsg* message = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&message, client.jetstream(), stream.c_str(), sequence, nullptr,
                           &js_error);
  if (s != NATS_OK) {
    if (s == NATS_NOT_FOUND || js_error == JSNoMessageFoundErr) {
      return absl::NotFoundError(absl::StrCat("no dead letter at sequence ", sequence));
    }
    return FromNats(s, "read dead letter", js_error);
  }
  admin::v1::DeadLetter letter;
  letter.set_sequence(sequence);
  letter.set_subject(Header(message, "Mesh-Subject"));
  letter.set_error(Header(message, "Mesh-Error"));
  int deliveries = 0;
  if (absl::SimpleAtoi(Header(message, "Mesh-Deliveries"), &deliveries)) {
    letter.set_deliveries(deliveries);
  }
  const int64_t nanos = natsMsg_GetTime(message);
  letter.mutable_dead_time()->set_seconds(nanos / 1000000000);
  letter.mutable_dead_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  common::v1::EventEnvelope parsed;
  if (parsed.ParseFromArray(natsMsg_GetData(message), natsMsg_GetDataLength(message))) {
    letter.set_event_id(parsed.event_id());
    letter.set_event_type(parsed.event_type());
    if (envelope != nullptr) *envelope = std::move(parsed);
  } else if (envelope != nullptr) {
    natsMsg_Destroy(message);
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", sequence, " is not an event envelope; it cannot be replayed"));
  }
  natsMsg_Destroy(message);
  return letter;
}

}  // namespace

grpc::ServerUnaryReactor* DeadLetterService::ListDeadLetters(
    grpc::CallbackServerContext* context, const admin::v1::ListDeadLettersRequest* request,
    admin::v1::ListDeadLettersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->page_size() < 0) {
    server::FinishUnary(context, reactor,
                        absl::InvalidArgumentError("page_size must not be negative"));
    return reactor;
  }
  const int page_size = request->page_size() == 0
                            ? kDefaultPageSize
                            : std::min(request->page_size(), kMaxPageSize);
  NatsClient& client = *consumer_->client();
  const std::string stream = DeadLetterStream(consumer_->service());
  absl::Status status = EnsureDeadLetterStream(client, consumer_->service());
  jsStreamInfo* info = nullptr;
  if (status.ok()) {
    jsErrCode js_error = static_cast<jsErrCode>(0);
    status = FromNats(js_GetStreamInfo(&info, client.jetstream(), stream.c_str(), nullptr, &js_error),
                      "dead-letter stream info", js_error);
  }
  if (status.ok() && info->State.Msgs > 0) {
    uint64_t sequence = std::max(info->State.FirstSeq, request->after_sequence() + 1);
    for (; sequence <= info->State.LastSeq && response->dead_letters_size() < page_size;
         ++sequence) {
      absl::StatusOr<admin::v1::DeadLetter> letter = Read(client, stream, sequence, nullptr);
      if (letter.status().code() == absl::StatusCode::kNotFound) continue;
      if (!letter.ok()) {
        status = letter.status();
        break;
      }
      *response->add_dead_letters() = std::move(*letter);
    }
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  server::FinishUnary(context, reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* DeadLetterService::ReplayDeadLetter(
    grpc::CallbackServerContext* context, const admin::v1::ReplayDeadLetterRequest* request,
    admin::v1::ReplayDeadLetterResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto replay = [&]() -> absl::Status {
    if (request->sequence() == 0) return absl::InvalidArgumentError("sequence is required");
    NatsClient& client = *consumer_->client();
    const std::string stream = DeadLetterStream(consumer_->service());
    common::v1::EventEnvelope event;
    ASSIGN_OR_RETURN(admin::v1::DeadLetter letter,
                     Read(client, stream, request->sequence(), &event));
    absl::Status applied = consumer_->Apply(event);
    if (!applied.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the handler still fails: ", applied.ToString()));
    }
    jsErrCode js_error = static_cast<jsErrCode>(0);
    RETURN_IF_ERROR(FromNats(js_DeleteMsg(client.jetstream(), stream.c_str(), request->sequence(),
                                          nullptr, &js_error),
                             "remove replayed dead letter", js_error));
    *response->mutable_replayed() = std::move(letter);
    return absl::OkStatus();
  };
  server::FinishUnary(context, reactor, replay());
  return reactor;
}

}  // namespace mesh::messaging
