// Test helpers: a notification store in a temporary directory, and events
// built with MakeEvent. Test-only.
#pragma once

#include <memory>
#include <string>

#include "billing/v1/billing_events.pb.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/storage/store.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/paths.h"
#include "services/notification/notification_repository.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"

namespace notification::test {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore("notification", /*sync=*/false); }

  // A fresh store under `name` in place of the current one; sync: as the
  // service opens it, every commit fsyncs unless deferred.
  void OpenStore(const std::string& name, bool sync) {
    repository_.reset();
    store_.reset();
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {.path = dir_.path() + "/" + name,
         .sync = sync,
         .extra_column_families = NotificationRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<NotificationRepository>(store_.get());
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<NotificationRepository> repository_;
};

inline common::v1::EventEnvelope Event(const std::string& producer,
                                       const google::protobuf::Message& payload,
                                       const std::string& purchase_id = "pur_1") {
  return mesh::messaging::MakeEvent({.producer = producer,
                                     .aggregate_id = purchase_id,
                                     .aggregate_version = 2,
                                     .correlation_id = "usedcar/purchase/" + purchase_id},
                                    payload, absl::FromUnixSeconds(1'700'000'000));
}

inline common::v1::EventEnvelope PurchasedEvent(const std::string& customer_id = "buyer-1",
                                                const std::string& car_id = "car-7") {
  usedcar::purchase::v1::Purchased purchased;
  purchased.set_purchase_id("pur_1");
  purchased.set_customer_id(customer_id);
  purchased.set_car_id(car_id);
  return Event("usedcar.purchase", purchased);
}

inline common::v1::EventEnvelope PayApprovedEvent(const std::string& merchant,
                                                  const std::string& payer_id = "buyer-1") {
  billing::v1::PayApproved approved;
  approved.set_payment_id("pay_1");
  approved.set_merchant(merchant);
  approved.set_reference(merchant + "/purchase/pur_1");
  approved.set_payer_id(payer_id);
  approved.mutable_amount()->set_currency_code("KRW");
  approved.mutable_amount()->set_amount_minor(25'000'000);
  return Event("billing", approved);
}

}  // namespace notification::test
