// The whole used-car system with a real nats-server and real processes:
// purchase → billing → consign → stock → dashboard → notification, its
// compensations, and its faults (DESIGN §3.2–3.4, issue "event backbone").
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"
#include "notification/v1/notification.grpc.pb.h"
#include "tests/e2e/usedcar_fixture.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::e2e {
namespace {

namespace consign = usedcar::consign::v1;
namespace dashboard = usedcar::dashboard::v1;
namespace stock = usedcar::stock::v1;
using usedcar::purchase::v1::Purchase;

constexpr int64_t kPrice = 25'000'000;

template <typename Service>
std::unique_ptr<typename Service::Stub> StubAt(const std::string& address) {
  return Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  context->set_wait_for_ready(true);
  return context;
}

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

class UsedcarFlowTest : public UsedcarFixture {
 protected:
  void StartAll(const std::vector<std::string>& consign_flags = {}) {
    StartBilling();
    StartPurchase();
    Start("consign", consign_flags);
    Start("stock");
    Start("dashboard");
    Start("notification");
  }

  void StockIn(const std::string& car, int64_t quantity) {
    stock::StockInRequest request;
    request.set_car_id(car);
    request.set_quantity(quantity);
    request.set_idempotency_key(absl::StrCat("stock-in-", car, "-", quantity));
    stock::StockInResponse response;
    grpc::Status status = StubAt<stock::StockService>(address("stock"))
                              ->StockIn(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  stock::Stock GetStock(const std::string& car) {
    stock::GetStockRequest request;
    request.set_car_id(car);
    stock::GetStockResponse response;
    grpc::Status status = StubAt<stock::StockService>(address("stock"))
                              ->GetStock(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.stock();
  }

  std::optional<dashboard::PurchaseView> View(const std::string& purchase_id) {
    dashboard::GetPurchaseViewRequest request;
    request.set_purchase_id(purchase_id);
    dashboard::GetPurchaseViewResponse response;
    grpc::Status status = StubAt<dashboard::DashboardService>(address("dashboard"))
                              ->GetPurchaseView(Context().get(), request, &response);
    if (!status.ok()) return std::nullopt;
    return response.view();
  }

  // Waits until the purchase's view satisfies pred; fails with the last view.
  dashboard::PurchaseView WaitForView(const std::string& purchase_id,
                                      const std::function<bool(const dashboard::PurchaseView&)>& pred) {
    std::optional<dashboard::PurchaseView> view;
    const bool reached = WaitUntil([&] {
      view = View(purchase_id);
      return view.has_value() && pred(*view);
    });
    EXPECT_TRUE(reached) << "view of " << purchase_id << " never got there: "
                         << (view ? view->ShortDebugString() : "no view");
    return view.value_or(dashboard::PurchaseView());
  }

  static bool Consigned(const dashboard::PurchaseView& v) {
    return v.purchase_status() == dashboard::VIEW_PURCHASE_STATUS_PAID &&
           v.payment_status() == dashboard::VIEW_PAYMENT_STATUS_CAPTURED &&
           v.consign_status() == dashboard::VIEW_CONSIGN_STATUS_CONSIGNED &&
           v.stock_status() == dashboard::VIEW_STOCK_STATUS_DECREASED;
  }

  static bool Cancelled(const dashboard::PurchaseView& v) {
    return v.purchase_status() == dashboard::VIEW_PURCHASE_STATUS_CANCELLED &&
           v.payment_status() == dashboard::VIEW_PAYMENT_STATUS_REFUNDED &&
           v.consign_status() == dashboard::VIEW_CONSIGN_STATUS_CANCELLED;
  }

  std::vector<consign::Consignment> Consignments(const std::string& replica) {
    std::vector<consign::Consignment> all;
    std::string token;
    do {
      consign::ListConsignmentsRequest request;
      request.mutable_page()->set_page_size(200);
      request.mutable_page()->set_page_token(token);
      consign::ListConsignmentsResponse response;
      grpc::Status status = StubAt<consign::ConsignService>(address(replica))
                                ->ListConsignments(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      all.insert(all.end(), response.consignments().begin(), response.consignments().end());
      token = response.page().next_page_token();
    } while (!token.empty());
    return all;
  }

  std::vector<notification::v1::Notification> Notifications(const std::string& recipient) {
    notification::v1::ListNotificationsRequest request;
    request.set_recipient(recipient);
    request.mutable_page()->set_page_size(200);
    notification::v1::ListNotificationsResponse response;
    grpc::Status status = StubAt<notification::v1::NotificationService>(address("notification"))
                              ->ListNotifications(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.notifications().begin(), response.notifications().end()};
  }

  std::set<std::string> NotifiedEventTypes(const std::string& recipient) {
    std::set<std::string> types;
    for (const auto& n : Notifications(recipient)) types.insert(n.event_type());
    return types;
  }

  Purchase Buy(const std::string& request_id, const std::string& customer, const std::string& car) {
    CallResult result = RequestPurchase(request_id, customer, car, kPrice);
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return result.purchase;
  }

  // The invariants of the whole system, over what every service holds:
  //  - no charge without a sale, no sale without exactly one charge;
  //  - for every car: quantity = stocked in − consigned + returned, never negative;
  //  - every purchase's view equals what purchase, billing and consign hold.
  void ExpectInvariants(const std::vector<std::string>& cars,
                        const std::vector<std::string>& consign_replicas = {"consign"}) {
    ExpectNoChargeWithoutSale();
    int decreased = 0, returned = 0;
    std::map<std::string, consign::Consignment> by_purchase;
    for (const std::string& replica : consign_replicas) {
      for (consign::Consignment& c : Consignments(replica)) {
        EXPECT_EQ(by_purchase.count(c.purchase_id()), 0u)
            << "two consignments for purchase " << c.purchase_id();
        by_purchase[c.purchase_id()] = std::move(c);
      }
    }
    std::map<std::string, billing::v1::Payment> payments;
    for (billing::v1::Payment& p : AllPayments()) {
      if (p.status() != billing::v1::PAYMENT_STATUS_VOIDED) payments[p.reference()] = std::move(p);
    }
    for (const Purchase& purchase : AllPurchases()) {
      std::optional<dashboard::PurchaseView> view = View(purchase.purchase_id());
      ASSERT_TRUE(view.has_value()) << "no view for " << purchase.purchase_id();
      const bool paid = purchase.status() == usedcar::purchase::v1::PURCHASE_STATUS_PAID;
      EXPECT_EQ(view->purchase_status(), paid ? dashboard::VIEW_PURCHASE_STATUS_PAID
                                              : dashboard::VIEW_PURCHASE_STATUS_CANCELLED)
          << view->ShortDebugString();
      const billing::v1::Payment& payment = payments["usedcar/purchase/" + purchase.purchase_id()];
      EXPECT_EQ(view->payment_status(),
                payment.status() == billing::v1::PAYMENT_STATUS_CAPTURED
                    ? dashboard::VIEW_PAYMENT_STATUS_CAPTURED
                    : dashboard::VIEW_PAYMENT_STATUS_REFUNDED)
          << view->ShortDebugString();
      auto c = by_purchase.find(purchase.purchase_id());
      ASSERT_NE(c, by_purchase.end()) << "no consignment for " << purchase.purchase_id();
      EXPECT_EQ(view->consign_status(),
                c->second.status() == consign::CONSIGNMENT_STATUS_CANCELLED
                    ? dashboard::VIEW_CONSIGN_STATUS_CANCELLED
                    : dashboard::VIEW_CONSIGN_STATUS_CONSIGNED)
          << view->ShortDebugString();
      decreased += view->stock_status() == dashboard::VIEW_STOCK_STATUS_DECREASED ||
                   view->stock_status() == dashboard::VIEW_STOCK_STATUS_RETURNED;
      returned += view->stock_status() == dashboard::VIEW_STOCK_STATUS_RETURNED;
    }
    int64_t consigned_total = 0, returned_total = 0;
    for (const std::string& car : cars) {
      stock::Stock s = GetStock(car);
      EXPECT_GE(s.quantity(), 0) << s.ShortDebugString();
      EXPECT_EQ(s.quantity(), s.stocked_in() - s.consigned() + s.returned()) << s.ShortDebugString();
      consigned_total += s.consigned();
      returned_total += s.returned();
    }
    EXPECT_EQ(consigned_total, decreased);
    EXPECT_EQ(returned_total, returned);
  }
};

TEST_F(UsedcarFlowTest, Purchase_PaidConsignedStockDecreased_ViewAndNotificationsShowEveryStep) {
  StartAll();
  StockIn("car-1", 2);
  Purchase purchase = Buy("req-1", "buyer-1", "car-1");
  dashboard::PurchaseView view = WaitForView(purchase.purchase_id(), Consigned);
  EXPECT_EQ(view.customer_id(), "buyer-1");
  EXPECT_EQ(view.car_id(), "car-1");
  EXPECT_EQ(view.payment_id(), purchase.payment_id());
  EXPECT_EQ(view.stock_total_after(), 1);
  EXPECT_TRUE(view.has_purchased_time() && view.has_paid_time() && view.has_consigned_time() &&
              view.has_stock_changed_time());
  EXPECT_EQ(GetStock("car-1").quantity(), 1);

  ASSERT_TRUE(WaitUntil([&] {
    std::set<std::string> types = NotifiedEventTypes("buyer-1");
    return types.count("Purchased") && types.count("PayApproved") && types.count("Consigned");
  })) << "buyer-1 was not told of every step";
  ExpectInvariants({"car-1"});
}

TEST_F(UsedcarFlowTest, CancelPurchase_RefundsCancelsConsignmentAndReturnsStock) {
  StartAll();
  StockIn("car-2", 1);
  Purchase purchase = Buy("req-2", "buyer-2", "car-2");
  WaitForView(purchase.purchase_id(), Consigned);
  CallResult cancelled = CancelPurchase(purchase.purchase_id());
  ASSERT_TRUE(cancelled.status.ok()) << cancelled.status.error_message();

  dashboard::PurchaseView view = WaitForView(purchase.purchase_id(), [](const auto& v) {
    return Cancelled(v) && v.stock_status() == dashboard::VIEW_STOCK_STATUS_RETURNED;
  });
  EXPECT_EQ(view.cancel_reason(), "changed my mind");
  EXPECT_TRUE(view.has_cancelled_time() && view.has_refunded_time());
  EXPECT_EQ(GetStock("car-2").quantity(), 1);
  ASSERT_TRUE(WaitUntil([&] {
    std::set<std::string> types = NotifiedEventTypes("buyer-2");
    return types.count("PurchaseCancelled") && types.count("PayCancelled") &&
           types.count("ConsignCancelled");
  }));
  ExpectInvariants({"car-2"});
}

TEST_F(UsedcarFlowTest, ConsignStopped_PurchasesSucceed_CatchesUpAfterRestart) {
  StartAll();
  StockIn("car-3", 10);
  Stop("consign");
  std::vector<Purchase> bought;
  for (int i = 0; i < 5; ++i) bought.push_back(Buy(absl::StrCat("req-3-", i), "buyer-3", "car-3"));
  for (const Purchase& p : bought) EXPECT_EQ(p.status(), usedcar::purchase::v1::PURCHASE_STATUS_PAID);

  Start("consign");
  for (const Purchase& p : bought) WaitForView(p.purchase_id(), Consigned);
  EXPECT_EQ(GetStock("car-3").quantity(), 5);
  ExpectInvariants({"car-3"});
}

TEST_F(UsedcarFlowTest, BrokerStopped_PurchasesSucceed_EverythingConvergesAfterRestart) {
  StartAll();
  StockIn("car-4", 10);
  Purchase before = Buy("req-4-a", "buyer-4", "car-4");
  WaitForView(before.purchase_id(), Consigned);

  ASSERT_TRUE(nats().Stop().ok());
  std::vector<Purchase> bought;
  for (int i = 0; i < 5; ++i) bought.push_back(Buy(absl::StrCat("req-4-", i), "buyer-4", "car-4"));
  absl::SleepFor(absl::Milliseconds(500));
  for (const Purchase& p : bought) {
    std::optional<dashboard::PurchaseView> view = View(p.purchase_id());
    EXPECT_FALSE(view.has_value() && Consigned(*view)) << "an event crossed a stopped broker";
  }

  ASSERT_TRUE(nats().Restart().ok());
  for (const Purchase& p : bought) WaitForView(p.purchase_id(), Consigned);
  EXPECT_EQ(GetStock("car-4").quantity(), 4);
  ExpectInvariants({"car-4"});
}

TEST_F(UsedcarFlowTest, TwoConsignReplicas_EveryEventAppliedExactlyOnce) {
  StartBilling();
  StartPurchase();
  Start("consign");
  Start("consign@2");
  Start("stock");
  Start("dashboard");
  Start("notification");
  StockIn("car-5", 100);
  std::vector<Purchase> bought;
  for (int i = 0; i < 30; ++i) bought.push_back(Buy(absl::StrCat("req-5-", i), "buyer-5", "car-5"));
  for (const Purchase& p : bought) WaitForView(p.purchase_id(), Consigned);

  const size_t a = Consignments("consign").size(), b = Consignments("consign@2").size();
  EXPECT_EQ(a + b, bought.size()) << a << " + " << b;
  EXPECT_EQ(GetStock("car-5").consigned(), 30);
  ExpectInvariants({"car-5"}, {"consign", "consign@2"});
}

TEST_F(UsedcarFlowTest, PoisonEvent_LandsInDeadLetters_ReplayedAfterTheFix) {
  StartBilling();
  StartPurchase();
  Start("consign", {"--fault_fail_event_type=Purchased", "--max_deliver=2"});
  Start("stock");
  Start("dashboard");
  StockIn("car-6", 1);
  Purchase purchase = Buy("req-6", "buyer-6", "car-6");

  auto admin = StubAt<admin::v1::DeadLetterService>(address("consign"));
  admin::v1::ListDeadLettersResponse listed;
  ASSERT_TRUE(WaitUntil([&] {
    listed.Clear();
    return admin->ListDeadLetters(Context().get(), {}, &listed).ok() &&
           listed.dead_letters_size() == 1;
  })) << "the poison event never reached the dead-letter stream";
  EXPECT_EQ(listed.dead_letters(0).event_type(), "Purchased");
  EXPECT_TRUE(absl::StrContains(listed.dead_letters(0).error(), "fault drill"));
  EXPECT_TRUE(Consignments("consign").empty());

  // The fix ships: consign restarts without the fault, and the operator replays.
  Stop("consign");
  Start("consign");
  admin = StubAt<admin::v1::DeadLetterService>(address("consign"));
  admin::v1::ReplayDeadLetterRequest replay;
  replay.set_sequence(listed.dead_letters(0).sequence());
  admin::v1::ReplayDeadLetterResponse replayed;
  grpc::Status status = admin->ReplayDeadLetter(Context().get(), replay, &replayed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  WaitForView(purchase.purchase_id(), Consigned);
  listed.Clear();
  ASSERT_TRUE(admin->ListDeadLetters(Context().get(), {}, &listed).ok());
  EXPECT_EQ(listed.dead_letters_size(), 0);
  // Replaying twice applies nothing twice.
  EXPECT_EQ(admin->ReplayDeadLetter(Context().get(), replay, &replayed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Consignments("consign").size(), 1u);
  EXPECT_EQ(GetStock("car-6").quantity(), 0);
}

TEST_F(UsedcarFlowTest, StockShortageSaga_TwoBuyersOneCar_OneKeepsItTheOtherIsRefunded) {
  StartAll();
  StockIn("car-7", 1);
  Purchase first, second;
  std::thread a([&] { first = Buy("req-7-a", "buyer-7a", "car-7"); });
  std::thread b([&] { second = Buy("req-7-b", "buyer-7b", "car-7"); });
  a.join();
  b.join();

  std::map<std::string, dashboard::PurchaseView> views;
  for (const Purchase* p : {&first, &second}) {
    views[p->purchase_id()] = WaitForView(p->purchase_id(), [](const auto& v) {
      return Consigned(v) || (Cancelled(v) && v.stock_status() == dashboard::VIEW_STOCK_STATUS_SHORTAGE);
    });
  }
  int kept = 0, refunded = 0;
  for (const auto& [id, view] : views) {
    if (Consigned(view)) ++kept;
    if (Cancelled(view)) {
      ++refunded;
      EXPECT_EQ(view.cancel_reason(), "out of stock") << view.ShortDebugString();
    }
  }
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(refunded, 1);
  stock::Stock s = GetStock("car-7");
  EXPECT_EQ(s.quantity(), 0);
  EXPECT_EQ(s.consigned(), 1);
  for (const auto& [id, view] : views) {
    if (!Cancelled(view)) continue;
    ASSERT_TRUE(WaitUntil([&] { return NotifiedEventTypes(view.customer_id()).count("StockShortage"); }))
        << view.customer_id() << " was not told the car is sold out";
  }
  ExpectInvariants({"car-7"});
}

}  // namespace
}  // namespace mesh::e2e
