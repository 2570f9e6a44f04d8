// Runs the real billing and purchase processes on free loopback ports, each
// with its own RocksDB under a per-test temporary directory, and checks the
// business invariants of DESIGN §3.5 over what the services hold.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "billing/v1/billing.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/testing/paths.h"
#include "libs/testing/process.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace mesh::e2e {

struct CallResult {
  grpc::Status status;
  usedcar::purchase::v1::Purchase purchase;
  std::multimap<std::string, std::string> trailers;
  absl::Duration latency;
};

class UsedcarFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Extra flags override the defaults of this fixture (later flags win).
  void StartBilling(std::vector<std::string> extra = {});
  void StartPurchase(std::vector<std::string> extra = {});
  void StopBilling();   // SIGTERM, expects a clean exit
  void StopPurchase();

  CallResult RequestPurchase(const std::string& request_id, const std::string& customer,
                             const std::string& car, int64_t amount,
                             absl::Duration timeout = absl::Seconds(5));
  CallResult CancelPurchase(const std::string& purchase_id, absl::Duration timeout = absl::Seconds(5));
  CallResult GetPurchase(const std::string& purchase_id);

  std::vector<usedcar::purchase::v1::Purchase> AllPurchases(const std::string& customer = "");
  std::vector<billing::v1::Payment> AllPayments(const std::string& payer = "");

  // Polls until pred holds over AllPurchases(customer), or fails the test.
  void WaitForPurchases(const std::string& customer,
                        const std::function<bool(const std::vector<usedcar::purchase::v1::Purchase>&)>& pred,
                        absl::Duration timeout = absl::Seconds(15));

  // No charge without a sale, and no sale without exactly one charge:
  //  - every PAID or CANCELLING purchase has exactly one CAPTURED payment;
  //  - every CANCELLED purchase has exactly one REFUNDED payment;
  //  - every CAPTURED or REFUNDED payment belongs to such a purchase;
  //  - no purchase is left PENDING.
  void ExpectNoChargeWithoutSale();

  usedcar::purchase::v1::PurchaseService::Stub& purchase() { return *purchase_stub_; }
  billing::v1::BillingService::Stub& billing() { return *billing_stub_; }
  testing::Process* purchase_process() { return purchase_.get(); }
  testing::Process* billing_process() { return billing_.get(); }
  std::string purchase_address() const;
  std::string billing_address() const;

  // Flags that make the breaker and the resolver quick enough for tests.
  static std::vector<std::string> FastResilienceFlags();

 private:
  std::unique_ptr<testing::Process> Launch(const std::string& binary, const std::string& name,
                                           std::vector<std::string> args, int port);

  std::unique_ptr<testing::TempDir> dir_;
  int billing_port_ = 0;
  int purchase_port_ = 0;
  std::unique_ptr<testing::Process> billing_;
  std::unique_ptr<testing::Process> purchase_;
  std::unique_ptr<billing::v1::BillingService::Stub> billing_stub_;
  std::unique_ptr<usedcar::purchase::v1::PurchaseService::Stub> purchase_stub_;
  int launches_ = 0;
};

}  // namespace mesh::e2e
