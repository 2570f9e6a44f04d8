#include "libs/messaging/outbox_relay.h"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/v1/event.pb.h"
#include "libs/logging/logging.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"

namespace mesh::messaging {
namespace {

// The exit code of the commit-before-publish fault drill (purchase's
// crash-after-charge drill exits 86).
constexpr int kFaultCrashExitCode = 87;
// Retained rows are republished only while the broker's Msg-Id window will
// still hold their id when it gets them: this much younger than the window.
constexpr absl::Duration kRepublishMargin = absl::Seconds(15);

// Counts the broker's answers to one batch of asynchronous publishes.
struct AckTally {
  std::atomic<int> acked{0};
  std::atomic<int> failed{0};
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* tally = static_cast<AckTally*>(closure);
  if (ack != nullptr && error == nullptr) {
    tally->acked.fetch_add(1);
  } else {
    tally->failed.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

}  // namespace

OutboxRelay::OutboxRelay(storage::Store* store, NatsClient* client, RelayOptions options,
                         metrics::Registry* registry)
    : store_(store), client_(client), options_(std::move(options)), registry_(registry) {
  // Rows a previous process saw acked and kept.
  acked_through_ = store_->OutboxAcked();
  uint64_t kept = 0;
  absl::Status counted = store_->ScanOutbox(0, [&](uint64_t seq, std::string_view) {
    if (seq > acked_through_) return false;
    ++kept;
    return true;
  });
  if (!counted.ok()) logging::Warn("cannot count retained outbox rows", {{"error", counted.ToString()}});
  retained_ = kept;
  if (registry_ != nullptr) {
    registry_->AddCallbackGauge("mesh_outbox_depth", "events waiting in the outbox",
                                {{"context", options_.context}},
                                [this] { return static_cast<double>(pending()); });
  }
}

OutboxRelay::~OutboxRelay() { Stop(absl::ZeroDuration()); }

void OutboxRelay::Start() {
  if (options_.fault_crash_after_commit) {
    store_->SetOutboxListener([] {
      logging::Error("fault drill: crashing after a commit, before the relay publishes it");
      _exit(kFaultCrashExitCode);
    });
    // The relay thread never runs, so no row is published before the crash.
    return;
  }
  store_->SetOutboxListener([this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_ = true;
    }
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop(absl::Duration flush_timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    flush_deadline_ = absl::Now() + flush_timeout;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  // The depth gauge reads the store from the scraping thread; services close
  // the store once the relay has stopped, while /metrics is still served.
  if (registry_ != nullptr) {
    registry_->RemoveCallbackGauge("mesh_outbox_depth", {{"context", options_.context}});
  }
}

void OutboxRelay::Run() {
  absl::Duration backoff = absl::Milliseconds(50);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && (pending() == 0 || absl::Now() >= flush_deadline_)) break;
    }
    // Purging first means rows that aged out while the service was down are
    // gone before anything is republished.
    if (retained_.load() > 0 && absl::Now() - last_purge_ > absl::Seconds(1)) {
      last_purge_ = absl::Now();
      if (absl::Status purged = Purge(); !purged.ok()) {
        logging::Warn("cannot purge retained outbox rows", {{"error", purged.ToString()}});
      }
    }
    absl::StatusOr<int> sent = PublishBatch();
    if (sent.ok() && *sent > 0) {
      backoff = absl::Milliseconds(50);
      continue;  // more rows may be waiting
    }
    absl::Duration wait = options_.idle_poll;
    if (!sent.ok()) {
      logging::Warn("outbox relay cannot publish; rows stay on disk",
                    {{"context", options_.context},
                     {"depth", pending()},
                     {"error", sent.status().ToString()}});
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_ && !sent.ok()) {
      if (absl::Now() >= flush_deadline_) break;
      wait = std::min(wait, flush_deadline_ - absl::Now());
    }
    cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return pending_ || stopping_; });
    pending_ = false;
  }
  if (pending() > 0) {
    logging::Warn("outbox relay stopped with rows left; they go out on the next start",
                  {{"context", options_.context}, {"depth", pending()}});
  }
}

