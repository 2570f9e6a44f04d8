#include "libs/messaging/event_consumer.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"

namespace mesh::messaging {
namespace {

// While events flow, ask for whatever the broker has, up to a batch; when
// idle, wait for the next single event, which comes as soon as it is
// published.
constexpr absl::Duration kBusyWait = absl::Milliseconds(10);
constexpr absl::Duration kIdleWait = absl::Seconds(1);
// How long past a pull request's expiry its answer is waited for. The broker
// does not always end an expired request with a status (nats-server 2.9
// drops one silently when it finds it expired on delivery), so the request's
// own expiry bounds the wait; what arrives later is delivered by the next
// pull.
constexpr absl::Duration kAnswerGrace = absl::Milliseconds(5);
// Pull requests in a row that got no answer at all (no event, no status)
// before the consumer provisions itself again. The broker occasionally drops
// an expired request silently, so one is not enough; several seconds of
// silence mean the durable or the path of the replies is gone.
constexpr int kUnansweredLimit = 5;
// The longest a consumer thread waits without looking at its stop flag.
constexpr absl::Duration kStopCheck = absl::Milliseconds(200);

constexpr const char* kErrorHeader = "Mesh-Error";
constexpr const char* kSubjectHeader = "Mesh-Subject";
constexpr const char* kDeliveriesHeader = "Mesh-Deliveries";

// The broker ends a pull request with a message that has a "Status" header
// and no payload: 404 (nothing to deliver), 408 (expired, or no_wait and
// nothing more), 409 (too many requests waiting, consumer deleted, ...).
const char* PullStatus(natsMsg* message) {
  if (natsMsg_GetDataLength(message) > 0) return nullptr;
  const char* status = nullptr;
  if (natsMsgHeader_Get(message, "Status", &status) != NATS_OK) return nullptr;
  return status;
}

// Settles one delivery with the broker (JetStream's ack protocol: "+ACK",
// "-NAK", "+TERM" published to the delivery's reply subject; a message
// without one, e.g. replayed from the dead-letter stream, needs none).
void Settle(natsConnection* connection, const char* reply, const std::string& body) {
  if (reply == nullptr || *reply == '\0') return;
  natsConnection_PublishString(connection, reply, body.c_str());
}

std::string NakWithDelay(absl::Duration delay) {
  return absl::StrCat("-NAK {\"delay\":", absl::ToInt64Nanoseconds(delay), "}");
}

}  // namespace

// Each source pulls with requests of its own (the JetStream pull protocol on
// a plain subscription) rather than natsSubscription_Fetch: libnats 3.4.1,
// Debian bookworm's, writes past the end of its batch array when a fetch
// starts with messages of an earlier, timed-out fetch still queued (nats.c
// PR 749, fixed in 3.10), which a consumer behind a backlog meets within
// seconds. Here events are read one at a time from the subscription, those
// of a request given up on included, and nothing is collected into a
// fixed-size array.
struct EventConsumer::Source {
  std::string context;
  // Where pull requests go: $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>.
  std::string next_subject;
  // Replies to the n-th pull request arrive on "<inbox>.<n>".
  std::string inbox;
  uint64_t requests = 0;
  natsSubscription* subscription = nullptr;
  // Reply subjects of events applied (their fsync deferred) and not yet acked.
  std::vector<std::string> applied;
  // mesh_consumer_lag of this source, looked up once (null without a registry).
  metrics::Gauge* lag = nullptr;
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
    if (registry_ != nullptr) {
      source->lag = &registry_->GetGauge("mesh_consumer_lag", "events waiting for this consumer",
                                         {{"service", options_.service}, {"producer", producer}});
    }
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

absl::Status EventConsumer::Subscribe(Source* source) {
  RETURN_IF_ERROR(EnsureStream(*client_, source->context));
  RETURN_IF_ERROR(EnsureDeadLetterStream(*client_, options_.service));
  const std::string stream = StreamName(source->context);
  const std::string durable = DurableName(options_.service);
  jsConsumerInfo* info = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetConsumerInfo(&info, client_->jetstream(), stream.c_str(), durable.c_str(), nullptr,
                         &js_error);
  if (info != nullptr) jsConsumerInfo_Destroy(info);
  info = nullptr;
  if (s == NATS_NOT_FOUND || js_error == JSConsumerNotFoundErr) {
    const std::string filter = absl::StrCat(source->context, ".>");
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = durable.c_str();
    config.FilterSubject = filter.c_str();
    config.AckPolicy = js_AckExplicit;
    config.DeliverPolicy = js_DeliverAll;
    config.AckWait = absl::ToInt64Nanoseconds(options_.ack_wait);
    // Dead-lettering is ours (we count deliveries), so the broker never gives up.
    config.MaxDeliver = -1;
    js_error = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&info, client_->jetstream(), stream.c_str(), &config, nullptr, &js_error);
    if (info != nullptr) jsConsumerInfo_Destroy(info);
    // A replica may have created it meanwhile.
    if (js_error == JSConsumerNameExistErr || js_error == JSConsumerExistingActiveErr) s = NATS_OK;
  }
  RETURN_IF_ERROR(FromNats(s, absl::StrCat("durable ", durable, " on ", stream), js_error));

