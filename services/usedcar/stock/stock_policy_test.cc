#include "services/usedcar/stock/stock_policy.h"

#include <algorithm>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/paths.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"

namespace usedcar::stock {
namespace {

using common::v1::EventEnvelope;
using ::testing::HasSubstr;

constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

template <typename Payload>
Payload Event(const std::string& consignment_id, const std::string& car_id) {
  Payload payload;
  payload.set_consignment_id(consignment_id);
  payload.set_purchase_id(absl::StrCat("pur-", consignment_id));
  payload.set_customer_id(absl::StrCat("cus-", consignment_id));
  payload.set_car_id(car_id);
  return payload;
}

// An envelope as usedcar.consign publishes it.
EventEnvelope FromConsign(const google::protobuf::Message& payload,
                          const std::string& consignment_id) {
  mesh::messaging::EventContext context;
  context.producer = kConsignProducer;
  context.aggregate_type = "Consignment";
  context.aggregate_id = consignment_id;
  context.aggregate_version = 1;
  context.correlation_id = absl::StrCat("usedcar/purchase/pur-", consignment_id);
  context.causation_id = "evt_upstream";
  context.traceparent = kTraceparent;
  return mesh::messaging::MakeEvent(context, payload, absl::FromUnixSeconds(1'700'000'000));
}

EventEnvelope Consigned(const std::string& consignment_id, const std::string& car_id) {
  return FromConsign(Event<consign::v1::Consigned>(consignment_id, car_id), consignment_id);
}

EventEnvelope Cancelled(const std::string& consignment_id, const std::string& car_id) {
  consign::v1::ConsignCancelled cancelled =
      Event<consign::v1::ConsignCancelled>(consignment_id, car_id);
  cancelled.set_reason("purchase cancelled");
  return FromConsign(cancelled, consignment_id);
}

class StockPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
        mesh::storage::Store::Open({.path = dir_.path() + "/stock",
                                    .sync = false,
                                    .extra_column_families = StockRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<StockRepository>(store_.get());
    policy_ = std::make_unique<StockPolicy>(repository_.get(), clock_);
    // Never started: Apply delivers as the broker would, without one.
    mesh::messaging::ConsumerOptions options;
    options.service = kProducer;
    consumer_ = std::make_unique<mesh::messaging::EventConsumer>(store_.get(), nullptr,
                                                                 std::move(options), nullptr);
    RegisterPolicies(*consumer_, *policy_);
  }

  absl::Status Deliver(const EventEnvelope& event) { return consumer_->Apply(event); }

  // Stocks units in; without an event unless asked, so that outboxes hold
  // only the policies' events.
  void Seed(const std::string& car_id, int64_t quantity, bool with_event = false) {
    auto lock = repository_->LockCar(car_id);
    absl::StatusOr<std::optional<Stock>> current = repository_->Get(car_id);
    ASSERT_TRUE(current.ok()) << current.status();
    Stock stock = current->value_or(EmptyStock(car_id));
    absl::StatusOr<v1::StockChanged> changed = StockIn(stock, quantity, clock_.Now());
    ASSERT_TRUE(changed.ok()) << changed.status();
    mesh::storage::UnitOfWork work;
    StockRepository::PutStock(work, stock);
    if (with_event) StockRepository::AddEvent(work, stock, *changed, {}, clock_.Now());
    ASSERT_TRUE(repository_->Commit(work).ok());
  }

  std::optional<Stock> Get(const std::string& car_id) {
    absl::StatusOr<std::optional<Stock>> stock = repository_->Get(car_id);
    EXPECT_TRUE(stock.ok()) << stock.status();
    return stock.ok() ? *stock : std::nullopt;
  }

  ConsignmentMark Mark(const std::string& consignment_id) {
    absl::StatusOr<std::optional<ConsignmentRecord>> record =
        repository_->FindConsignment(consignment_id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() && record->has_value() ? (*record)->mark : ConsignmentMark::kNone;
  }

  bool InInbox(const EventEnvelope& event) {
    absl::StatusOr<bool> seen = store_->InboxContains(event.event_id());
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.ok() && *seen;
  }

  std::vector<EventEnvelope> Outbox() {
    std::vector<EventEnvelope> events;
    absl::Status scanned = store_->ScanOutbox(0, [&](uint64_t, std::string_view row) {
      events.emplace_back().ParseFromArray(row.data(), static_cast<int>(row.size()));
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
    return events;
  }

  template <typename Payload>
  static Payload Unpack(const EventEnvelope& event) {
    Payload payload;
    EXPECT_TRUE(mesh::messaging::UnpackPayload(event, &payload).ok()) << event.event_type();
    return payload;
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<StockRepository> repository_;
  std::unique_ptr<StockPolicy> policy_;
  std::unique_ptr<mesh::messaging::EventConsumer> consumer_;
};

TEST_F(StockPolicyTest, OnConsigned_UnitOnHand_StockMarkInboxAndEventCommittedTogether) {
  Seed("car-1", 2);
  const EventEnvelope consigned = Consigned("con-1", "car-1");
  ASSERT_TRUE(Deliver(consigned).ok());

  std::optional<Stock> stock = Get("car-1");
  ASSERT_TRUE(stock.has_value());
  EXPECT_EQ(stock->quantity(), 1);
  EXPECT_EQ(stock->consigned(), 1);
  EXPECT_EQ(stock->version(), 2);
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kReserved);
  EXPECT_TRUE(InInbox(consigned));

  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  const EventEnvelope& event = outbox[0];
  EXPECT_EQ(event.event_type(), "StockChanged");
  EXPECT_EQ(event.producer(), "usedcar.stock");
  EXPECT_EQ(event.aggregate_type(), "Stock");
  EXPECT_EQ(event.aggregate_id(), "car-1");
  EXPECT_EQ(event.aggregate_version(), 2);
  EXPECT_EQ(event.correlation_id(), "usedcar/purchase/pur-con-1");
  EXPECT_EQ(event.causation_id(), consigned.event_id());
  EXPECT_EQ(event.traceparent(), kTraceparent);
  auto changed = Unpack<v1::StockChanged>(event);
  EXPECT_EQ(changed.car_id(), "car-1");
  EXPECT_EQ(changed.delta(), -1);
  EXPECT_EQ(changed.total(), 1);
  EXPECT_EQ(changed.cause(), "consigned");
  EXPECT_EQ(changed.consignment_id(), "con-1");
  EXPECT_EQ(changed.purchase_id(), "pur-con-1");
}

TEST_F(StockPolicyTest, OnConsigned_Redelivered_NoSecondUnitNoSecondEvent) {
  Seed("car-1", 5);
  const EventEnvelope consigned = Consigned("con-1", "car-1");
  ASSERT_TRUE(Deliver(consigned).ok());
  ASSERT_TRUE(Deliver(consigned).ok());
  EXPECT_EQ(Get("car-1")->quantity(), 4);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(StockPolicyTest, OnConsigned_DuplicateWithNewEventId_ChangesNothingButIsMarked) {
  Seed("car-1", 5);
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  const EventEnvelope again = Consigned("con-1", "car-1");
  ASSERT_TRUE(Deliver(again).ok());
  EXPECT_TRUE(InInbox(again));
  EXPECT_EQ(Get("car-1")->quantity(), 4);
  EXPECT_EQ(Get("car-1")->version(), 2);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(StockPolicyTest, OnConsigned_NeverStocked_ShortageAndNoStockRow) {
  const EventEnvelope consigned = Consigned("con-1", "car-9");
  ASSERT_TRUE(Deliver(consigned).ok());
  EXPECT_FALSE(Get("car-9").has_value());
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kShort);
  EXPECT_TRUE(InInbox(consigned));

  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].event_type(), "StockShortage");
  EXPECT_EQ(outbox[0].aggregate_id(), "car-9");
  EXPECT_EQ(outbox[0].aggregate_version(), 0);
  EXPECT_EQ(outbox[0].causation_id(), consigned.event_id());
  EXPECT_EQ(outbox[0].correlation_id(), "usedcar/purchase/pur-con-1");
  auto shortage = Unpack<v1::StockShortage>(outbox[0]);
  EXPECT_EQ(shortage.car_id(), "car-9");
  EXPECT_EQ(shortage.consignment_id(), "con-1");
  EXPECT_EQ(shortage.purchase_id(), "pur-con-1");
  EXPECT_EQ(shortage.customer_id(), "cus-con-1");
}

TEST_F(StockPolicyTest, OnConsigned_LastUnitGone_ShortageStockUnchanged) {
  Seed("car-1", 1);
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  const Stock before = *Get("car-1");
  ASSERT_TRUE(Deliver(Consigned("con-2", "car-1")).ok());
  EXPECT_EQ(Get("car-1")->SerializeAsString(), before.SerializeAsString());
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[1].event_type(), "StockShortage");
  EXPECT_EQ(outbox[1].aggregate_version(), before.version());
}

TEST_F(StockPolicyTest, OnConsignCancelled_AfterConsigned_UnitComesBack) {
  Seed("car-1", 1);
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  const EventEnvelope cancelled = Cancelled("con-1", "car-1");
  ASSERT_TRUE(Deliver(cancelled).ok());

  std::optional<Stock> stock = Get("car-1");
  EXPECT_EQ(stock->quantity(), 1);
  EXPECT_EQ(stock->returned(), 1);
  EXPECT_EQ(stock->version(), 3);
  EXPECT_TRUE(Balanced(*stock));
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kReturned);
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[1].causation_id(), cancelled.event_id());
  EXPECT_EQ(outbox[1].aggregate_version(), 3);
  auto changed = Unpack<v1::StockChanged>(outbox[1]);
  EXPECT_EQ(changed.cause(), "consign-cancelled");
  EXPECT_EQ(changed.delta(), 1);
  EXPECT_EQ(changed.total(), 1);
  EXPECT_EQ(changed.consignment_id(), "con-1");
}

TEST_F(StockPolicyTest, OnConsignCancelled_TwiceWithNewEventIds_ReturnsOneUnit) {
  Seed("car-1", 1);
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  ASSERT_TRUE(Deliver(Cancelled("con-1", "car-1")).ok());
  ASSERT_TRUE(Deliver(Cancelled("con-1", "car-1")).ok());
  EXPECT_EQ(Get("car-1")->quantity(), 1);
  EXPECT_EQ(Get("car-1")->returned(), 1);
  EXPECT_EQ(Outbox().size(), 2u);
}

TEST_F(StockPolicyTest, OnConsignCancelled_BeforeConsigned_TombstoneAndLateConsignedTakesNothing) {
  Seed("car-1", 2);
  const EventEnvelope cancelled = Cancelled("con-1", "car-1");
  const EventEnvelope consigned = Consigned("con-1", "car-1");
  ASSERT_TRUE(Deliver(cancelled).ok());
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kCancelled);
  ASSERT_TRUE(Deliver(consigned).ok());

  EXPECT_EQ(Get("car-1")->quantity(), 2);
  EXPECT_EQ(Get("car-1")->version(), 1);
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kCancelled);
  EXPECT_TRUE(InInbox(cancelled));
  EXPECT_TRUE(InInbox(consigned));
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(StockPolicyTest, OnConsignCancelled_OfShortConsignment_NothingReturned) {
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  Seed("car-1", 1);
  ASSERT_TRUE(Deliver(Cancelled("con-1", "car-1")).ok());
  EXPECT_EQ(Get("car-1")->quantity(), 1);
  EXPECT_EQ(Get("car-1")->returned(), 0);
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kCancelled);
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].event_type(), "StockShortage");
}