absl::StatusOr<int> OutboxRelay::PublishBatch() {
  struct Row {
    uint64_t seq;
    std::string event_id;
    std::string subject;
    std::string data;
    bool stale = false;
  };
  if (!stream_ready_) {
    // Nothing to publish: no need for the broker yet.
    bool any = false;
    RETURN_IF_ERROR(store_->ScanOutbox(scan_after_, [&](uint64_t, std::string_view) {
      any = true;
      return false;
    }));
    if (!any) return 0;
    RETURN_IF_ERROR(EnsureStream(*client_, options_.context));
    ASSIGN_OR_RETURN(absl::Duration window, DuplicateWindow(*client_, options_.context));
    republish_limit_ = window - kRepublishMargin;
    if (options_.retain > republish_limit_) {
      logging::Warn("outbox_retain is longer than the stream's duplicate window allows; older "
                    "rows are not republished",
                    {{"context", options_.context},
                     {"retain", absl::FormatDuration(options_.retain)},
                     {"duplicate_window", absl::FormatDuration(window)}});
    }
    stream_ready_ = true;
  }
  std::vector<Row> rows;
  const absl::Time too_old = absl::Now() - republish_limit_;
  RETURN_IF_ERROR(store_->ScanOutbox(scan_after_, [&](uint64_t seq, std::string_view bytes) {
    common::v1::EventEnvelope event;
    Row row{seq, "", "", std::string(bytes)};
    if (event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      row.event_id = event.event_id();
      row.subject = Subject(options_.context, event.event_type());
      // Acked before, and too old for the broker to drop as a duplicate: it
      // is in the stream unless the broker lost it, and the stream must not
      // hold it twice. The commit time bounds the broker's receipt time.
      row.stale = seq <= acked_through_ && absl::FromUnixSeconds(event.occur_time().seconds()) +
                                                   absl::Nanoseconds(event.occur_time().nanos()) <
                                               too_old;
    }
    rows.push_back(std::move(row));
    return static_cast<int>(rows.size()) < options_.batch_size;
  }));
  if (rows.empty()) return 0;

  // A context of our own, so that waiting for this batch's acks waits for
  // nothing else published on the connection.
  AckTally tally;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.AckHandler = OnAck;
  js_options.PublishAsync.AckHandlerClosure = &tally;
  js_options.PublishAsync.MaxPending = options_.batch_size;
  jsCtx* js = nullptr;
  RETURN_IF_ERROR(FromNats(natsConnection_JetStream(&js, client_->connection(), &js_options),
                           "jetstream context"));
  const std::string stream = StreamName(options_.context);
  int sent = 0;
  absl::Status status;
  for (const Row& row : rows) {
    if (row.subject.empty() || row.stale) {
      // Unreadable rows cannot be published; skipping them keeps the rest flowing.
      if (!row.stale) logging::Error("outbox row does not parse; dropped", {{"seq", row.seq}});
      ++sent;
      tally.acked.fetch_add(1);
      continue;
    }
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, row.subject.c_str(), nullptr, row.data.data(),
                                  static_cast<int>(row.data.size()));
    jsPubOptions publish;
    jsPubOptions_Init(&publish);
    publish.MsgId = row.event_id.c_str();
    publish.ExpectStream = stream.c_str();
    if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, &publish);
    natsMsg_Destroy(msg);
    if (s != NATS_OK) {
      status = FromNats(s, "publish");
      break;
    }
    ++sent;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = absl::ToInt64Milliseconds(options_.ack_timeout);
  natsStatus s = js_PublishAsyncComplete(js, &wait);
  if (s != NATS_OK) {
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK) natsMsgList_Destroy(&pending);
    if (status.ok()) status = FromNats(s, "wait for publish acks");
  }
  jsCtx_Destroy(js);
  RETURN_IF_ERROR(status);
  if (tally.failed.load() > 0 || tally.acked.load() < sent) {
    return absl::UnavailableError(absl::StrCat(tally.failed.load(), " of ", sent,
                                               " publishes were not acked"));
  }
  // Every row of the batch is in the stream: delete them, or keep them for
  // the retention window (a failed batch is republished from its first row;
  // Msg-Id drops duplicates).
  const uint64_t last = rows.back().seq;
  scan_after_ = last;
  if (options_.retain > absl::ZeroDuration()) {
    if (last > acked_through_) {
      RETURN_IF_ERROR(store_->SetOutboxAcked(last));
      retained_ += static_cast<uint64_t>(
          std::count_if(rows.begin(), rows.end(), [&](const Row& row) { return row.seq > acked_through_; }));
      acked_through_ = last;
    }
  } else {
    RETURN_IF_ERROR(store_->DeleteOutboxThrough(last));
    retained_ = 0;
  }
  published_ += rows.size();
  if (registry_ != nullptr) {
    registry_->GetCounter("mesh_outbox_published_total", "events the broker acked",
                          {{"context", options_.context}})
        .Increment(static_cast<double>(rows.size()));
  }
  return static_cast<int>(rows.size());
}

absl::Status OutboxRelay::Purge() {
  const absl::Time cutoff = absl::Now() - options_.retain;
  uint64_t through = 0;
  uint64_t count = 0;
  RETURN_IF_ERROR(store_->ScanOutbox(0, [&](uint64_t seq, std::string_view bytes) {
    if (seq > acked_through_) return false;
    common::v1::EventEnvelope event;
    if (event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
        absl::FromUnixSeconds(event.occur_time().seconds()) >= cutoff) {
      return false;
    }
    through = seq;
    ++count;
    return true;
  }));
  if (count == 0) return absl::OkStatus();
  RETURN_IF_ERROR(store_->DeleteOutboxThrough(through));
  retained_ -= std::min<uint64_t>(count, retained_.load());
  return absl::OkStatus();
}

}  // namespace mesh::messaging
