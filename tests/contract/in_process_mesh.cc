#include "tests/contract/in_process_mesh.h"

#include <deque>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/messaging/event_consumer.h"
#include "libs/status/status.h"
#include "libs/storage/store.h"
#include "libs/testing/fake_clock.h"
#include "services/billing/payment.h"
#include "services/billing/payment_repository.h"
#include "services/notification/notification_policy.h"
#include "services/notification/notification_repository.h"
#include "services/notification/rules.h"
#include "services/usedcar/consign/consign_policy.h"
#include "services/usedcar/consign/consignment.h"
#include "services/usedcar/consign/consignment_repository.h"
#include "services/usedcar/dashboard/dashboard_policy.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "services/usedcar/purchase/billing_client.h"
#include "services/usedcar/purchase/purchase.h"
#include "services/usedcar/purchase/purchase_policy.h"
#include "services/usedcar/purchase/purchase_repository.h"
#include "services/usedcar/purchase/purchase_settlement.h"
#include "services/usedcar/stock/stock.h"
#include "services/usedcar/stock/stock_policy.h"
#include "services/usedcar/stock/stock_repository.h"

namespace mesh::contract {
namespace {

using billing::v1::Payment;
using common::v1::EventEnvelope;
using usedcar::purchase::Purchase;

absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(const std::string& dir,
                                                          const std::string& name,
                                                          std::vector<std::string> families) {
  // Nothing here must survive a crash; skipping fsync keeps the test quick.
  return storage::Store::Open({.path = absl::StrCat(dir, "/", name),
                               .sync = false,
                               .extra_column_families = std::move(families)});
}

// purchase's PaymentGateway, answered by billing's real repository in this
// process, with the requests purchase's BillingClient sends. Answers before
// returning.
class InProcessBilling : public usedcar::purchase::PaymentGateway {
 public:
  explicit InProcessBilling(billing::PaymentRepository* payments) : payments_(payments) {}

  absl::Status Admit() const override { return absl::OkStatus(); }

  void Pay(const Purchase& purchase, const grpc::CallbackServerContext*,
           usedcar::purchase::PaymentCallback done) override {
    billing::Charge charge{
        usedcar::purchase::PaymentKey(purchase), std::string(usedcar::purchase::kMerchant),
        usedcar::purchase::Reference(purchase), purchase.customer_id(), purchase.price()};
    done(payments_->Open(charge, billing::ChargeMode::kPay, {}), true);
  }

  void Refund(const Purchase& purchase, const grpc::CallbackServerContext*,
              usedcar::purchase::PaymentCallback done) override {
    done(payments_->Refund(usedcar::purchase::RefundKey(purchase), purchase.payment_id(), {}),
         true);
  }

  void Find(const Purchase& purchase, usedcar::purchase::PaymentCallback done) override {
    done(payments_->GetByKey(usedcar::purchase::PaymentKey(purchase)), true);
  }

  void Void(const Purchase& purchase, usedcar::purchase::PaymentCallback done) override {
    done(payments_->Cancel(usedcar::purchase::PaymentKey(purchase),
                           std::string(usedcar::purchase::kMerchant),
                           usedcar::purchase::Reference(purchase), {}),
         true);
  }

 private:
  billing::PaymentRepository* payments_;
};

// Runs a gateway call and hands back its answer; InProcessBilling answers inline.
absl::StatusOr<Payment> Await(const std::function<void(usedcar::purchase::PaymentCallback)>& call) {
  absl::StatusOr<Payment> answer = absl::InternalError("the gateway never answered");
  call([&answer](absl::StatusOr<Payment> payment, bool) { answer = std::move(payment); });
  return answer;
}

}  // namespace

struct InProcessMesh::Contexts {
  struct Producer {
    std::string name;
    storage::Store* store;
    uint64_t delivered_through = 0;
  };
  struct Consumer {
    std::string name;
    storage::Store* store;
    std::unique_ptr<messaging::EventConsumer> consumer;
  };

  testing::FakeClock clock;

  std::unique_ptr<storage::Store> billing_store;
  std::unique_ptr<storage::Store> purchase_store;
  std::unique_ptr<storage::Store> consign_store;
  std::unique_ptr<storage::Store> stock_store;
  std::unique_ptr<storage::Store> dashboard_store;
  std::unique_ptr<storage::Store> notification_store;

  std::unique_ptr<billing::PaymentRepository> payments;
  std::unique_ptr<usedcar::purchase::PurchaseRepository> purchases;
  std::unique_ptr<usedcar::consign::ConsignmentRepository> consignments;
  std::unique_ptr<usedcar::stock::StockRepository> stocks;
  std::unique_ptr<usedcar::dashboard::DashboardRepository> views;
  std::unique_ptr<notification::NotificationRepository> notifications;

