#include "libs/messaging/event_consumer.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"

namespace mesh::messaging {
namespace {

// While events flow, take what the broker has in batches; when idle, wait
// for the next single event, which returns as soon as it arrives.
constexpr int64_t kIdleWaitMs = 1000;
constexpr int64_t kBusyWaitMs = 10;

constexpr const char* kErrorHeader = "Mesh-Error";
constexpr const char* kSubjectHeader = "Mesh-Subject";
constexpr const char* kDeliveriesHeader = "Mesh-Deliveries";

}  // namespace

struct EventConsumer::Source {
  std::string context;
  natsSubscription* subscription = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
};

EventConsumer::EventConsumer(storage::Store* store, NatsClient* client, ConsumerOptions options,
                             metrics::Registry* registry)
    : store_(store), client_(client), options_(std::move(options)), registry_(registry) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::On(std::string_view producer, std::string_view event_type,
                       EventHandler handler) {
  handlers_[std::string(producer)][std::string(event_type)] = std::move(handler);
}

const EventHandler* EventConsumer::Find(const std::string& producer,
                                        const std::string& event_type) const {
  auto by_producer = handlers_.find(producer);
  if (by_producer == handlers_.end()) return nullptr;
  auto handler = by_producer->second.find(event_type);
  return handler == by_producer->second.end() ? nullptr : &handler->second;
}

void EventConsumer::Start() {
  for (const auto& [producer, unused] : handlers_) {
    auto source = std::make_unique<Source>();
    source->context = producer;
    Source* raw = source.get();
    source->thread = std::thread([this, raw] { Run(raw); });
    sources_.push_back(std::move(source));
  }
}

void EventConsumer::Stop() {
  for (auto& source : sources_) source->stop = true;
  for (auto& source : sources_) {
    if (source->thread.joinable()) source->thread.join();
    if (source->subscription != nullptr) natsSubscription_Destroy(source->subscription);
  }
  sources_.clear();
}

absl::Status EventConsumer::Rewind() {
  Stop();
  for (const auto& [producer, unused] : handlers_) {
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteConsumer(client_->jetstream(), StreamName(producer).c_str(),
                                     DurableName(options_.service).c_str(), nullptr, &js_error);
    if (s != NATS_OK && s != NATS_NOT_FOUND && js_error != JSConsumerNotFoundErr) {
      Start();
      return FromNats(s, absl::StrCat("delete consumer on ", StreamName(producer)), js_error);
    }
  }
  Start();
  return absl::OkStatus();
}

void EventConsumer::Run(Source* source) {
  const std::string stream = StreamName(source->context);
  const std::string durable = DurableName(options_.service);
  const std::string filter = absl::StrCat(source->context, ".>");
  absl::Duration backoff = absl::Milliseconds(100);
  // Provision idempotently; retry while the broker is away.
  while (!source->stop && source->subscription == nullptr) {
    absl::Status ready = EnsureStream(*client_, source->context);
    if (ready.ok()) ready = EnsureDeadLetterStream(*client_, options_.service);
    if (ready.ok()) {
      jsSubOptions sub_options;
      jsSubOptions_Init(&sub_options);
      sub_options.Stream = stream.c_str();
      sub_options.Config.Durable = durable.c_str();
      sub_options.Config.AckPolicy = js_AckExplicit;
      sub_options.Config.DeliverPolicy = js_DeliverAll;
      sub_options.Config.AckWait = absl::ToInt64Nanoseconds(options_.ack_wait);
      // Dead-lettering is ours (we count deliveries), so the broker never gives up.
      sub_options.Config.MaxDeliver = -1;
      jsErrCode js_error = static_cast<jsErrCode>(0);
      natsStatus s = js_PullSubscribe(&source->subscription, client_->jetstream(), filter.c_str(),
                                      durable.c_str(), nullptr, &sub_options, &js_error);
      ready = FromNats(s, absl::StrCat("pull subscribe ", durable, " on ", stream), js_error);
    }
    if (!ready.ok()) {
      logging::Warn("consumer waiting for the broker",
                    {{"service", options_.service}, {"error", ready.ToString()}});
      for (absl::Time until = absl::Now() + backoff; !source->stop && absl::Now() < until;) {
        absl::SleepFor(absl::Milliseconds(50));
      }
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
  }
  if (source->subscription != nullptr) {
    logging::Info("consuming", {{"stream", stream}, {"durable", durable}});
  }
  bool busy = false;
  while (!source->stop) {
    natsMsgList list;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, source->subscription,
                                          busy ? options_.fetch_batch : 1,
                                          busy ? kBusyWaitMs : kIdleWaitMs, &js_error);
    if (s != NATS_OK) {
      busy = false;
      if (s != NATS_TIMEOUT) absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    busy = list.Count > 0;
    for (int i = 0; i < list.Count; ++i) Deliver(source, list.Msgs[i]);
    natsMsgList_Destroy(&list);
  }
}

void EventConsumer::Deliver(Source* source, natsMsg* message) {
  int deliveries = 1;
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
    deliveries = static_cast<int>(meta->NumDelivered);
    if (registry_ != nullptr) {
      registry_
          ->GetGauge("mesh_consumer_lag", "events waiting for this consumer",
                     {{"service", options_.service}, {"producer", source->context}})
          .Set(static_cast<double>(meta->NumPending));
    }
    jsMsgMetaData_Destroy(meta);
  }
  auto give_up = [&](const std::string& error) {
    absl::Status dead = DeadLetter(message, error, deliveries);
    if (dead.ok()) {
      natsMsg_Term(message, nullptr);
    } else {
      // The dead-letter stream is unreachable: try the whole thing again later.
      natsMsg_NakWithDelay(message, 1000, nullptr);
    }
  };

  common::v1::EventEnvelope event;
  if (!event.ParseFromArray(natsMsg_GetData(message), natsMsg_GetDataLength(message))) {
    give_up("malformed envelope: does not parse as common.v1.EventEnvelope");
    return;
  }
  logging::ScopedCorrelationId correlation(event.correlation_id());
  if (deliveries > options_.max_deliver) {
    give_up(absl::StrCat("delivered ", deliveries, " times without success"));
    return;
  }
  absl::Status status = Apply(event);
  if (status.ok()) {
    natsMsg_Ack(message, nullptr);
    return;
  }
  logging::Warn("event handler failed", {{"event_id", event.event_id()},
                                         {"event_type", event.event_type()},
                                         {"deliveries", deliveries},
                                         {"error", status.ToString()}});
  if (status.code() == absl::StatusCode::kInvalidArgument || deliveries >= options_.max_deliver) {
    give_up(status.ToString());
    return;
  }
  const size_t step = std::min<size_t>(deliveries - 1, options_.nak_backoff.size() - 1);
  natsMsg_NakWithDelay(message, absl::ToInt64Milliseconds(options_.nak_backoff[step]), nullptr);
}

absl::Status EventConsumer::Apply(const common::v1::EventEnvelope& event) {
  const EventHandler* handler = Find(event.producer(), event.event_type());
  if (handler == nullptr) return absl::OkStatus();
  if (event.event_id().empty()) return absl::InvalidArgumentError("event_id is empty");
  bool seen = false;
  if (!options_.fault_skip_inbox) {
    ASSIGN_OR_RETURN(seen, store_->InboxContains(event.event_id()));
  }
  if (seen) {
    if (registry_ != nullptr) {
      registry_
          ->GetCounter("mesh_consumer_duplicates_total", "redelivered events skipped",
                       {{"service", options_.service}})
          .Increment();
    }
    return absl::OkStatus();
  }
  if (!options_.fault_fail_event_type.empty() &&
      event.event_type() == options_.fault_fail_event_type) {
    return absl::UnavailableError(
        absl::StrCat("fault drill: failing every ", event.event_type(), " event"));
  }
  storage::UnitOfWork work;
  if (!options_.fault_skip_inbox) work.MarkInbox(event.event_id());
  RETURN_IF_ERROR((*handler)(event, work));
  if (registry_ != nullptr) {
    registry_
        ->GetCounter("mesh_consumer_applied_total", "events applied",
                     {{"service", options_.service}, {"event_type", event.event_type()}})
        .Increment();
  }
  return absl::OkStatus();
}

absl::Status EventConsumer::DeadLetter(natsMsg* message, const std::string& error,
                                       int deliveries) {
  RETURN_IF_ERROR(EnsureDeadLetterStream(*client_, options_.service));
  const std::string subject = DeadLetterSubject(options_.service);
  natsMsg* dead = nullptr;
  natsStatus s = natsMsg_Create(&dead, subject.c_str(), nullptr, natsMsg_GetData(message),
                                natsMsg_GetDataLength(message));
  const std::string count = absl::StrCat(deliveries);
  if (s == NATS_OK) s = natsMsgHeader_Set(dead, kErrorHeader, error.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(dead, kSubjectHeader, natsMsg_GetSubject(message));
  if (s == NATS_OK) s = natsMsgHeader_Set(dead, kDeliveriesHeader, count.c_str());
  // The original's stream position is a stable id: a retried dead-lettering
  // is dropped as a duplicate.
  std::string msg_id;
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
    msg_id = absl::StrCat(meta->Stream, "-", meta->Sequence.Stream);
    jsMsgMetaData_Destroy(meta);
  }
  jsPubOptions publish;
  jsPubOptions_Init(&publish);
  if (!msg_id.empty()) publish.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, client_->jetstream(), dead, &publish, &js_error);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  natsMsg_Destroy(dead);
  RETURN_IF_ERROR(FromNats(s, "publish dead letter", js_error));
  logging::Error("event dead-lettered", {{"subject", natsMsg_GetSubject(message)},
                                         {"deliveries", deliveries},
                                         {"error", error}});
  if (registry_ != nullptr) {
    registry_
        ->GetCounter("mesh_dead_letters_total", "events moved to the dead-letter stream",
                     {{"service", options_.service}})
        .Increment();
  }
  return absl::OkStatus();
}

}  // namespace mesh::messaging
