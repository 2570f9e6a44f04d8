#include "services/usedcar/dashboard/dashboard_service.h"

#include <atomic>
#include <memory>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/in_process_server.h"
#include "libs/testing/paths.h"
#include "services/usedcar/dashboard/dashboard_policy.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "services/usedcar/dashboard/test_events.h"

namespace usedcar::dashboard {
namespace {

using common::v1::EventEnvelope;
using test::Story;

class DashboardServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {dir_.path() + "/dashboard", /*sync=*/false, DashboardRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<DashboardRepository>(store_.get());
    policy_ = std::make_unique<DashboardPolicy>(repository_.get(), clock_);
    service_ = std::make_unique<DashboardService>(repository_.get(), [this] { return Rewind(); });
    absl::Status started = server_.Start({service_.get()});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::DashboardService::NewStub(server_.NewChannel());
  }

  void TearDown() override {
    service_->Shutdown();
    server_.Shutdown();
  }

  absl::Status Rewind() {
    ++rewinds_;
    // The views must already be gone when the replay starts.
    absl::StatusOr<std::optional<v1::PurchaseView>> view = repository_->Get("pur_1");
    views_left_at_rewind_ = view.ok() && view->has_value();
    return rewind_result_;
  }

  absl::Status Deliver(const EventEnvelope& event) {
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    return policy_->Handle(event, work);
  }

