// The outbox relay and the idempotent consumer against a real nats-server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/v1/money.pb.h"
#include "gtest/gtest.h"
#include "libs/messaging/dead_letter_service.h"
#include "libs/messaging/event_consumer.h"
#include "libs/messaging/outbox_relay.h"
#include "libs/metrics/registry.h"
#include "libs/status/status.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/paths.h"

namespace mesh::messaging {
namespace {

constexpr char kProducer[] = "test.producer";

// A TCP relay to the broker that holds back every chunk the broker sends for
// about `delay`: a slow link, on which the answer to a pull request often
// arrives after the consumer's busy wait has ended. Requests and acks pass
// at once.
class SlowLink {
 public:
  SlowLink(int broker_port, absl::Duration delay) : broker_port_(broker_port), delay_(delay) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 4), 0);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    threads_.emplace_back([this] { Accept(); });
  }

  ~SlowLink() {
    shutdown(listener_, SHUT_RDWR);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
    }
    // Accept adds pumps until the listener is shut; it is the first thread.
    threads_.front().join();
    for (size_t i = 1; i < threads_.size(); ++i) threads_[i].join();
    for (int fd : sockets_) close(fd);
    close(listener_);
  }

  std::string url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

 private:
  void Accept() {
    for (;;) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      const int broker = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address = {};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(broker_port_));
      connect(broker, reinterpret_cast<sockaddr*>(&address), sizeof(address));
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(client);
      sockets_.push_back(broker);
      threads_.emplace_back([this, client, broker] { Pump(client, broker, absl::ZeroDuration()); });
      threads_.emplace_back([this, client, broker] { Pump(broker, client, delay_); });
    }
  }

  // Each chunk is held back for between none and twice `delay`.
  static void Pump(int from, int to, absl::Duration delay) {
    absl::BitGen gen;
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = read(from, buffer, sizeof(buffer));
      if (n <= 0) break;
      absl::SleepFor(delay * absl::Uniform(gen, 0.0, 2.0));
      if (write(to, buffer, static_cast<size_t>(n)) != n) break;
    }
    shutdown(from, SHUT_RDWR);
    shutdown(to, SHUT_RDWR);
  }

  const int broker_port_;
  const absl::Duration delay_;
  int listener_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::vector<int> sockets_;
  std::vector<std::thread> threads_;
};

// A consuming side: its own store, and a handler that records what it applied.
struct Side {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<NatsClient> client;
  std::unique_ptr<EventConsumer> consumer;
  std::mutex mu;
  std::vector<int64_t> applied;  // aggregate versions, in apply order
  std::atomic<bool> fail{false};
};

class MessagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start(dir_.path() + "/nats");
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    producer_store_ = OpenStore("producer");
    auto client = NatsClient::Connect({.url = nats_->url(), .name = "producer"});
    ASSERT_TRUE(client.ok()) << client.status();
    producer_client_ = std::move(*client);
  }

  std::unique_ptr<storage::Store> OpenStore(const std::string& name, bool sync = false) {
    auto store = storage::Store::Open({.path = dir_.path() + "/" + name, .sync = sync});
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(*store);
  }

  std::unique_ptr<OutboxRelay> StartRelay(absl::Duration retain = absl::ZeroDuration()) {
    auto relay = std::make_unique<OutboxRelay>(
        producer_store_.get(), producer_client_.get(),
        RelayOptions{.context = kProducer, .retain = retain}, nullptr);
    relay->Start();
    return relay;
  }

  // url: the broker's, unless given.
  // sync: the side's store fsyncs its commits, as services' stores do.
  std::unique_ptr<Side> StartSide(const std::string& name, int max_deliver = 3,
                                  const std::string& url = "", bool sync = false) {
    auto side = std::make_unique<Side>();
    side->store = OpenStore(name, sync);
    auto client = NatsClient::Connect({.url = url.empty() ? nats_->url() : url, .name = name});
    EXPECT_TRUE(client.ok());
    side->client = std::move(*client);
    ConsumerOptions options;
    options.service = "test.consumer";
    options.max_deliver = max_deliver;
    options.nak_backoff = {absl::Milliseconds(20)};
    side->consumer =
        std::make_unique<EventConsumer>(side->store.get(), side->client.get(), options, nullptr);
    Side* raw = side.get();
    side->consumer->On<common::v1::Money>(
        kProducer, [raw](const common::v1::Money& money, const common::v1::EventEnvelope& event,
                         storage::UnitOfWork& work) -> absl::Status {
          if (raw->fail) return absl::UnavailableError("handler is failing on purpose");
          work.Put(storage::kState, event.event_id(), money.currency_code());
          RETURN_IF_ERROR(raw->store->Commit(work));
          std::lock_guard<std::mutex> lock(raw->mu);
          raw->applied.push_back(event.aggregate_version());
          return absl::OkStatus();
        });
    side->consumer->Start();
    return side;
  }

  // Commits n events (versions first..first+n-1) to the producer's outbox.
  void Produce(int first, int n) {
    for (int v = first; v < first + n; ++v) {
      common::v1::Money payload;
      payload.set_currency_code("KRW");
      payload.set_amount_minor(v);
      EventContext context{.producer = kProducer, .aggregate_type = "Test",
                           .aggregate_id = "a1", .aggregate_version = v};
      storage::UnitOfWork work;
      work.AddEvent(MakeEvent(context, payload, absl::Now()));
      ASSERT_TRUE(producer_store_->Commit(work).ok());
    }
  }

  static std::vector<int64_t> Applied(Side& side) {
    std::lock_guard<std::mutex> lock(side.mu);
    return side.applied;
  }

  static void WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(done()) << "timed out";
  }

  static std::vector<int64_t> Range(int first, int n) {
    std::vector<int64_t> v;
    for (int i = first; i < first + n; ++i) v.push_back(i);
    return v;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<storage::Store> producer_store_;
  std::unique_ptr<NatsClient> producer_client_;
};

TEST_F(MessagingTest, Relay_PublishesInCommitOrder_ConsumerAppliesEachOnce) {
  auto relay = StartRelay();
  auto side = StartSide("consumer");
  Produce(1, 500);
  WaitFor([&] { return Applied(*side).size() >= 500; });
  EXPECT_EQ(Applied(*side), Range(1, 500));
  WaitFor([&] { return producer_store_->OutboxDepth() == 0; });
  EXPECT_EQ(relay->published(), 500u);
}

// Debian's libnats 3.4.1 wrote past its batch array in natsSubscription_Fetch
// when a fetch began with events of an earlier, timed-out fetch still queued
// (nats.c PR 749), as happens when answers come back slowly: this crashed, or
// under AddressSanitizer failed, within the first thousand events.
TEST_F(MessagingTest, SlowLinkToBroker_BacklogAppliedOnceInOrder) {
  auto relay = StartRelay();
  Produce(1, 2000);
  WaitFor([&] { return producer_store_->OutboxDepth() == 0; }, absl::Seconds(60));
  SlowLink link(nats_->port(), absl::Milliseconds(10));
  auto side = StartSide("consumer", /*max_deliver=*/3, link.url());
  WaitFor([&] { return Applied(*side).size() >= 2000; }, absl::Seconds(120));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Applied(*side), Range(1, 2000));
  side.reset();
}

TEST_F(MessagingTest, BrokerDown_OutboxGrowsThenDrainsWithNothingLostOrTwice) {
  auto relay = StartRelay();
  auto side = StartSide("consumer");
  Produce(1, 10);
  WaitFor([&] { return Applied(*side).size() >= 10; });

  ASSERT_TRUE(nats_->Stop().ok());
  Produce(11, 200);  // commits never wait for the broker
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(producer_store_->OutboxDepth(), 200u);

  ASSERT_TRUE(nats_->Restart().ok());
  WaitFor([&] { return Applied(*side).size() >= 210; }, absl::Seconds(30));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Applied(*side), Range(1, 210));
  EXPECT_EQ(producer_store_->OutboxDepth(), 0u);
}