  natsInbox* inbox = nullptr;
  RETURN_IF_ERROR(FromNats(natsInbox_Create(&inbox), "create inbox"));
  source->inbox = inbox;
  natsInbox_Destroy(inbox);
  source->next_subject = absl::StrCat("$JS.API.CONSUMER.MSG.NEXT.", stream, ".", durable);
  const std::string replies = absl::StrCat(source->inbox, ".*");
  return FromNats(natsConnection_SubscribeSync(&source->subscription, client_->connection(),
                                               replies.c_str()),
                  "subscribe to pull replies");
}

void EventConsumer::Run(Source* source) {
  while (!source->stop) {
    absl::Duration backoff = absl::Milliseconds(100);
    // Provision idempotently; retry while the broker is away.
    while (!source->stop && source->subscription == nullptr) {
      absl::Status ready = Subscribe(source);
      if (!ready.ok()) {
        logging::Warn("consumer waiting for the broker",
                      {{"service", options_.service}, {"error", ready.ToString()}});
        for (absl::Time until = absl::Now() + backoff; !source->stop && absl::Now() < until;) {
          absl::SleepFor(absl::Milliseconds(50));
        }
        backoff = std::min(backoff * 2, absl::Seconds(2));
      }
    }
    if (source->stop) break;
    logging::Info("consuming", {{"stream", StreamName(source->context)},
                                {"durable", DurableName(options_.service)}});
    Consume(source);
    // Whatever broke (the durable deleted, the broker restarted without it,
    // replies no longer reaching us), provisioning again mends it.
    natsSubscription_Unsubscribe(source->subscription);
    natsSubscription_Destroy(source->subscription);
    source->subscription = nullptr;
    if (registry_ != nullptr && !source->stop) {
      registry_
          ->GetCounter("mesh_consumer_resubscribes_total",
                       "times a consumer provisioned its durable again after pulls failed",
                       {{"service", options_.service}, {"producer", source->context}})
          .Increment();
    }
  }
}

void EventConsumer::Consume(Source* source) {
  bool busy = false;
  int unanswered = 0;
  while (!source->stop) {
    absl::StatusOr<Pulled> pulled = Pull(source, busy);
    AckApplied(source);
    if (!pulled.ok()) {
      logging::Warn("pull failed; provisioning the consumer again",
                    {{"stream", StreamName(source->context)}, {"error", pulled.status().ToString()}});
      absl::SleepFor(absl::Milliseconds(100));
      return;
    }
    busy = pulled->delivered > 0;
    unanswered = pulled->answered ? 0 : unanswered + 1;
    if (unanswered >= kUnansweredLimit) {
      logging::Warn("the broker answers no pull requests; provisioning the consumer again",
                    {{"stream", StreamName(source->context)}, {"requests", unanswered}});
      return;
    }
  }
}

absl::StatusOr<EventConsumer::Pulled> EventConsumer::Pull(Source* source, bool busy) {
  const std::string reply = absl::StrCat(source->inbox, ".", ++source->requests);
  const int batch = busy ? options_.fetch_batch : 1;
  const absl::Duration wait = busy ? kBusyWait : kIdleWait;
  // Busy: what the broker has now, up to a batch, ending with a 408 when
  // that is less (no_wait); if it has nothing yet, the first event within
  // the wait. Idle: the next event within the wait.
  const std::string request =
      absl::StrCat("{\"batch\":", batch, ",\"expires\":", absl::ToInt64Nanoseconds(wait),
                   busy ? ",\"no_wait\":true}" : "}");
  RETURN_IF_ERROR(FromNats(natsConnection_PublishRequestString(client_->connection(),
                                                               source->next_subject.c_str(),
                                                               reply.c_str(), request.c_str()),
                           "send pull request"));
  const absl::Time give_up = absl::Now() + wait + kAnswerGrace;
  Pulled pulled;
  int& delivered = pulled.delivered;
  while (!source->stop) {
    const absl::Duration left = give_up - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    natsMsg* message = nullptr;
    natsStatus s = natsSubscription_NextMsg(
        &message, source->subscription,
        std::max<int64_t>(1, absl::ToInt64Milliseconds(std::min(left, kStopCheck))));
    if (s == NATS_TIMEOUT) continue;
    RETURN_IF_ERROR(FromNats(s, "read pull replies"));
    if (const char* status = PullStatus(message); status != nullptr) {
      // A status comes on the request's own reply subject (events keep
      // theirs), so the end of a request given up on earlier is told apart.
      const bool current = reply == natsMsg_GetSubject(message);
      const std::string code(status, strnlen(status, 3));
      natsMsg_Destroy(message);
      if (!current) continue;
      pulled.answered = true;
      if (code == "404" || code == "408") return pulled;
      return absl::UnavailableError(absl::StrCat("pull request ended with status ", code));
    }
    // Late events of a request given up on are deliveries all the same; they
    // count towards this request's batch.
    Deliver(source, message);
    natsMsg_Destroy(message);
    pulled.answered = true;
    if (++delivered == batch) return pulled;
  }
  return pulled;
}

void EventConsumer::Deliver(Source* source, natsMsg* message) {
  int deliveries = 1;
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
    deliveries = static_cast<int>(meta->NumDelivered);
    if (source->lag != nullptr) source->lag->Set(static_cast<double>(meta->NumPending));
    jsMsgMetaData_Destroy(meta);
  }
  auto give_up = [&](const std::string& error) {
    absl::Status dead = DeadLetter(message, error, deliveries);
    if (dead.ok()) {
      Settle(client_->connection(), natsMsg_GetReply(message), "+TERM");
    } else {
      // The dead-letter stream is unreachable: try the whole thing again later.
      Settle(client_->connection(), natsMsg_GetReply(message), NakWithDelay(absl::Seconds(1)));
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
  absl::Status status = ApplyEvent(event, /*defer_sync=*/true);
  if (status.ok()) {
    if (const char* reply = natsMsg_GetReply(message)) source->applied.emplace_back(reply);
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
  Settle(client_->connection(), natsMsg_GetReply(message), NakWithDelay(options_.nak_backoff[step]));
}

void EventConsumer::AckApplied(Source* source) {
  if (source->applied.empty()) return;
  absl::Status synced = store_->Sync();
  if (synced.ok()) {
    for (const std::string& reply : source->applied) Settle(client_->connection(), reply.c_str(), "+ACK");
  } else {
    // Not acked, so redelivered after the ack wait; by then the store either
    // synced them (the redelivery is a duplicate) or lost them (applied anew).
    logging::Error("cannot make applied events durable; leaving them unacked",
                   {{"stream", StreamName(source->context)},
                    {"events", static_cast<int>(source->applied.size())},
                    {"error", synced.ToString()}});
  }
  source->applied.clear();
}

absl::Status EventConsumer::Apply(const common::v1::EventEnvelope& event) {
  return ApplyEvent(event, /*defer_sync=*/false);
}

absl::Status EventConsumer::ApplyEvent(const common::v1::EventEnvelope& event, bool defer_sync) {
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
  if (defer_sync) work.DeferSync();
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
