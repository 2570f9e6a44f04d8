// Consumer-driven event contracts (issue 4): every consuming context's
// consumes.textproto is checked against the producers' protos, and the
// producers' golden events, made by their real code in an InProcessMesh,
// are fed through every consumer's registered handlers.
#include "tests/contract/event_contract.h"

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/testing/paths.h"
#include "services/billing/payment_repository.h"
#include "services/notification/notification_repository.h"
#include "services/usedcar/consign/consignment_repository.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "services/usedcar/purchase/purchase_repository.h"
#include "services/usedcar/stock/stock_repository.h"
#include "tests/contract/api_contract.h"
#include "tests/contract/in_process_mesh.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"

namespace mesh::contract {
namespace {

using common::v1::EventEnvelope;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace dashboard = usedcar::dashboard::v1;

constexpr int64_t kPrice = 25'000'000;

const google::protobuf::DescriptorPool& Pool() {
  LoadEveryContract();
  return *google::protobuf::DescriptorPool::generated_pool();
}

std::map<std::string, ConsumerContract> LoadAll() {
  std::map<std::string, ConsumerContract> contracts;
  for (const std::string& path : FindContracts(testing::SourceDir())) {
    absl::StatusOr<ConsumerContract> contract = LoadContract(path);
    EXPECT_TRUE(contract.ok()) << contract.status();
    if (contract.ok()) contracts[contract->consumer()] = *std::move(contract);
  }
  return contracts;
}

// Whether the consumer declared the event's (producer, type).
bool Declares(const ConsumerContract& contract, const EventEnvelope& event) {
  for (const ConsumedEvent& declared : contract.events()) {
    if (declared.producer() == event.producer() &&
        EventTypeOf(declared.message()) == event.event_type()) {
      return true;
    }
  }
  return false;
}

// Runs the used-car story that makes every event the contexts exchange:
//  - A buys the only car-1; it is consigned, stock goes down, it is delivered;
//  - B buys car-1 too: stock is short, so the saga cancels the consignment
//    and the purchase ("out of stock") and billing refunds;
//  - C buys car-2 and cancels: refund, consignment cancelled, car returned;
//  - another domain authorises a payment and releases it.
class GoldenEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<InProcessMesh>> mesh = InProcessMesh::Create(dir_.path());
    ASSERT_TRUE(mesh.ok()) << mesh.status();
    mesh_ = *std::move(mesh);
    ASSERT_TRUE(mesh_->StockIn("car-1", 1, "stock-in-car-1").ok());
    ASSERT_TRUE(mesh_->Buy("pur_a", "buyer-a", "car-1", kPrice).ok());
    ASSERT_TRUE(mesh_->Deliver("pur_a").ok());
    ASSERT_TRUE(mesh_->Buy("pur_b", "buyer-b", "car-1", kPrice).ok());
    ASSERT_TRUE(mesh_->StockIn("car-2", 1, "stock-in-car-2").ok());
    ASSERT_TRUE(mesh_->Buy("pur_c", "buyer-c", "car-2", kPrice).ok());
    absl::StatusOr<usedcar::purchase::v1::Purchase> cancelled =
        mesh_->Cancel("pur_c", "changed my mind");
    ASSERT_TRUE(cancelled.ok()) << cancelled.status();
    ASSERT_TRUE(mesh_->AuthorizeAndRelease("delivery-call-1", "delivery", "rider-1", 3'000).ok());
  }

  dashboard::PurchaseView View(const std::string& purchase_id) {
    absl::StatusOr<std::optional<dashboard::PurchaseView>> view = mesh_->views().Get(purchase_id);
    EXPECT_TRUE(view.ok() && view->has_value()) << "no view of " << purchase_id;
    return view.ok() && view->has_value() ? **view : dashboard::PurchaseView();
  }

  std::set<std::string> NotifiedRules(const std::string& recipient) {
    absl::StatusOr<notification::NotificationRepository::Page> page =
        mesh_->notifications().ListByRecipient(recipient, 100, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::set<std::string> rules;
    if (page.ok()) {
      for (const auto& n : page->notifications) rules.insert(n.rule());
    }
    return rules;
  }

  testing::TempDir dir_;
  std::unique_ptr<InProcessMesh> mesh_;
};

TEST(EventContract, Declarations_EveryConsumingContext_HasOneThatParses) {
  std::set<std::string> consumers;
  for (const auto& [consumer, contract] : LoadAll()) consumers.insert(consumer);
  EXPECT_THAT(consumers, UnorderedElementsAre(kPurchaseConsumer, kConsignConsumer, kStockConsumer,
                                              kDashboardConsumer, kNotificationConsumer));
}

TEST(EventContract, Declarations_CheckedAgainstProducerProtos_EveryFieldExists) {
  const std::map<std::string, ConsumerContract> contracts = LoadAll();
  ASSERT_FALSE(contracts.empty());
  for (const auto& [consumer, contract] : contracts) {
    EXPECT_THAT(CheckContract(contract, Pool()), IsEmpty()) << consumer;
  }
}

TEST(EventContract, CheckContract_ConsumerReadsFieldProducerLacks_FailsNamingIt) {
  // A temporary change: consign starts reading a discount that purchase
  // never published.
  const std::string path = testing::SourceDir() + "/services/usedcar/consign/consumes.textproto";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string anchor = "fields: \"car_id\"\n}";
  ASSERT_TRUE(absl::StrContains(text, anchor)) << "the Purchased declaration changed shape";
  text.replace(text.find(anchor), anchor.size(),
               "fields: \"car_id\"\n  fields: \"discount.amount_minor\"\n}");
  testing::TempDir dir;
  const std::string changed = dir.path() + "/consumes.textproto";
  std::ofstream(changed) << text;

  absl::StatusOr<ConsumerContract> contract = LoadContract(changed);
  ASSERT_TRUE(contract.ok()) << contract.status();
  const std::vector<std::string> problems = CheckContract(*contract, Pool());
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems[0], HasSubstr("usedcar.purchase.v1.Purchased has no field discount"));
  // The unchanged declaration still holds, so the failure is the change's.
  absl::StatusOr<ConsumerContract> original = LoadContract(path);
  ASSERT_TRUE(original.ok()) << original.status();
  EXPECT_THAT(CheckContract(*original, Pool()), IsEmpty());
}

TEST(EventContract, CheckContract_MessageOfAnotherProducer_Fails) {
  ConsumerContract contract;
  contract.set_consumer("usedcar.dashboard");
  ConsumedEvent* event = contract.add_events();
  event->set_producer("usedcar.consign");
  event->set_message("usedcar.stock.v1.StockShortage");
  event->add_fields("purchase_id");
  const std::vector<std::string> problems = CheckContract(contract, Pool());
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems[0],
              HasSubstr("not in the producer's usedcar/consign/v1/consign_events.proto"));
}

TEST(EventContract, LoadContract_MisspeltKey_InvalidArgumentWithLine) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/consumes.textproto";
  std::ofstream(path) << "consumer: \"x\"\nevents { producer: \"billing\" mesage: \"y\" }\n";
  absl::StatusOr<ConsumerContract> contract = LoadContract(path);
  EXPECT_EQ(contract.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(contract.status().message(), HasSubstr(":2:"));
}

TEST(EventContract, FieldIsSet_DefaultsUnsetNestedByPath_AsAConsumerWouldSeeThem) {
  usedcar::purchase::v1::Purchased purchased;
  purchased.set_purchase_id("pur_1");
  purchased.mutable_price()->set_currency_code("KRW");
  EXPECT_TRUE(FieldIsSet(purchased, "purchase_id"));
  EXPECT_FALSE(FieldIsSet(purchased, "customer_id"));
  EXPECT_TRUE(FieldIsSet(purchased, "price"));
  EXPECT_TRUE(FieldIsSet(purchased, "price.currency_code"));
  EXPECT_FALSE(FieldIsSet(purchased, "price.amount_minor"));
  EXPECT_FALSE(FieldIsSet(purchased, "discount"));
  EXPECT_FALSE(FieldIsSet(purchased, "purchase_id.length"));
}

TEST_F(GoldenEvents, EveryDelivery_ToEveryConsumer_Applies) {
  ASSERT_FALSE(mesh_->records().empty());
  for (const InProcessMesh::Record& record : mesh_->records()) {
    for (const InProcessMesh::Delivery& delivery : record.deliveries) {
      EXPECT_TRUE(delivery.status.ok())
          << delivery.consumer << " could not apply " << record.event.producer() << " "
          << record.event.event_type() << ": " << delivery.status << "\n"
          << record.event.ShortDebugString();
    }
  }
}

TEST_F(GoldenEvents, Handlers_OfEveryConsumer_AreExactlyItsDeclarations) {
  const std::map<std::string, ConsumerContract> contracts = LoadAll();
  for (const InProcessMesh::Record& record : mesh_->records()) {
    for (const InProcessMesh::Delivery& delivery : record.deliveries) {
      auto contract = contracts.find(delivery.consumer);
      ASSERT_NE(contract, contracts.end()) << delivery.consumer << " declares nothing";
      EXPECT_EQ(delivery.handled, Declares(contract->second, record.event))
          << delivery.consumer << (delivery.handled ? " handles " : " ignores ")
          << record.event.producer() << " " << record.event.event_type()
          << (delivery.handled ? " without declaring it" : " although it declares it");
    }
  }
}

TEST_F(GoldenEvents, EveryDeclaredEvent_IsProducedAndFillsEveryDeclaredField) {
  for (const auto& [consumer, contract] : LoadAll()) {
    for (const ConsumedEvent& declared : contract.events()) {
      const google::protobuf::Descriptor* type = Pool().FindMessageTypeByName(declared.message());
      ASSERT_NE(type, nullptr) << declared.message();
      std::set<std::string> filled;
      int produced = 0;
      for (const InProcessMesh::Record& record : mesh_->records()) {
        if (record.event.producer() != declared.producer() ||
            record.event.event_type() != type->name()) {
          continue;
        }
        ++produced;
        std::unique_ptr<google::protobuf::Message> payload(
            google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
        ASSERT_TRUE(messaging::UnpackPayload(record.event, payload.get()).ok())
            << record.event.ShortDebugString();
        for (const std::string& field : declared.fields()) {
          if (FieldIsSet(*payload, field)) filled.insert(field);
        }
      }
      EXPECT_GT(produced, 0) << declared.producer() << " never produced " << declared.message()
                             << ", which " << consumer << " reads";
      for (const std::string& field : declared.fields()) {
        EXPECT_TRUE(filled.count(field))
            << consumer << " reads " << declared.message() << "." << field << ", which "
            << declared.producer() << " never fills";
      }
    }
  }
}

TEST_F(GoldenEvents, Consumers_AfterTheStory_HoldWhatTheEventsSay) {
  // purchase applied StockShortage: B was cancelled and refunded.
  absl::StatusOr<std::optional<usedcar::purchase::v1::Purchase>> b =
      mesh_->purchases().Get("pur_b");
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->status(), usedcar::purchase::v1::PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ((*b)->cancel_reason(), "out of stock");

  // consign applied Purchased, StockShortage and PurchaseCancelled.
  auto consignment = [&](const std::string& purchase_id) {
    absl::StatusOr<std::optional<usedcar::consign::v1::Consignment>> c =
        mesh_->consignments().GetByPurchase(purchase_id);
    EXPECT_TRUE(c.ok() && c->has_value()) << purchase_id;
    return c.ok() && c->has_value() ? **c : usedcar::consign::v1::Consignment();
  };
  EXPECT_EQ(consignment("pur_a").status(), usedcar::consign::v1::CONSIGNMENT_STATUS_DELIVERED);
  EXPECT_EQ(consignment("pur_b").cancel_reason(), "out of stock");
  EXPECT_EQ(consignment("pur_c").cancel_reason(), "purchase cancelled");

  // stock applied Consigned and ConsignCancelled.
  absl::StatusOr<std::optional<usedcar::stock::v1::Stock>> car1 = mesh_->stocks().Get("car-1");
  absl::StatusOr<std::optional<usedcar::stock::v1::Stock>> car2 = mesh_->stocks().Get("car-2");
  ASSERT_TRUE(car1.ok() && car1->has_value() && car2.ok() && car2->has_value());
  EXPECT_EQ((*car1)->quantity(), 0);
  EXPECT_EQ((*car1)->consigned(), 1);
  EXPECT_EQ((*car2)->quantity(), 1);
  EXPECT_EQ((*car2)->returned(), 1);

  // dashboard folded all four producers' events.
  dashboard::PurchaseView a = View("pur_a");
  EXPECT_EQ(a.purchase_status(), dashboard::VIEW_PURCHASE_STATUS_PAID);
  EXPECT_EQ(a.payment_status(), dashboard::VIEW_PAYMENT_STATUS_CAPTURED);
  EXPECT_EQ(a.consign_status(), dashboard::VIEW_CONSIGN_STATUS_DELIVERED);
  EXPECT_EQ(a.stock_status(), dashboard::VIEW_STOCK_STATUS_DECREASED);
  EXPECT_EQ(a.price().amount_minor(), kPrice);
  dashboard::PurchaseView view_b = View("pur_b");
  EXPECT_EQ(view_b.purchase_status(), dashboard::VIEW_PURCHASE_STATUS_CANCELLED);
  EXPECT_EQ(view_b.payment_status(), dashboard::VIEW_PAYMENT_STATUS_REFUNDED);
  EXPECT_EQ(view_b.stock_status(), dashboard::VIEW_STOCK_STATUS_SHORTAGE);
  EXPECT_EQ(view_b.cancel_reason(), "out of stock");
  dashboard::PurchaseView c = View("pur_c");
  EXPECT_EQ(c.consign_status(), dashboard::VIEW_CONSIGN_STATUS_CANCELLED);
  EXPECT_EQ(c.stock_status(), dashboard::VIEW_STOCK_STATUS_RETURNED);
  EXPECT_EQ(c.stock_total_after(), 1);

  // notification rendered every rule it has for the buyers.
  EXPECT_THAT(NotifiedRules("buyer-a"),
              UnorderedElementsAre("usedcar.purchased", "usedcar.pay_approved", "usedcar.consigned",
                                   "usedcar.consign_delivered"));
  EXPECT_THAT(NotifiedRules("buyer-b"),
              UnorderedElementsAre("usedcar.purchased", "usedcar.pay_approved", "usedcar.consigned",
                                   "usedcar.stock_shortage", "usedcar.consign_cancelled",
                                   "usedcar.pay_cancelled", "usedcar.purchase_cancelled"));
  // Another domain's payment concerns no used-car buyer.
  EXPECT_THAT(NotifiedRules("rider-1"), IsEmpty());
}

}  // namespace
}  // namespace mesh::contract