TEST_F(MessagingTest, Retain_BrokerLostAckedEvents_RepublishedAfterRestart) {
  auto relay = StartRelay(absl::Minutes(1));
  auto side = StartSide("consumer");
  Produce(1, 20);
  WaitFor([&] { return Applied(*side).size() >= 20 && relay->pending() == 0; });
  EXPECT_EQ(producer_store_->OutboxDepth(), 20u) << "acked rows are kept for the window";
  relay.reset();
  side.reset();

  // The broker loses what it had acked (as an OS crash before its fsync would).
  ASSERT_EQ(js_DeleteStream(producer_client_->jetstream(), StreamName(kProducer).c_str(), nullptr,
                            nullptr),
            NATS_OK);
  relay = StartRelay(absl::Minutes(1));
  auto fresh = StartSide("consumer-after-loss");
  WaitFor([&] { return Applied(*fresh).size() >= 20; });
  EXPECT_EQ(Applied(*fresh), Range(1, 20));
}

// Services close the store in a drained hook, after the relay stops but while
// /metrics is still served: a scrape then must not read the closed store.
TEST_F(MessagingTest, RelayStop_DepthGaugeRemoved_StoreMayClose) {
  metrics::Registry registry;
  OutboxRelay relay(producer_store_.get(), producer_client_.get(),
                    RelayOptions{.context = kProducer}, &registry);
  relay.Start();
  Produce(1, 3);
  WaitFor([&] { return producer_store_->OutboxDepth() == 0; });
  EXPECT_NE(registry.RenderText().find("mesh_outbox_depth"), std::string::npos);
  relay.Stop();
  producer_store_.reset();
  EXPECT_EQ(registry.RenderText().find("mesh_outbox_depth"), std::string::npos);
}

// A relay keeps acked rows and republishes them after a restart, but only
// while the stream's Msg-Id window still holds their ids: older ones would be
// stored a second time.
TEST_F(MessagingTest, Retain_RestartAfterTheDuplicateWindow_StreamHoldsEachEventOnce) {
  // The stream exists already with a one-second window (the relay reads it).
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const std::string name = StreamName(kProducer);
  const std::string subject = absl::StrCat(kProducer, ".>");
  const char* subjects[] = {subject.c_str()};
  config.Name = name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Duplicates = absl::ToInt64Nanoseconds(absl::Seconds(1));
  ASSERT_EQ(js_AddStream(nullptr, producer_client_->jetstream(), &config, nullptr, nullptr),
            NATS_OK);
  auto relay = StartRelay(absl::Minutes(1));
  Produce(1, 20);
  WaitFor([&] { return relay->pending() == 0; });
  relay.reset();
  absl::SleepFor(absl::Milliseconds(1500));  // past the window

  relay = StartRelay(absl::Minutes(1));
  EXPECT_EQ(relay->pending(), 0u) << "the rows acked before the restart are known as acked";
  Produce(21, 5);
  WaitFor([&] { return relay->pending() == 0; });
  auto side = StartSide("consumer");
  WaitFor([&] { return Applied(*side).size() >= 25; });
  jsStreamInfo* info = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&info, producer_client_->jetstream(), name.c_str(), nullptr, nullptr),
            NATS_OK);
  EXPECT_EQ(info->State.Msgs, 25u);
  jsStreamInfo_Destroy(info);
  EXPECT_EQ(Applied(*side), Range(1, 25));
}

TEST_F(MessagingTest, Retain_RowsOlderThanTheWindow_ArePurged) {
  auto relay = StartRelay(absl::Milliseconds(200));
  Produce(1, 30);
  WaitFor([&] { return producer_store_->OutboxDepth() == 0; });
  EXPECT_EQ(relay->published(), 30u);
}

TEST_F(MessagingTest, Apply_RedeliveredEvent_AppliedOnce) {
  auto side = StartSide("consumer");
  common::v1::Money payload;
  payload.set_currency_code("KRW");
  auto event = MakeEvent({.producer = kProducer, .aggregate_id = "a1", .aggregate_version = 7},
                         payload, absl::Now());
  ASSERT_TRUE(side->consumer->Apply(event).ok());
  ASSERT_TRUE(side->consumer->Apply(event).ok());
  EXPECT_EQ(Applied(*side), std::vector<int64_t>{7});
  EXPECT_TRUE(*side->store->InboxContains(event.event_id()));
}