TEST_F(StockPolicyTest, OnConsigned_NoCorrelationId_FallsBackToTheCar) {
  Seed("car-1", 1);
  EventEnvelope consigned = Consigned("con-1", "car-1");
  consigned.clear_correlation_id();
  ASSERT_TRUE(Deliver(consigned).ok());
  ASSERT_EQ(Outbox().size(), 1u);
  EXPECT_EQ(Outbox()[0].correlation_id(), "usedcar/stock/car-1");
}

TEST_F(StockPolicyTest, Deliver_PayloadOfAnotherType_InvalidArgumentNothingCommitted) {
  Seed("car-1", 1);
  purchase::v1::Purchased purchased;
  purchased.set_car_id("car-1");
  EventEnvelope wrong = FromConsign(purchased, "con-1");
  wrong.set_event_type("Consigned");
  absl::Status status = Deliver(wrong);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(InInbox(wrong));
  EXPECT_EQ(Get("car-1")->quantity(), 1);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(StockPolicyTest, Deliver_PayloadDoesNotParse_InvalidArgumentNothingCommitted) {
  Seed("car-1", 1);
  EventEnvelope garbled = Consigned("con-1", "car-1");
  garbled.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(Deliver(garbled).code(), absl::StatusCode::kInvalidArgument);
  EventEnvelope cancelled = Cancelled("con-1", "car-1");
  cancelled.mutable_payload()->set_value("\x0a\xff");
  EXPECT_EQ(Deliver(cancelled).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(InInbox(garbled));
  EXPECT_FALSE(InInbox(cancelled));
  EXPECT_EQ(Get("car-1")->quantity(), 1);
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kNone);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(StockPolicyTest, Deliver_MissingIds_InvalidArgumentNamingTheField) {
  Seed("car-1", 1);
  const EventEnvelope no_car = Consigned("con-1", "");
  absl::Status status = Deliver(no_car);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("car_id is required"));
  EXPECT_THAT(status.message(), HasSubstr(no_car.event_id()));
  status = Deliver(Cancelled("", "car-1"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("consignment_id is required"));
  EXPECT_FALSE(InInbox(no_car));
  EXPECT_EQ(Get("car-1")->quantity(), 1);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(StockPolicyTest, OnConsignCancelled_ConsignmentOfAnotherCar_InvalidArgumentNothingReturned) {
  Seed("car-1", 1);
  Seed("car-2", 1);
  ASSERT_TRUE(Deliver(Consigned("con-1", "car-1")).ok());
  const EventEnvelope wrong_car = Cancelled("con-1", "car-2");
  absl::Status status = Deliver(wrong_car);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("is of car car-1, not car-2"));
  EXPECT_FALSE(InInbox(wrong_car));
  EXPECT_EQ(Get("car-1")->quantity(), 0);
  EXPECT_EQ(Get("car-2")->quantity(), 1);
  EXPECT_EQ(Mark("con-1"), ConsignmentMark::kReserved);
}

TEST_F(StockPolicyTest, OnConsigned_EightConcurrentConsignmentsThreeUnits_NeverOversells) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string car = absl::StrCat("car-", round);
    Seed(car, 3);
    std::vector<absl::Status> results(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        const EventEnvelope event = Consigned(absl::StrCat(car, "-con-", i), car);
        start.arrive_and_wait();
        results[i] = Deliver(event);
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const absl::Status& result : results) ASSERT_TRUE(result.ok()) << result;
    std::optional<Stock> stock = Get(car);
    EXPECT_EQ(stock->quantity(), 0) << car;
    EXPECT_EQ(stock->consigned(), 3) << car;
    EXPECT_TRUE(Balanced(*stock)) << car;
  }
  std::map<std::string, int> changed;
  std::map<std::string, int> shortages;
  for (const EventEnvelope& event : Outbox()) {
    if (event.event_type() == "StockChanged") {
      EXPECT_EQ(Unpack<v1::StockChanged>(event).cause(), "consigned");
      ++changed[event.aggregate_id()];
    } else {
      EXPECT_EQ(event.event_type(), "StockShortage");
      ++shortages[event.aggregate_id()];
    }
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string car = absl::StrCat("car-", round);
    EXPECT_EQ(changed[car], 3) << car;
    EXPECT_EQ(shortages[car], 5) << car;
  }
}

