#include "tests/e2e/usedcar_fixture.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/testing/ports.h"

namespace mesh::e2e {

using billing::v1::Payment;
using usedcar::purchase::v1::Purchase;

namespace {

// Where each service's binary sits in the build tree.
std::string BinaryOf(const std::string& service) {
  static const std::map<std::string, std::string> kBinaries = {
      {"billing", "services/billing/billing"},
      {"purchase", "services/usedcar/purchase/purchase"},
      {"consign", "services/usedcar/consign/consign"},
      {"stock", "services/usedcar/stock/stock"},
      {"dashboard", "services/usedcar/dashboard/dashboard"},
      {"notification", "services/notification/notification"},
  };
  auto it = kBinaries.find(service);
  return it == kBinaries.end() ? "" : testing::BuildDir() + "/" + it->second;
}

}  // namespace

void UsedcarFixture::SetUp() {
  dir_ = std::make_unique<testing::TempDir>();
  absl::StatusOr<std::unique_ptr<testing::NatsServer>> nats =
      testing::NatsServer::Start(dir_->path() + "/nats");
  ASSERT_TRUE(nats.ok()) << nats.status();
  nats_ = std::move(*nats);
  billing_stub_ = billing::v1::BillingService::NewStub(
      grpc::CreateChannel(billing_address(), grpc::InsecureChannelCredentials()));
  purchase_stub_ = usedcar::purchase::v1::PurchaseService::NewStub(
      grpc::CreateChannel(purchase_address(), grpc::InsecureChannelCredentials()));
}

void UsedcarFixture::TearDown() {
  // Stop exactly the processes this test started, even when it failed.
  for (auto& [name, process] : processes_) {
    if (process) process->Kill();
  }
  processes_.clear();
  if (nats_) nats_->Kill();
  nats_.reset();
  dir_.reset();
}

int UsedcarFixture::Port(const std::string& name) {
  int& port = ports_[name];
  if (port == 0) port = testing::FreePort();
  return port;
}

std::string UsedcarFixture::address(const std::string& name) {
  return absl::StrCat("127.0.0.1:", Port(name));
}

std::vector<std::string> UsedcarFixture::FastResilienceFlags() {
  return {"--billing_timeout=300ms", "--breaker_window=10", "--breaker_minimum_calls=4",
          "--breaker_open=1s",       "--breaker_trial_calls=2", "--resolve_interval=200ms",
          "--breaker_slow_call=250ms"};
}

void UsedcarFixture::Start(const std::string& name, std::vector<std::string> extra) {
  const std::string service = name.substr(0, name.find('@'));
  const std::string data_name = absl::StrReplaceAll(name, {{"@", "-"}});
  testing::ProcessOptions options;
  options.binary = BinaryOf(service);
  ASSERT_FALSE(options.binary.empty()) << "unknown service " << name;
  options.args = {"--host=127.0.0.1", absl::StrCat("--port=", Port(name)), "--metrics_port=-1",
                  absl::StrCat("--data_dir=", dir_->path(), "/", data_name),
                  absl::StrCat("--nats_url=", nats_->url()), "--shutdown_grace=50ms"};
  if (service == "purchase") {
    options.args.push_back(absl::StrCat("--billing_target=", billing_address()));
  }
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  options.log_path = absl::StrCat(dir_->path(), "/", data_name, ".", ++launches_, ".log");
  absl::StatusOr<std::unique_ptr<testing::Process>> process = testing::Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  absl::Status serving = testing::WaitForServing(address(name), absl::Seconds(20));
  ASSERT_TRUE(serving.ok()) << name << ": " << serving << "\n" << (*process)->ReadLog();
  processes_[name] = std::move(*process);
}

void UsedcarFixture::Stop(const std::string& name) {
  testing::Process* p = process(name);
  ASSERT_NE(p, nullptr) << name << " is not running";
  absl::StatusOr<int> code = p->Terminate();
  EXPECT_TRUE(code.ok() && *code == 0) << name << " did not exit cleanly\n" << p->ReadLog();
}

CallResult UsedcarFixture::RequestPurchase(const std::string& request_id,
                                           const std::string& customer, const std::string& car,
                                           int64_t amount, absl::Duration timeout) {
  usedcar::purchase::v1::RequestPurchaseRequest request;
  request.set_request_id(request_id);
  request.set_customer_id(customer);
  request.set_car_id(car);
  request.mutable_price()->set_currency_code("KRW");
  request.mutable_price()->set_amount_minor(amount);
  usedcar::purchase::v1::RequestPurchaseResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const absl::Time start = absl::Now();
  CallResult result;
  result.status = purchase_stub_->RequestPurchase(&context, request, &response);
  result.latency = absl::Now() - start;
  result.purchase = response.purchase();
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    result.trailers.emplace(std::string(key.data(), key.size()),
                            std::string(value.data(), value.size()));
  }
  return result;
}