TEST_F(MessagingTest, TwoReplicas_ShareTheDurable_EachEventAppliedOnce) {
  auto relay = StartRelay();
  auto a = StartSide("replica-a");
  auto b = StartSide("replica-b");
  Produce(1, 400);
  WaitFor([&] { return Applied(*a).size() + Applied(*b).size() >= 400; });
  absl::SleepFor(absl::Milliseconds(300));
  std::multiset<int64_t> all;
  for (int64_t v : Applied(*a)) all.insert(v);
  for (int64_t v : Applied(*b)) all.insert(v);
  EXPECT_EQ(all.size(), 400u);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 400u) << "an event applied twice";
}

TEST_F(MessagingTest, PoisonEvent_GoesToDeadLetters_ThenReplays) {
  auto relay = StartRelay();
  auto side = StartSide("consumer", /*max_deliver=*/3);
  side->fail = true;
  Produce(1, 1);
  DeadLetterService admin(side->consumer.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&admin);
  auto server = builder.BuildAndStart();
  auto stub = admin::v1::DeadLetterService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

  admin::v1::ListDeadLettersResponse listed;
  WaitFor([&] {
    grpc::ClientContext context;
    listed.Clear();
    return stub->ListDeadLetters(&context, {}, &listed).ok() && listed.dead_letters_size() == 1;
  });
  EXPECT_EQ(listed.dead_letters(0).event_type(), "Money");
  EXPECT_EQ(listed.dead_letters(0).deliveries(), 3);
  EXPECT_NE(listed.dead_letters(0).error().find("failing on purpose"), std::string::npos);
  EXPECT_TRUE(Applied(*side).empty());

  admin::v1::ReplayDeadLetterRequest replay;
  replay.set_sequence(listed.dead_letters(0).sequence());
  admin::v1::ReplayDeadLetterResponse replayed;
  {
    grpc::ClientContext context;
    grpc::Status still_failing = stub->ReplayDeadLetter(&context, replay, &replayed);
    EXPECT_EQ(still_failing.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  side->fail = false;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ReplayDeadLetter(&context, replay, &replayed).ok());
  }
  EXPECT_EQ(Applied(*side), std::vector<int64_t>{1});
  {
    grpc::ClientContext context;
    listed.Clear();
    ASSERT_TRUE(stub->ListDeadLetters(&context, {}, &listed).ok());
    EXPECT_EQ(listed.dead_letters_size(), 0);
    grpc::ClientContext again;
    EXPECT_EQ(stub->ReplayDeadLetter(&again, replay, &replayed).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  server->Shutdown();
}

TEST_F(MessagingTest, MalformedMessage_DeadLetteredAtOnce_ConsumerKeepsGoing) {
  auto relay = StartRelay();
  auto side = StartSide("consumer");
  ASSERT_TRUE(EnsureStream(*producer_client_, kProducer).ok());
  jsPubAck* ack = nullptr;
  const char garbage[] = "\xff\xfe not a protobuf";
  ASSERT_EQ(js_Publish(&ack, producer_client_->jetstream(), "test.producer.Money", garbage,
                       sizeof(garbage), nullptr, nullptr),
            NATS_OK);
  jsPubAck_Destroy(ack);
  Produce(1, 3);
  WaitFor([&] { return Applied(*side).size() >= 3; });
  EXPECT_EQ(Applied(*side), Range(1, 3));
  jsStreamInfo* info = nullptr;
  WaitFor([&] {
    if (info != nullptr) jsStreamInfo_Destroy(info);
    info = nullptr;
    return js_GetStreamInfo(&info, producer_client_->jetstream(),
                            DeadLetterStream("test.consumer").c_str(), nullptr, nullptr) == NATS_OK &&
           info->State.Msgs == 1;
  });
  if (info != nullptr) jsStreamInfo_Destroy(info);
}

// Services start together, and each creates the streams it touches. Whoever loses the race
// to create one must still be told it is there: the broker may answer the loser that the
// subjects overlap rather than that the name exists.
TEST_F(MessagingTest, EnsureStream_ManyAtOnce_EveryCallerSucceeds) {
  constexpr int kCallers = 6;
  std::vector<std::unique_ptr<NatsClient>> clients;
  for (int i = 0; i < kCallers; ++i) {
    auto client = NatsClient::Connect({.url = nats_->url(), .name = absl::StrCat("caller", i)});
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(std::move(*client));
  }
  for (int round = 0; round < 100; ++round) {
    const std::string context = absl::StrCat("race", round, ".ctx");
    std::vector<absl::Status> results(kCallers);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        for (++ready; ready.load() < kCallers;) {
        }
        results[i] = EnsureStream(*clients[i], context);
      });
    }
    for (auto& thread : threads) thread.join();
    for (const absl::Status& status : results) EXPECT_TRUE(status.ok()) << context << ": " << status;
  }
}

