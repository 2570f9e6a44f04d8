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
#include "libs/testing/nats_server.h"
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

  // Starts a service by name ("billing", "purchase", "consign", "stock",
  // "dashboard", "notification", or "<name>@<replica>" for a second replica
  // with its own port and store). Every service talks to this test's own
  // nats-server. Extra flags override the defaults (later flags win).
  void Start(const std::string& name, std::vector<std::string> extra = {});
  void Stop(const std::string& name);  // SIGTERM, expects a clean exit
  void StartBilling(std::vector<std::string> extra = {}) { Start("billing", std::move(extra)); }
  void StartPurchase(std::vector<std::string> extra = {}) { Start("purchase", std::move(extra)); }
  void StopBilling() { Stop("billing"); }
  void StopPurchase() { Stop("purchase"); }
  testing::Process* process(const std::string& name) { return processes_[name].get(); }
  std::string address(const std::string& name);
  testing::NatsServer& nats() { return *nats_; }

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
  testing::Process* purchase_process() { return process("purchase"); }
  testing::Process* billing_process() { return process("billing"); }
  std::string purchase_address() { return address("purchase"); }
  std::string billing_address() { return address("billing"); }

  // Flags that make the breaker and the resolver quick enough for tests.
  static std::vector<std::string> FastResilienceFlags();

 private:
  int Port(const std::string& name);

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::map<std::string, int> ports_;
  // Ordered, so that TearDown kills them in a stable order.
  std::map<std::string, std::unique_ptr<testing::Process>> processes_;
  std::unique_ptr<billing::v1::BillingService::Stub> billing_stub_;
  std::unique_ptr<usedcar::purchase::v1::PurchaseService::Stub> purchase_stub_;
  int launches_ = 0;
};

}  // namespace mesh::e2e
