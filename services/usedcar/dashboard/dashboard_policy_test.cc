#include "services/usedcar/dashboard/dashboard_policy.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "libs/metrics/registry.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/paths.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "services/usedcar/dashboard/test_events.h"

namespace usedcar::dashboard {
namespace {

using common::v1::EventEnvelope;
using test::Story;

// Records what a watch stream would have sent.
class RecordingWatcher : public ViewWatcher {
 public:
  void Offer(const v1::PurchaseView& view) override { views.push_back(view); }
  void Close() override { closed = true; }
  std::vector<v1::PurchaseView> views;
  bool closed = false;
};

class DashboardPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {dir_.path() + "/dashboard", /*sync=*/false, DashboardRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<DashboardRepository>(store_.get());
    policy_ = std::make_unique<DashboardPolicy>(repository_.get(), clock_, &registry_);
  }

  // Delivers as the consumer does: a unit of work that carries the inbox mark.
  absl::Status Deliver(const EventEnvelope& event) {
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    return policy_->Handle(event, work);
  }

  std::optional<v1::PurchaseView> View(const std::string& purchase_id) {
    absl::StatusOr<std::optional<v1::PurchaseView>> view = repository_->Get(purchase_id);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : std::nullopt;
  }

  bool InInbox(const EventEnvelope& event) {
    absl::StatusOr<bool> seen = store_->InboxContains(event.event_id());
    EXPECT_TRUE(seen.ok()) << seen.status();
    return seen.ok() && *seen;
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_{test::kStart + absl::Minutes(1)};
  mesh::metrics::Registry registry_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<DashboardRepository> repository_;
  std::unique_ptr<DashboardPolicy> policy_;
};

TEST_F(DashboardPolicyTest, Handle_Purchased_CommitsViewIndexAndInboxMarkTogether) {
  Story story;
  const EventEnvelope purchased = story.Purchased();
  ASSERT_TRUE(Deliver(purchased).ok());
  std::optional<v1::PurchaseView> view = View("pur_1");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->purchase_status(), v1::VIEW_PURCHASE_STATUS_PAID);
  EXPECT_EQ(view->customer_id(), "buyer-1");
  EXPECT_EQ(view->version(), 1);
  EXPECT_EQ(view->update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(InInbox(purchased));
  absl::StatusOr<DashboardRepository::Page> page = repository_->List("buyer-1", 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->views.size(), 1u);
  EXPECT_EQ(page->views[0].purchase_id(), "pur_1");
}

TEST_F(DashboardPolicyTest, Handle_StoryDeliveredBackwards_EndsAsInStoryOrder) {
  Story forward("pur_fwd");
  Story backward("pur_back");
  std::vector<EventEnvelope> in_order = test::CancelStory(forward);
  std::vector<EventEnvelope> reversed = test::CancelStory(backward);
  std::reverse(reversed.begin(), reversed.end());
  for (const EventEnvelope& event : in_order) ASSERT_TRUE(Deliver(event).ok());
  for (const EventEnvelope& event : reversed) ASSERT_TRUE(Deliver(event).ok());
  std::optional<v1::PurchaseView> a = View("pur_fwd");
  std::optional<v1::PurchaseView> b = View("pur_back");
  ASSERT_TRUE(a.has_value() && b.has_value());
  for (const v1::PurchaseView* view : {&*a, &*b}) {
    EXPECT_EQ(view->purchase_status(), v1::VIEW_PURCHASE_STATUS_CANCELLED);
    EXPECT_EQ(view->payment_status(), v1::VIEW_PAYMENT_STATUS_REFUNDED);
    EXPECT_EQ(view->consign_status(), v1::VIEW_CONSIGN_STATUS_CANCELLED);
    EXPECT_EQ(view->stock_status(), v1::VIEW_STOCK_STATUS_RETURNED);
    EXPECT_EQ(view->stock_total_after(), 5);
    EXPECT_EQ(view->cancel_reason(), "changed my mind");
    EXPECT_EQ(view->version(), 8);
  }
  // Consigned arrived before Purchased, yet the buyer's listing finds it.
  absl::StatusOr<DashboardRepository::Page> page = repository_->List("buyer-1", 10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->views.size(), 2u);
}

TEST_F(DashboardPolicyTest, Handle_BillingEventOfAnotherMerchant_IsOkAndWritesNothing) {
  Story story;
  const EventEnvelope other = story.PayApproved("ticket");
  EXPECT_TRUE(Deliver(other).ok());
  EXPECT_FALSE(View("pur_1").has_value());
  EXPECT_FALSE(InInbox(other));
}

TEST_F(DashboardPolicyTest, Handle_UsedcarBillingEvent_UpdatesThePurchaseOfItsReference) {
  Story story("pur_9");
  ASSERT_TRUE(Deliver(story.PayApproved()).ok());
  std::optional<v1::PurchaseView> view = View("pur_9");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->payment_status(), v1::VIEW_PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(view->payment_id(), "pay_pur_9");
}

TEST_F(DashboardPolicyTest, Handle_BadPayload_IsInvalidArgumentAndWritesNothing) {
  Story story;
  EventEnvelope bad = story.Consigned();
  bad.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(Deliver(bad).code(), absl::StatusCode::kInvalidArgument);
  EventEnvelope wrong_type = story.Consigned();
  wrong_type.set_event_type("StockShortage");
  wrong_type.set_producer("usedcar.stock");
  EXPECT_EQ(Deliver(wrong_type).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(View("pur_1").has_value());
  EXPECT_FALSE(InInbox(bad));
  EXPECT_FALSE(InInbox(wrong_type));
}

TEST_F(DashboardPolicyTest, Handle_AppliedEvent_IsOfferedToThePurchasesWatchers) {
  Story story;
  auto watcher = std::make_shared<RecordingWatcher>();
  auto other = std::make_shared<RecordingWatcher>();
  ASSERT_TRUE(*repository_->Watch("pur_1", watcher));
  ASSERT_TRUE(*repository_->Watch("pur_2", other));
  ASSERT_TRUE(Deliver(story.Purchased()).ok());
  ASSERT_TRUE(Deliver(story.Consigned()).ok());
  ASSERT_EQ(watcher->views.size(), 2u);
  EXPECT_EQ(watcher->views[0].version(), 1);
  EXPECT_EQ(watcher->views[1].consign_status(), v1::VIEW_CONSIGN_STATUS_CONSIGNED);
  EXPECT_TRUE(other->views.empty());
}

TEST_F(DashboardPolicyTest, Watch_KnownPurchase_OffersItsCurrentViewAtOnce) {
  Story story;
  ASSERT_TRUE(Deliver(story.Purchased()).ok());
  auto watcher = std::make_shared<RecordingWatcher>();
  ASSERT_TRUE(*repository_->Watch("pur_1", watcher));
  ASSERT_EQ(watcher->views.size(), 1u);
  EXPECT_EQ(watcher->views[0].purchase_status(), v1::VIEW_PURCHASE_STATUS_PAID);
}

TEST_F(DashboardPolicyTest, Watch_AfterCloseWatchers_IsRefusedAndOpenOnesAreClosed) {
  auto open = std::make_shared<RecordingWatcher>();
  ASSERT_TRUE(*repository_->Watch("pur_1", open));
  repository_->CloseWatchers();
  EXPECT_TRUE(open->closed);
  EXPECT_EQ(repository_->watcher_count(), 0u);
  EXPECT_FALSE(*repository_->Watch("pur_1", std::make_shared<RecordingWatcher>()));
}

TEST_F(DashboardPolicyTest, Handle_Applied_ObservesPropagationDelay) {
  Story story;
  ASSERT_TRUE(Deliver(story.Purchased()).ok());
  const std::string text = registry_.RenderText();
  EXPECT_NE(text.find("dashboard_event_propagation_seconds_count 1"), std::string::npos) << text;
}

TEST_F(DashboardPolicyTest, Clear_RemovesViewsIndexAndInbox) {
  Story story;
  const EventEnvelope purchased = story.Purchased();
  ASSERT_TRUE(Deliver(purchased).ok());
  ASSERT_TRUE(repository_->Clear().ok());
  EXPECT_FALSE(View("pur_1").has_value());
  EXPECT_FALSE(InInbox(purchased));
  absl::StatusOr<DashboardRepository::Page> page = repository_->List("buyer-1", 10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->views.empty());
  // The replay applies the event again, from scratch.
  ASSERT_TRUE(Deliver(purchased).ok());
  EXPECT_EQ(View("pur_1")->version(), 1);
}

TEST_F(DashboardPolicyTest, List_PagesThroughOneCustomerOnly) {
  for (const char* id : {"pur_a", "pur_b", "pur_c"}) {
    Story story(id, "buyer-1");
    ASSERT_TRUE(Deliver(story.Purchased()).ok());
  }
  Story nested("pur_x", "buyer-1/evil");
  ASSERT_TRUE(Deliver(nested.Purchased()).ok());
  Story other("pur_y", "buyer-10");
  ASSERT_TRUE(Deliver(other.Purchased()).ok());
  absl::StatusOr<DashboardRepository::Page> first = repository_->List("buyer-1", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->views.size(), 2u);
  EXPECT_EQ(first->views[0].purchase_id(), "pur_a");
  EXPECT_EQ(first->views[1].purchase_id(), "pur_b");
  ASSERT_FALSE(first->next_page_token.empty());
  absl::StatusOr<DashboardRepository::Page> second =
      repository_->List("buyer-1", 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->views.size(), 1u);
  EXPECT_EQ(second->views[0].purchase_id(), "pur_c");
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_EQ(repository_->List("buyer-10", 2, first->next_page_token).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace usedcar::dashboard