// A replay (the durable deleted and made again) followed at once by a broker
// crash: the consumer must go on pulling, through the restart, to the end.
TEST_F(MessagingTest, ReplayThenBrokerKilled_ConsumerResumesAndAppliesEveryEventOnce) {
  auto relay = StartRelay();
  auto side = StartSide("consumer");
  Produce(1, 3000);
  WaitFor([&] { return Applied(*side).size() >= 3000; }, absl::Seconds(60));
  ASSERT_TRUE(side->consumer->Rewind().ok());
  absl::SleepFor(absl::Milliseconds(50));
  nats_->Kill();
  ASSERT_TRUE(nats_->Restart().ok());
  Produce(3001, 100);
  WaitFor([&] { return Applied(*side).size() >= 3100; }, absl::Seconds(60));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Applied(*side), Range(1, 3100));
}

// The durable vanishes under a running consumer (deleted by an operator, or
// a broker that came back without it): the consumer must make it again and go
// on, applying what it already applied no second time.
TEST_F(MessagingTest, DurableDeletedUnderneath_ConsumerProvisionsAgainAndGoesOn) {
  auto relay = StartRelay();
  auto side = StartSide("consumer");
  Produce(1, 50);
  WaitFor([&] { return Applied(*side).size() >= 50; });
  // The broker may refuse a delete for a moment (a JetStream API error while
  // it is busy with the consumer's pulls); the test is about what follows.
  natsStatus deleted = NATS_ERR;
  std::string refusal;
  for (int attempt = 0; attempt < 50 && deleted != NATS_OK; ++attempt) {
    jsErrCode code = static_cast<jsErrCode>(0);
    deleted = js_DeleteConsumer(producer_client_->jetstream(), StreamName(kProducer).c_str(),
                                DurableName("test.consumer").c_str(), nullptr, &code);
    if (deleted != NATS_OK) {
      refusal = absl::StrCat(natsStatus_GetText(deleted), " (JetStream error ", code,
                             "): ", nats_GetLastError(nullptr));
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  ASSERT_EQ(deleted, NATS_OK) << refusal;
  Produce(51, 50);
  WaitFor([&] { return Applied(*side).size() >= 100; }, absl::Seconds(30));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Applied(*side), Range(1, 100));
}

// A backlog is applied a pull request's batch at a time: the handlers'
// commits defer their fsync, one log sync covers the batch, and only then is
// it acked, so every event ends acked and none is left waiting.
TEST_F(MessagingTest, Backlog_OneLogSyncPerBatch_EveryEventAckedAfterIt) {
  constexpr int kEvents = 2000;
  auto relay = StartRelay();
  Produce(1, kEvents);
  WaitFor([&] { return producer_store_->OutboxDepth() == 0; });
  auto side = StartSide("consumer", 3, "", /*sync=*/true);
  WaitFor([&] { return Applied(*side).size() >= kEvents; }, absl::Seconds(60));
  EXPECT_EQ(Applied(*side), Range(1, kEvents));
  const uint64_t syncs = side->store->SyncCount();
  EXPECT_GT(syncs, 0u);
  EXPECT_LE(syncs, kEvents / 8) << "the consumer synced its log per event, not per batch";

  jsConsumerInfo* info = nullptr;
  WaitFor([&] {
    if (info != nullptr) jsConsumerInfo_Destroy(info);
    info = nullptr;
    return js_GetConsumerInfo(&info, producer_client_->jetstream(), StreamName(kProducer).c_str(),
                              DurableName("test.consumer").c_str(), nullptr,
                              nullptr) == NATS_OK &&
           info->NumAckPending == 0 && info->NumPending == 0;
  });
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->AckFloor.Stream, static_cast<uint64_t>(kEvents));
  jsConsumerInfo_Destroy(info);
}

}  // namespace
}  // namespace mesh::messaging
