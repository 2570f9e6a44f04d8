// A BillingService on a real Store in a temporary directory, served in-process
// on 127.0.0.1:0 and called through the generated stub. Test-only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/status/status.h"
#include "libs/storage/store.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/in_process_server.h"
#include "libs/testing/paths.h"
#include "services/billing/billing_service.h"
#include "services/billing/payment_repository.h"

namespace billing::test {

using Stub = v1::BillingService::Stub;

inline constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

inline v1::PayRequest PayRequest(const std::string& key, int64_t amount = 1000,
                                 const std::string& merchant = "usedcar") {
  v1::PayRequest request;
  request.set_idempotency_key(key);
  request.set_merchant(merchant);
  request.set_reference(absl::StrCat(merchant, "/purchase/", key));
  request.set_payer_id("buyer-1");
  request.mutable_amount()->set_currency_code("KRW");
  request.mutable_amount()->set_amount_minor(amount);
  return request;
}

inline v1::AuthorizeRequest AuthorizeRequest(const std::string& key) {
  v1::AuthorizeRequest request;
  request.set_idempotency_key(key);
  request.set_merchant("delivery");
  request.set_reference(absl::StrCat("delivery/call/", key));
  request.mutable_amount()->set_currency_code("KRW");
  request.mutable_amount()->set_amount_minor(3000);
  return request;
}

template <typename Request>
Request ByPayment(const std::string& key, const std::string& payment_id) {
  Request request;
  request.set_idempotency_key(key);
  request.set_payment_id(payment_id);
  return request;
}

inline v1::CancelRequest CancelRequest(const std::string& key) {
  v1::CancelRequest request;
  request.set_idempotency_key(key);
  request.set_merchant("usedcar");
  request.set_reference(absl::StrCat("usedcar/purchase/", key));
  return request;
}

class BillingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {dir_.path() + "/billing", /*sync=*/false, PaymentRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<PaymentRepository>(*store_, clock_);
    StartServer(FaultOptions{});
  }

  void TearDown() override { StopServer(); }

  void StartServer(FaultOptions faults) {
    service_ = std::make_unique<BillingService>(*repository_, faults);
    absl::Status started = server_.Start({service_.get()});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::BillingService::NewStub(server_.NewChannel());
  }

  // Waits for every call in flight, including ones a fault-drill alarm holds.
  void StopServer() { server_.Shutdown(); }

  template <typename Request, typename Response>
  absl::StatusOr<Payment> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
                               const Request& request, absl::Duration timeout = absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    context.AddMetadata("traceparent", kTraceparent);
    Response response;
    grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response.payment();
  }

  absl::StatusOr<v1::ListPaymentsResponse> List(v1::ListPaymentsRequest request) {
    grpc::ClientContext context;
    v1::ListPaymentsResponse response;
    grpc::Status status = stub_->ListPayments(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response;
  }

  // Every payment id across all pages of the query.
  std::vector<std::string> ListAll(v1::ListPaymentsRequest request, int page_size) {
    std::vector<std::string> ids;
    request.mutable_page()->set_page_size(page_size);
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<v1::ListPaymentsResponse> page = List(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->payments_size(), page_size);
      for (const Payment& payment : page->payments()) ids.push_back(payment.payment_id());
      if (page->page().next_page_token().empty()) break;
      request.mutable_page()->set_page_token(page->page().next_page_token());
    }
    return ids;
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

  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> types;
    for (const auto& event : Outbox()) types.push_back(event.event_type());
    return types;
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<PaymentRepository> repository_;
  std::unique_ptr<BillingService> service_;
  mesh::testing::InProcessServer server_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace billing::test