// One step of a shuffled history: a stock-in, or the delivery of an event.
struct Step {
  std::string car_id;
  int64_t stock_in = 0;
  EventEnvelope event;
};

TEST_F(StockPolicyTest, Deliver_ShuffledHistoryWithDuplicates_StockBalancedAndMatchesMarks) {
  constexpr int kHistories = 6;
  constexpr int kConsignmentsPerCar = 25;
  std::vector<std::string> cars;
  std::map<std::string, int64_t> stocked_in;
  std::set<std::string> cancelled;
  std::map<std::string, std::string> car_of;
  for (uint32_t seed = 1; seed <= kHistories; ++seed) {
    std::mt19937 random(seed);
    std::vector<Step> steps;
    for (const char* name : {"a", "b", "c"}) {
      const std::string car = absl::StrCat("h", seed, "-car-", name);
      cars.push_back(car);
      for (int64_t units : {4, 3, 5}) {
        steps.push_back({car, units, {}});
        stocked_in[car] += units;
      }
      for (int i = 0; i < kConsignmentsPerCar; ++i) {
        const std::string id = absl::StrCat(car, "-con-", i);
        car_of[id] = car;
        const EventEnvelope consigned = Consigned(id, car);
        steps.push_back({car, 0, consigned});
        if (random() % 4 == 0) steps.push_back({car, 0, consigned});           // redelivery
        if (random() % 5 == 0) steps.push_back({car, 0, Consigned(id, car)});  // duplicate
        if (random() % 2 == 0) {
          cancelled.insert(id);
          const EventEnvelope cancel = Cancelled(id, car);
          steps.push_back({car, 0, cancel});
          if (random() % 3 == 0) steps.push_back({car, 0, cancel});
          if (random() % 4 == 0) steps.push_back({car, 0, Cancelled(id, car)});
        }
      }
    }
    std::shuffle(steps.begin(), steps.end(), random);

    for (const Step& step : steps) {
      if (step.stock_in > 0) {
        Seed(step.car_id, step.stock_in, /*with_event=*/true);
      } else {
        ASSERT_TRUE(Deliver(step.event).ok());
      }
      std::optional<Stock> stock = Get(step.car_id);
      if (stock.has_value()) {
        ASSERT_TRUE(Balanced(*stock)) << stock->DebugString();
      }
    }
  }

  std::map<std::string, int64_t> reserved;
  std::map<std::string, int64_t> returned;
  for (const auto& [id, car] : car_of) {
    const ConsignmentMark mark = Mark(id);
    if (cancelled.contains(id)) {
      EXPECT_TRUE(mark == ConsignmentMark::kReturned || mark == ConsignmentMark::kCancelled)
          << id << " " << MarkName(mark);
    } else {
      EXPECT_TRUE(mark == ConsignmentMark::kReserved || mark == ConsignmentMark::kShort)
          << id << " " << MarkName(mark);
    }
    if (mark == ConsignmentMark::kReserved) ++reserved[car];
    if (mark == ConsignmentMark::kReturned) ++returned[car];
  }

  // The fold of the emitted events is the stock, and no consignment took or
  // gave back a unit twice.
  std::map<std::string, int64_t> folded;
  std::map<std::string, int64_t> last_version;
  std::map<std::string, int> taken;
  std::map<std::string, int> given_back;
  std::map<std::string, int> short_of;
  for (const EventEnvelope& event : Outbox()) {
    const std::string& car = event.aggregate_id();
    if (event.event_type() == "StockShortage") {
      ++short_of[Unpack<v1::StockShortage>(event).consignment_id()];
      continue;
    }
    auto changed = Unpack<v1::StockChanged>(event);
    folded[car] += changed.delta();
    EXPECT_EQ(changed.total(), folded[car]) << car;
    EXPECT_GT(event.aggregate_version(), last_version[car]);
    last_version[car] = event.aggregate_version();
    if (changed.cause() == "consigned") ++taken[changed.consignment_id()];
    if (changed.cause() == "consign-cancelled") ++given_back[changed.consignment_id()];
  }
  for (const auto& [id, count] : taken) EXPECT_EQ(count, 1) << id;
  for (const auto& [id, count] : given_back) {
    EXPECT_EQ(count, 1) << id;
    EXPECT_EQ(taken[id], 1) << id;
  }
  for (const auto& [id, count] : short_of) {
    EXPECT_EQ(count, 1) << id;
    EXPECT_FALSE(taken.contains(id)) << id;
  }

  for (const std::string& car : cars) {
    std::optional<Stock> stock = Get(car);
    ASSERT_TRUE(stock.has_value()) << car;
    EXPECT_TRUE(Balanced(*stock)) << stock->DebugString();
    EXPECT_GE(stock->quantity(), 0);
    EXPECT_EQ(stock->stocked_in(), stocked_in[car]);
    EXPECT_EQ(stock->consigned(), reserved[car] + returned[car]) << car;
    EXPECT_EQ(stock->returned(), returned[car]) << car;
    EXPECT_EQ(stock->quantity(), stocked_in[car] - reserved[car]) << car;
    EXPECT_EQ(folded[car], stock->quantity()) << car;
    EXPECT_EQ(last_version[car], stock->version()) << car;
  }
  // The history is rich enough to exercise every path.
  EXPECT_FALSE(short_of.empty());
  EXPECT_FALSE(given_back.empty());
}

}  // namespace
}  // namespace usedcar::stock