  std::unique_ptr<InProcessBilling> gateway;
  std::unique_ptr<usedcar::purchase::Settlement> settlement;

  std::unique_ptr<usedcar::purchase::PurchasePolicy> purchase_policy;
  std::unique_ptr<usedcar::consign::ConsignPolicy> consign_policy;
  std::unique_ptr<usedcar::stock::StockPolicy> stock_policy;
  std::unique_ptr<usedcar::dashboard::DashboardPolicy> dashboard_policy;
  std::unique_ptr<notification::NotificationPolicy> notification_policy;

  // Declared last: consumers hold handlers that point at the policies.
  std::vector<Producer> producers;
  std::vector<Consumer> consumers;

  Consumer& AddConsumer(const std::string& name, storage::Store* store) {
    consumers.push_back(
        {name, store,
         std::make_unique<messaging::EventConsumer>(
             store, nullptr, messaging::ConsumerOptions{.service = name}, nullptr)});
    return consumers.back();
  }
};

InProcessMesh::InProcessMesh() : contexts_(std::make_unique<Contexts>()) {}

InProcessMesh::~InProcessMesh() = default;

absl::StatusOr<std::unique_ptr<InProcessMesh>> InProcessMesh::Create(const std::string& dir) {
  std::unique_ptr<InProcessMesh> mesh(new InProcessMesh());
  Contexts& c = *mesh->contexts_;
  ASSIGN_OR_RETURN(c.billing_store,
                   OpenStore(dir, "billing", billing::PaymentRepository::ColumnFamilies()));
  ASSIGN_OR_RETURN(
      c.purchase_store,
      OpenStore(dir, "purchase", usedcar::purchase::PurchaseRepository::ColumnFamilies()));
  ASSIGN_OR_RETURN(
      c.consign_store,
      OpenStore(dir, "consign", usedcar::consign::ConsignmentRepository::ColumnFamilies()));
  ASSIGN_OR_RETURN(c.stock_store,
                   OpenStore(dir, "stock", usedcar::stock::StockRepository::ColumnFamilies()));
  ASSIGN_OR_RETURN(
      c.dashboard_store,
      OpenStore(dir, "dashboard", usedcar::dashboard::DashboardRepository::ColumnFamilies()));
  ASSIGN_OR_RETURN(
      c.notification_store,
      OpenStore(dir, "notification", notification::NotificationRepository::ColumnFamilies()));

  c.payments = std::make_unique<billing::PaymentRepository>(*c.billing_store, c.clock);
  c.purchases = std::make_unique<usedcar::purchase::PurchaseRepository>(c.purchase_store.get());
  c.consignments = std::make_unique<usedcar::consign::ConsignmentRepository>(c.consign_store.get());
  c.stocks = std::make_unique<usedcar::stock::StockRepository>(c.stock_store.get());
  c.views = std::make_unique<usedcar::dashboard::DashboardRepository>(c.dashboard_store.get());
  c.notifications =
      std::make_unique<notification::NotificationRepository>(c.notification_store.get());
  c.gateway = std::make_unique<InProcessBilling>(c.payments.get());
  c.settlement = std::make_unique<usedcar::purchase::Settlement>(c.purchases.get());

  c.purchase_policy =
      std::make_unique<usedcar::purchase::PurchasePolicy>(c.purchases.get(), c.gateway.get());
  c.consign_policy = std::make_unique<usedcar::consign::ConsignPolicy>(
      c.consignments.get(), c.clock, usedcar::consign::PolicyOptions{.auto_dispatch = true});
  c.stock_policy = std::make_unique<usedcar::stock::StockPolicy>(c.stocks.get(), c.clock);
  c.dashboard_policy =
      std::make_unique<usedcar::dashboard::DashboardPolicy>(c.views.get(), c.clock);
  c.notification_policy = std::make_unique<notification::NotificationPolicy>(
      c.notifications.get(), notification::AllRules(), std::vector<std::string>{"log"}, c.clock,
      nullptr);

  c.producers = {{"billing", c.billing_store.get()},
                 {"usedcar.purchase", c.purchase_store.get()},
                 {"usedcar.consign", c.consign_store.get()},
                 {"usedcar.stock", c.stock_store.get()}};

  // Each registration is the one the service's main.cc makes.
  c.purchase_policy->Register(*c.AddConsumer(kPurchaseConsumer, c.purchase_store.get()).consumer);
  usedcar::consign::RegisterPolicies(
      *c.AddConsumer(kConsignConsumer, c.consign_store.get()).consumer, *c.consign_policy);
  usedcar::stock::RegisterPolicies(*c.AddConsumer(kStockConsumer, c.stock_store.get()).consumer,
                                   *c.stock_policy);
  c.dashboard_policy->Register(
      *c.AddConsumer(kDashboardConsumer, c.dashboard_store.get()).consumer);
  messaging::EventConsumer& notifications =
      *c.AddConsumer(kNotificationConsumer, c.notification_store.get()).consumer;
  notification::NotificationPolicy* notification_policy = c.notification_policy.get();
  for (const notification::NotificationPolicy::Subscription& subscription :
       notification_policy->Subscriptions()) {
    notifications.On(subscription.producer, subscription.event_type,
                     [notification_policy](const EventEnvelope& event, storage::UnitOfWork& work) {
                       return notification_policy->Handle(event, work);
                     });
  }
  return mesh;
}

void InProcessMesh::Pump() {
  Contexts& c = *contexts_;
  std::deque<EventEnvelope> queue;
  auto collect = [&] {
    for (Contexts::Producer& producer : c.producers) {
      absl::Status scanned = producer.store->ScanOutbox(
          producer.delivered_through, [&](uint64_t seq, std::string_view row) {
            queue.emplace_back().ParseFromArray(row.data(), static_cast<int>(row.size()));
            producer.delivered_through = seq;
            return true;
          });
      if (!scanned.ok()) {
        Record failed;
        failed.event.set_event_type(absl::StrCat("unreadable outbox of ", producer.name));
        failed.deliveries.push_back({"broker", false, scanned});
        records_.push_back(std::move(failed));
      }
    }
  };
  collect();
  while (!queue.empty()) {
    Record record{std::move(queue.front()), {}};
    queue.pop_front();
    for (Contexts::Consumer& consumer : c.consumers) {
      // Apply answers OK without looking at the event when no handler is
      // registered, and INVALID_ARGUMENT for an event without an id when one
      // is: a probe that changes nothing.
      EventEnvelope probe = record.event;
      probe.clear_event_id();
      const bool handled =
          consumer.consumer->Apply(probe).code() == absl::StatusCode::kInvalidArgument;
      record.deliveries.push_back({consumer.name, handled, consumer.consumer->Apply(record.event)});
    }
    records_.push_back(std::move(record));
    collect();
  }
  c.clock.Advance(absl::Seconds(1));
}

absl::StatusOr<usedcar::stock::v1::Stock> InProcessMesh::StockIn(
    const std::string& car_id, int64_t quantity, const std::string& idempotency_key) {
  Contexts& c = *contexts_;
  usedcar::stock::v1::StockInRequest request;
  request.set_car_id(car_id);
  request.set_quantity(quantity);
  request.set_idempotency_key(idempotency_key);
  RETURN_IF_ERROR(usedcar::stock::ValidateStockIn(request));
  usedcar::stock::Stock stock;
  {
    auto key_lock = c.stocks->LockKey(idempotency_key);
    auto car_lock = c.stocks->LockCar(car_id);
    ASSIGN_OR_RETURN(std::optional<usedcar::stock::Stock> current, c.stocks->Get(car_id));
    stock = current.has_value() ? *std::move(current) : usedcar::stock::EmptyStock(car_id);
    const absl::Time now = c.clock.Now();
    ASSIGN_OR_RETURN(usedcar::stock::v1::StockChanged changed,
                     usedcar::stock::StockIn(stock, quantity, now));
    storage::UnitOfWork work;
    usedcar::stock::StockRepository::PutStock(work, stock);
    usedcar::stock::StockRepository::PutStockIn(work, idempotency_key, {quantity, stock});
    usedcar::stock::StockRepository::AddEvent(
        work, stock, changed, {absl::StrCat("usedcar/stock/", car_id), idempotency_key, ""}, now);
    RETURN_IF_ERROR(c.stocks->Commit(work));
  }
  Pump();
  return stock;
}

absl::StatusOr<Purchase> InProcessMesh::Buy(const std::string& purchase_id,
                                            const std::string& customer_id,
                                            const std::string& car_id, int64_t amount_krw) {
  Contexts& c = *contexts_;
  usedcar::purchase::v1::RequestPurchaseRequest request;
  request.set_request_id(absl::StrCat("req-", purchase_id));
  request.set_customer_id(customer_id);
  request.set_car_id(car_id);
  request.mutable_price()->set_currency_code("KRW");
  request.mutable_price()->set_amount_minor(amount_krw);
  RETURN_IF_ERROR(usedcar::purchase::ValidateRequest(request));
  const Purchase pending = usedcar::purchase::NewPending(request, purchase_id, c.clock.Now());
  RETURN_IF_ERROR(c.purchases->Insert(pending));
  ASSIGN_OR_RETURN(Payment payment, Await([&](usedcar::purchase::PaymentCallback done) {
                     c.gateway->Pay(pending, nullptr, std::move(done));
                   }));
  ASSIGN_OR_RETURN(Purchase paid, c.settlement->ApplyPayment(purchase_id, payment, purchase_id));
  Pump();
  return paid;
}

absl::StatusOr<Purchase> InProcessMesh::Cancel(const std::string& purchase_id,
                                               const std::string& reason) {
  Contexts& c = *contexts_;
  Purchase purchase;
  {
    auto lock = c.purchases->Lock(purchase_id);
    ASSIGN_OR_RETURN(std::optional<Purchase> found, c.purchases->Get(purchase_id));
    if (!found.has_value()) return absl::NotFoundError(absl::StrCat("no purchase ", purchase_id));
    purchase = *std::move(found);
    ASSIGN_OR_RETURN(bool changed, usedcar::purchase::BeginCancel(purchase, reason, c.clock.Now()));
    if (changed) RETURN_IF_ERROR(c.purchases->Save(purchase, nullptr, ""));
  }
  ASSIGN_OR_RETURN(Payment refund, Await([&](usedcar::purchase::PaymentCallback done) {
                     c.gateway->Refund(purchase, nullptr, std::move(done));
                   }));
  ASSIGN_OR_RETURN(
      Purchase cancelled,
      c.settlement->ApplyRefund(purchase_id, refund, usedcar::purchase::RefundKey(purchase)));
  Pump();
  return cancelled;
}

absl::StatusOr<usedcar::consign::v1::Consignment> InProcessMesh::Deliver(
    const std::string& purchase_id) {
  Contexts& c = *contexts_;
  const std::string consignment_id = usedcar::consign::ConsignmentIdFor(purchase_id);
  usedcar::consign::Consignment consignment;
  {
    auto lock = c.consignments->Lock(consignment_id);
    ASSIGN_OR_RETURN(std::optional<usedcar::consign::Consignment> found,
                     c.consignments->Get(consignment_id));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("no consignment ", consignment_id));
    }
    consignment = *std::move(found);
    const absl::Time now = c.clock.Now();
    ASSIGN_OR_RETURN(std::optional<usedcar::consign::v1::ConsignDelivered> delivered,
                     usedcar::consign::MarkDelivered(consignment, now));
    if (delivered.has_value()) {
      storage::UnitOfWork work;
      c.consignments->Stage(work, consignment, &*delivered,
                            {usedcar::consign::Reference(consignment), "MarkDelivered", ""}, now);
      RETURN_IF_ERROR(c.consignments->Commit(work));
    }
  }
  Pump();
  return consignment;
}

