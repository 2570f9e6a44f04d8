#include "services/usedcar/stock/stock_service.h"

#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/in_process_server.h"
#include "libs/testing/paths.h"

namespace usedcar::stock {
namespace {

using ::testing::ElementsAre;

constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

v1::StockInRequest Request(const std::string& car_id, int64_t quantity, const std::string& key) {
  v1::StockInRequest request;
  request.set_car_id(car_id);
  request.set_quantity(quantity);
  request.set_idempotency_key(key);
  return request;
}

class StockServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store =
        mesh::storage::Store::Open({.path = dir_.path() + "/stock",
                                    .sync = false,
                                    .extra_column_families = StockRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<StockRepository>(store_.get());
    service_ = std::make_unique<StockService>(repository_.get(), clock_);
    absl::Status started = server_.Start({service_.get()});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::StockService::NewStub(server_.NewChannel());
  }

  void TearDown() override { server_.Shutdown(); }

  absl::StatusOr<Stock> StockIn(const v1::StockInRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("traceparent", kTraceparent);
    v1::StockInResponse response;
    grpc::Status status = stub_->StockIn(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response.stock();
  }

  absl::StatusOr<Stock> GetStock(const std::string& car_id) {
    grpc::ClientContext context;
    v1::GetStockRequest request;
    request.set_car_id(car_id);
    v1::GetStockResponse response;
    grpc::Status status = stub_->GetStock(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response.stock();
  }

  absl::StatusOr<v1::ListStockResponse> ListStock(int page_size, const std::string& token) {
    grpc::ClientContext context;
    v1::ListStockRequest request;
    request.mutable_page()->set_page_size(page_size);
    request.mutable_page()->set_page_token(token);
    v1::ListStockResponse response;
    grpc::Status status = stub_->ListStock(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response;
  }

  std::vector<common::v1::EventEnvelope> Outbox() {
    std::vector<common::v1::EventEnvelope> events;
    absl::Status scanned = store_->ScanOutbox(0, [&](uint64_t, std::string_view row) {
      events.emplace_back().ParseFromArray(row.data(), static_cast<int>(row.size()));
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
    return events;
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<StockRepository> repository_;
  std::unique_ptr<StockService> service_;
  mesh::testing::InProcessServer server_;
  std::unique_ptr<v1::StockService::Stub> stub_;
};

TEST_F(StockServiceTest, StockIn_NewCar_ReturnsStockAndQueuesStockChanged) {
  absl::StatusOr<Stock> stock = StockIn(Request("car-1", 3, "in-1"));
  ASSERT_TRUE(stock.ok()) << stock.status();
  EXPECT_EQ(stock->car_id(), "car-1");
  EXPECT_EQ(stock->quantity(), 3);
  EXPECT_EQ(stock->stocked_in(), 3);
  EXPECT_EQ(stock->version(), 1);
  EXPECT_EQ(stock->update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));

  std::vector<common::v1::EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  const common::v1::EventEnvelope& event = outbox[0];
  EXPECT_EQ(event.event_type(), "StockChanged");
  EXPECT_EQ(event.producer(), "usedcar.stock");
  EXPECT_EQ(event.aggregate_type(), "Stock");
  EXPECT_EQ(event.aggregate_id(), "car-1");
  EXPECT_EQ(event.aggregate_version(), 1);
  EXPECT_EQ(event.correlation_id(), "usedcar/stock/car-1");
  EXPECT_EQ(event.causation_id(), "in-1");
  EXPECT_EQ(event.traceparent(), kTraceparent);
  v1::StockChanged changed;
  ASSERT_TRUE(mesh::messaging::UnpackPayload(event, &changed).ok());
  EXPECT_EQ(changed.cause(), "stock-in");
  EXPECT_EQ(changed.delta(), 3);
  EXPECT_EQ(changed.total(), 3);
}

TEST_F(StockServiceTest, StockIn_SameKeyAgain_FirstResultAndAddedOnce) {
  absl::StatusOr<Stock> first = StockIn(Request("car-1", 3, "in-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(StockIn(Request("car-1", 2, "in-2")).ok());
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<Stock> again = StockIn(Request("car-1", 3, "in-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(GetStock("car-1")->quantity(), 5);
  EXPECT_EQ(Outbox().size(), 2u);
}

TEST_F(StockServiceTest, StockIn_SameKeyDifferentRequest_AlreadyExistsNothingWritten) {
  ASSERT_TRUE(StockIn(Request("car-1", 3, "in-1")).ok());
  for (const v1::StockInRequest& reused :
       {Request("car-1", 4, "in-1"), Request("car-2", 3, "in-1")}) {
    absl::StatusOr<Stock> result = StockIn(reused);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(result.status().message(), "idempotency_key in-1 was used for a different request");
  }
  EXPECT_EQ(GetStock("car-1")->quantity(), 3);
  EXPECT_EQ(GetStock("car-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(StockServiceTest, StockIn_BadField_InvalidArgumentNamingItNothingWritten) {
  const struct {
    v1::StockInRequest request;
    std::string message;
  } cases[] = {
      {Request("", 1, "k"), "car_id is required"},
      {Request("car-1", 0, "k"), "quantity must be between 1 and 1000000"},
      {Request("car-1", -1, "k"), "quantity must be between 1 and 1000000"},
      {Request("car-1", 1, ""), "idempotency_key is required"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Stock> result = StockIn(c.request);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(result.status().message(), c.message);
  }
  EXPECT_EQ(GetStock("car-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(StockServiceTest, StockIn_ConcurrentSameKey_AddedOnce) {
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<Stock>> results(kThreads, absl::UnknownError("not run"));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = StockIn(Request("car-1", 3, "in-1"));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->quantity(), 3);
    EXPECT_EQ(result->version(), 1);
  }
  EXPECT_EQ(GetStock("car-1")->quantity(), 3);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(StockServiceTest, StockIn_ConcurrentDistinctKeys_EveryUnitCounted) {
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<Stock>> results(kThreads, absl::UnknownError("not run"));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = StockIn(Request("car-1", 2, absl::StrCat("in-", i)));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<int64_t> versions;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    versions.insert(result->version());
  }
  EXPECT_EQ(versions.size(), static_cast<size_t>(kThreads));
  absl::StatusOr<Stock> stock = GetStock("car-1");
  EXPECT_EQ(stock->quantity(), 2 * kThreads);
  EXPECT_EQ(stock->version(), kThreads);
  EXPECT_TRUE(Balanced(*stock));
}

TEST_F(StockServiceTest, GetStock_NeverStocked_NotFound) {
  absl::StatusOr<Stock> missing = GetStock("car-9");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no stock of car car-9");
  EXPECT_EQ(GetStock("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetStock("").status().message(), "car_id is required");
}

TEST_F(StockServiceTest, ListStock_SmallPages_EveryCarOnceInOrder) {
  for (const char* car : {"car-c", "car-a", "car-e", "car-b", "car-d"}) {
    ASSERT_TRUE(StockIn(Request(car, 1, absl::StrCat("in-", car))).ok());
  }
  std::vector<std::string> listed;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<v1::ListStockResponse> page = ListStock(2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->stocks_size(), 2);
    for (const Stock& stock : page->stocks()) listed.push_back(stock.car_id());
    token = page->page().next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(listed, ElementsAre("car-a", "car-b", "car-c", "car-d", "car-e"));
}

TEST_F(StockServiceTest, ListStock_BadPage_InvalidArgument) {
  absl::StatusOr<v1::ListStockResponse> bad_token = ListStock(10, "bm90LW91cnM");
  EXPECT_EQ(bad_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_token.status().message(), "page.page_token is not a token this service issued");
  absl::StatusOr<v1::ListStockResponse> negative = ListStock(-1, "");
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(negative.status().message(), "page.page_size must not be negative");
}

}  // namespace
}  // namespace usedcar::stock