  static void Deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status Get(const std::string& id, v1::GetPurchaseViewResponse* response) {
    grpc::ClientContext context;
    Deadline(context);
    v1::GetPurchaseViewRequest request;
    request.set_purchase_id(id);
    return stub_->GetPurchaseView(&context, request, response);
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_{test::kStart + absl::Minutes(1)};
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<DashboardRepository> repository_;
  std::unique_ptr<DashboardPolicy> policy_;
  std::unique_ptr<DashboardService> service_;
  mesh::testing::InProcessServer server_;
  std::unique_ptr<v1::DashboardService::Stub> stub_;
  std::atomic<int> rewinds_{0};
  std::atomic<bool> views_left_at_rewind_{false};
  absl::Status rewind_result_;
};

TEST_F(DashboardServiceTest, GetPurchaseView_EmptyId_IsInvalidArgument) {
  v1::GetPurchaseViewResponse response;
  grpc::Status status = Get("", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("purchase_id"), std::string::npos);
}

TEST_F(DashboardServiceTest, GetPurchaseView_UnknownId_IsNotFound) {
  v1::GetPurchaseViewResponse response;
  EXPECT_EQ(Get("pur_nope", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DashboardServiceTest, GetPurchaseView_AfterEvents_ReturnsTheFold) {
  Story story;
  for (const EventEnvelope& event : test::PaidStory(story)) ASSERT_TRUE(Deliver(event).ok());
  v1::GetPurchaseViewResponse response;
  ASSERT_TRUE(Get("pur_1", &response).ok());
  EXPECT_EQ(response.view().consign_status(), v1::VIEW_CONSIGN_STATUS_DELIVERED);
  EXPECT_EQ(response.view().stock_total_after(), 4);
  EXPECT_EQ(response.view().version(), 5);
}

TEST_F(DashboardServiceTest, ListPurchaseViews_NoCustomer_IsInvalidArgumentNamingIt) {
  grpc::ClientContext context;
  Deadline(context);
  v1::ListPurchaseViewsResponse response;
  grpc::Status status = stub_->ListPurchaseViews(&context, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("customer_id"), std::string::npos);
}

TEST_F(DashboardServiceTest, ListPurchaseViews_NegativePageSize_IsInvalidArgument) {
  grpc::ClientContext context;
  Deadline(context);
  v1::ListPurchaseViewsRequest request;
  request.set_customer_id("buyer-1");
  request.mutable_page()->set_page_size(-1);
  v1::ListPurchaseViewsResponse response;
  grpc::Status status = stub_->ListPurchaseViews(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page.page_size"), std::string::npos);
}

TEST_F(DashboardServiceTest, ListPurchaseViews_PagesThroughTheCustomersViews) {
  for (const char* id : {"pur_a", "pur_b", "pur_c"}) {
    Story story(id);
    ASSERT_TRUE(Deliver(story.Purchased()).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext context;
    Deadline(context);
    v1::ListPurchaseViewsRequest request;
    request.set_customer_id("buyer-1");
    request.mutable_page()->set_page_size(2);
    request.mutable_page()->set_page_token(token);
    v1::ListPurchaseViewsResponse response;
    ASSERT_TRUE(stub_->ListPurchaseViews(&context, request, &response).ok());
    for (const v1::PurchaseView& view : response.views()) seen.push_back(view.purchase_id());
    token = response.page().next_page_token();
    ++pages;
  } while (!token.empty() && pages < 5);
  EXPECT_EQ(seen, (std::vector<std::string>{"pur_a", "pur_b", "pur_c"}));
  EXPECT_EQ(pages, 2);
}

TEST_F(DashboardServiceTest, WatchPurchaseView_EventAppliedAfterWatching_IsPushed) {
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchPurchaseViewRequest request;
  request.set_purchase_id("pur_1");
  std::unique_ptr<grpc::ClientReader<v1::WatchPurchaseViewResponse>> reader =
      stub_->WatchPurchaseView(&context, request);
  // The headers arrive once the watch is registered.
  reader->WaitForInitialMetadata();
  Story story;
  ASSERT_TRUE(Deliver(story.Purchased()).ok());
  v1::WatchPurchaseViewResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.view().purchase_status(), v1::VIEW_PURCHASE_STATUS_PAID);
  EXPECT_EQ(response.view().version(), 1);
  ASSERT_TRUE(Deliver(story.PayApproved()).ok());
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.view().payment_status(), v1::VIEW_PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(response.view().version(), 2);
  context.TryCancel();
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(DashboardServiceTest, WatchPurchaseView_BurstOfChanges_SendsRisingVersionsEndingWithTheLast) {
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchPurchaseViewRequest request;
  request.set_purchase_id("pur_1");
  auto reader = stub_->WatchPurchaseView(&context, request);
  reader->WaitForInitialMetadata();
  constexpr int kChanges = 200;
  Story story;
  std::thread producer([&] {
    for (int i = 0; i < kChanges; ++i) {
      ASSERT_TRUE(Deliver(story.StockChanged(-1, kChanges - i)).ok());
    }
  });
  v1::WatchPurchaseViewResponse response;
  int64_t last = 0;
  int reads = 0;
  while (last < kChanges && reader->Read(&response)) {
    ++reads;
    EXPECT_GT(response.view().version(), last);
    last = response.view().version();
  }
  producer.join();
  EXPECT_EQ(last, kChanges);
  EXPECT_LE(reads, kChanges);
  context.TryCancel();
  reader->Finish();
}

TEST_F(DashboardServiceTest, WatchPurchaseView_KnownPurchase_SendsTheCurrentViewFirst) {
  Story story;
  ASSERT_TRUE(Deliver(story.Purchased()).ok());
  ASSERT_TRUE(Deliver(story.Consigned()).ok());
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchPurchaseViewRequest request;
  request.set_purchase_id("pur_1");
  auto reader = stub_->WatchPurchaseView(&context, request);
  v1::WatchPurchaseViewResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.view().version(), 2);
  EXPECT_EQ(response.view().consign_status(), v1::VIEW_CONSIGN_STATUS_CONSIGNED);
  context.TryCancel();
  reader->Finish();
}

TEST_F(DashboardServiceTest, WatchPurchaseView_EmptyId_IsInvalidArgument) {
  grpc::ClientContext context;
  Deadline(context);
  auto reader = stub_->WatchPurchaseView(&context, v1::WatchPurchaseViewRequest());
  v1::WatchPurchaseViewResponse response;
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("purchase_id"), std::string::npos);
}

TEST_F(DashboardServiceTest, WatchPurchaseView_ServiceShutdown_EndsTheStreamWithOk) {
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchPurchaseViewRequest request;
  request.set_purchase_id("pur_1");
  auto reader = stub_->WatchPurchaseView(&context, request);
  reader->WaitForInitialMetadata();
  service_->Shutdown();
  v1::WatchPurchaseViewResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(repository_->watcher_count(), 0u);

  grpc::ClientContext late;
  Deadline(late);
  auto refused = stub_->WatchPurchaseView(&late, request);
  EXPECT_FALSE(refused->Read(&response));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(DashboardServiceTest, WatchPurchaseView_ClientCancels_WatcherIsRemoved) {
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchPurchaseViewRequest request;
  request.set_purchase_id("pur_1");
  auto reader = stub_->WatchPurchaseView(&context, request);
  reader->WaitForInitialMetadata();
  EXPECT_EQ(repository_->watcher_count(), 1u);
  context.TryCancel();
  reader->Finish();
  // OnDone runs on a gRPC thread after the cancellation reaches the server.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (repository_->watcher_count() != 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(repository_->watcher_count(), 0u);
}

TEST_F(DashboardServiceTest, RebuildViews_ClearsViewsAndInboxThenRewinds) {
  Story story;
  const EventEnvelope purchased = story.Purchased();
  ASSERT_TRUE(Deliver(purchased).ok());
  grpc::ClientContext context;
  Deadline(context);
  v1::RebuildViewsResponse response;
  grpc::Status status = stub_->RebuildViews(&context, {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rewinds_.load(), 1);
  EXPECT_FALSE(views_left_at_rewind_.load());
  v1::GetPurchaseViewResponse view;
  EXPECT_EQ(Get("pur_1", &view).error_code(), grpc::StatusCode::NOT_FOUND);
  absl::StatusOr<bool> seen = store_->InboxContains(purchased.event_id());
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(*seen);
}

TEST_F(DashboardServiceTest, RebuildViews_RewindFails_ReturnsItsError) {
  rewind_result_ = absl::UnavailableError("broker is down");
  grpc::ClientContext context;
  Deadline(context);
  v1::RebuildViewsResponse response;
  grpc::Status status = stub_->RebuildViews(&context, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("broker is down"), std::string::npos);
}

}  // namespace
}  // namespace usedcar::dashboard