absl::StatusOr<Payment> InProcessMesh::AuthorizeAndRelease(const std::string& idempotency_key,
                                                           const std::string& merchant,
                                                           const std::string& payer_id,
                                                           int64_t amount_minor) {
  Contexts& c = *contexts_;
  billing::Charge charge;
  charge.idempotency_key = idempotency_key;
  charge.merchant = merchant;
  charge.reference = absl::StrCat(merchant, "/", idempotency_key);
  charge.payer_id = payer_id;
  charge.amount.set_currency_code("KRW");
  charge.amount.set_amount_minor(amount_minor);
  RETURN_IF_ERROR(c.payments->Open(charge, billing::ChargeMode::kAuthorize, {}).status());
  ASSIGN_OR_RETURN(Payment released,
                   c.payments->Cancel(idempotency_key, merchant, charge.reference, {}));
  Pump();
  return released;
}

billing::PaymentRepository& InProcessMesh::payments() { return *contexts_->payments; }
usedcar::purchase::PurchaseRepository& InProcessMesh::purchases() { return *contexts_->purchases; }
usedcar::consign::ConsignmentRepository& InProcessMesh::consignments() {
  return *contexts_->consignments;
}
usedcar::stock::StockRepository& InProcessMesh::stocks() { return *contexts_->stocks; }
usedcar::dashboard::DashboardRepository& InProcessMesh::views() { return *contexts_->views; }
notification::NotificationRepository& InProcessMesh::notifications() {
  return *contexts_->notifications;
}

}  // namespace mesh::contract
