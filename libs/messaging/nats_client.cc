#include "libs/messaging/nats_client.h"

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/status/status.h"

namespace mesh::messaging {
namespace {

void OnConnected(natsConnection*, void*) {}

// Longer than the relays' default retention (2 minutes, the broker's sync
// schedule) plus a margin, so every retained row can be republished safely.
constexpr int64_t kDuplicateWindowNanos = 180LL * 1000 * 1000 * 1000;

// The Msg-Id duplicate window of a stream; NOT_FOUND when there is none.
absl::StatusOr<absl::Duration> StreamDuplicateWindow(NatsClient& client, const std::string& name) {
  jsStreamInfo* info = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, client.jetstream(), name.c_str(), nullptr, &js_error);
  RETURN_IF_ERROR(FromNats(s, absl::StrCat("stream info ", name), js_error));
  const absl::Duration window = absl::Nanoseconds(info->Config->Duplicates);
  jsStreamInfo_Destroy(info);
  return window;
}

absl::Status AddStream(NatsClient& client, const std::string& name, const std::string& subject) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  const char* subjects[] = {subject.c_str()};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Duplicates = kDuplicateWindowNanos;
  jsStreamInfo* info = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, client.jetstream(), &config, nullptr, &js_error);
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s == NATS_OK || js_error == JSStreamNameExistErr) return absl::OkStatus();
  // Two services creating the same stream at once: the loser may be told the subjects
  // overlap (the winner's stream holds them) rather than that the name exists. Either
  // way the stream is there, which is all the caller asked for.
  if (js_error != 0 && StreamDuplicateWindow(client, name).ok()) return absl::OkStatus();
  return FromNats(s, absl::StrCat("add stream ", name), js_error);
}

}  // namespace

absl::Status FromNats(natsStatus status, std::string_view context, int js_error) {
  if (status == NATS_OK) return absl::OkStatus();
  std::string message = absl::StrCat(std::string(context), ": ", natsStatus_GetText(status));
  if (js_error != 0) absl::StrAppend(&message, " (jetstream error ", js_error, ")");
  switch (status) {
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_INVALID_ARG:
      return absl::InvalidArgumentError(message);
    default:
      // Connection trouble, a broker restart, "no responders": all worth retrying.
      return absl::UnavailableError(message);
  }
}

std::string StreamName(std::string_view context) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(std::string(context), {{".", "_"}}));
}

std::string Subject(std::string_view context, std::string_view event_type) {
  return absl::StrCat(std::string(context), ".", std::string(event_type));
}

std::string DurableName(std::string_view service) {
  return absl::StrReplaceAll(std::string(service), {{".", "_"}});
}

std::string DeadLetterStream(std::string_view service) {
  return absl::StrCat("DLQ_", StreamName(service));
}

std::string DeadLetterSubject(std::string_view service) {
  return absl::StrCat("DLQ.", std::string(service));
}

absl::StatusOr<std::unique_ptr<NatsClient>> NatsClient::Connect(const NatsOptions& options) {
  static std::once_flag opened;
  std::call_once(opened, [] { nats_Open(-1); });
  std::unique_ptr<NatsClient> client(new NatsClient());
  natsStatus s = natsOptions_Create(&client->options_);
  if (s == NATS_OK) s = natsOptions_SetURL(client->options_, options.url.c_str());
  if (s == NATS_OK && !options.name.empty()) {
    s = natsOptions_SetName(client->options_, options.name.c_str());
  }
  // Reconnect forever, and start even while the broker is down: the request
  // path never depends on the broker, and the outbox waits on disk.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(client->options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(client->options_, 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(client->options_, 100, 1000);
  if (s == NATS_OK) s = natsOptions_SetTimeout(client->options_, 2000);
  if (s == NATS_OK) {
    s = natsOptions_SetRetryOnFailedConnect(client->options_, true, OnConnected, nullptr);
  }
  if (s != NATS_OK) return FromNats(s, "nats options");
  s = natsConnection_Connect(&client->connection_, client->options_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return FromNats(s, "connect to " + options.url);
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = 2000;
  s = natsConnection_JetStream(&client->jetstream_, client->connection_, &js_options);
  if (s != NATS_OK) return FromNats(s, "jetstream context");
  return client;
}

NatsClient::~NatsClient() {
  if (jetstream_ != nullptr) jsCtx_Destroy(jetstream_);
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
  if (options_ != nullptr) natsOptions_Destroy(options_);
}

bool NatsClient::connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

absl::Status EnsureStream(NatsClient& client, std::string_view context) {
  return AddStream(client, StreamName(context), absl::StrCat(std::string(context), ".>"));
}

absl::StatusOr<absl::Duration> DuplicateWindow(NatsClient& client, std::string_view context) {
  return StreamDuplicateWindow(client, StreamName(context));
}

absl::Status EnsureDeadLetterStream(NatsClient& client, std::string_view service) {
  return AddStream(client, DeadLetterStream(service), DeadLetterSubject(service));
}

}  // namespace mesh::messaging