CallResult UsedcarFixture::CancelPurchase(const std::string& purchase_id, absl::Duration timeout) {
  usedcar::purchase::v1::CancelPurchaseRequest request;
  request.set_purchase_id(purchase_id);
  request.set_reason("changed my mind");
  usedcar::purchase::v1::CancelPurchaseResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  CallResult result;
  result.status = purchase_stub_->CancelPurchase(&context, request, &response);
  result.purchase = response.purchase();
  return result;
}

CallResult UsedcarFixture::GetPurchase(const std::string& purchase_id) {
  usedcar::purchase::v1::GetPurchaseRequest request;
  request.set_purchase_id(purchase_id);
  usedcar::purchase::v1::GetPurchaseResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  context.set_wait_for_ready(true);
  CallResult result;
  result.status = purchase_stub_->GetPurchase(&context, request, &response);
  result.purchase = response.purchase();
  return result;
}

std::vector<Purchase> UsedcarFixture::AllPurchases(const std::string& customer) {
  std::vector<Purchase> all;
  std::string token;
  do {
    usedcar::purchase::v1::ListPurchasesRequest request;
    request.set_customer_id(customer);
    request.mutable_page()->set_page_size(100);
    request.mutable_page()->set_page_token(token);
    usedcar::purchase::v1::ListPurchasesResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    // The channel may still be backing off from a restart of the service.
    context.set_wait_for_ready(true);
    grpc::Status status = purchase_stub_->ListPurchases(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    all.insert(all.end(), response.purchases().begin(), response.purchases().end());
    token = response.page().next_page_token();
  } while (!token.empty());
  return all;
}

std::vector<Payment> UsedcarFixture::AllPayments(const std::string& payer) {
  std::vector<Payment> all;
  std::string token;
  do {
    billing::v1::ListPaymentsRequest request;
    request.set_merchant("usedcar");
    request.set_payer_id(payer);
    request.mutable_page()->set_page_size(100);
    request.mutable_page()->set_page_token(token);
    billing::v1::ListPaymentsResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    // The channel may still be backing off from a restart of the service.
    context.set_wait_for_ready(true);
    grpc::Status status = billing_stub_->ListPayments(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    all.insert(all.end(), response.payments().begin(), response.payments().end());
    token = response.page().next_page_token();
  } while (!token.empty());
  return all;
}

void UsedcarFixture::WaitForPurchases(
    const std::string& customer, const std::function<bool(const std::vector<Purchase>&)>& pred,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<Purchase> purchases;
  while (absl::Now() < deadline) {
    purchases = AllPurchases(customer);
    if (pred(purchases)) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::string dump;
  for (const Purchase& p : purchases) absl::StrAppend(&dump, p.ShortDebugString(), "\n");
  ADD_FAILURE() << "purchases of " << customer << " never reached the expected state:\n" << dump;
}

void UsedcarFixture::ExpectNoChargeWithoutSale() {
  std::map<std::string, Purchase> purchases;
  for (Purchase& p : AllPurchases()) purchases[p.purchase_id()] = std::move(p);
  std::map<std::string, std::vector<Payment>> by_purchase;
  const std::string prefix = "usedcar/purchase/";
  for (Payment& payment : AllPayments()) {
    ASSERT_EQ(payment.reference().rfind(prefix, 0), 0u) << payment.ShortDebugString();
    by_purchase[payment.reference().substr(prefix.size())].push_back(std::move(payment));
  }
  for (const auto& [id, purchase] : purchases) {
    EXPECT_NE(purchase.status(), usedcar::purchase::v1::PURCHASE_STATUS_PENDING)
        << "left pending: " << purchase.ShortDebugString();
    int captured = 0, refunded = 0;
    for (const Payment& payment : by_purchase[id]) {
      captured += payment.status() == billing::v1::PAYMENT_STATUS_CAPTURED;
      refunded += payment.status() == billing::v1::PAYMENT_STATUS_REFUNDED;
    }
    switch (purchase.status()) {
      case usedcar::purchase::v1::PURCHASE_STATUS_PAID:
      case usedcar::purchase::v1::PURCHASE_STATUS_CANCELLING:
        EXPECT_EQ(captured, 1) << "sale without exactly one charge: " << purchase.ShortDebugString();
        EXPECT_EQ(refunded, 0) << purchase.ShortDebugString();
        break;
      case usedcar::purchase::v1::PURCHASE_STATUS_CANCELLED:
        EXPECT_EQ(refunded, 1) << purchase.ShortDebugString();
        EXPECT_EQ(captured, 0) << purchase.ShortDebugString();
        break;
      default:
        break;
    }
  }
  for (const auto& [id, payments] : by_purchase) {
    for (const Payment& payment : payments) {
      const bool money_moved = payment.status() == billing::v1::PAYMENT_STATUS_CAPTURED ||
                               payment.status() == billing::v1::PAYMENT_STATUS_REFUNDED;
      if (money_moved) {
        EXPECT_TRUE(purchases.count(id) == 1) << "charge without a sale: " << payment.ShortDebugString();
      }
    }
  }
}

}  // namespace mesh::e2e
