// The fixture of the API contract tests (issue 4): the e2e harness's real
// services on free ports, with helpers to buy a car and to wait for what the
// events bring. The tests themselves are api_*_test.cc.
#pragma once

#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "billing/v1/billing.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/contract/api_contract.h"
#include "tests/e2e/usedcar_fixture.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"

namespace mesh::contract {

inline constexpr int64_t kPrice = 25'000'000;

// Polls until done() holds or the timeout passes; returns whether it held.
inline bool WaitUntil(const std::function<bool()>& done,
                      absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

// The request with its page set.
template <typename Request>
Request WithPage(Request request, int page_size, const std::string& token = "") {
  request.mutable_page()->set_page_size(page_size);
  request.mutable_page()->set_page_token(token);
  return request;
}

class ApiContractTest : public e2e::UsedcarFixture {
 protected:
  // RequestPurchase at the KRW price kPrice; expects it to succeed.
  usedcar::purchase::v1::Purchase Buy(const std::string& request_id, const std::string& customer,
                                      const std::string& car) {
    e2e::CallResult result = RequestPurchase(request_id, customer, car, kPrice);
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    return result.purchase;
  }

  // Polls a read until it answers OK and pred holds; returns the last answer.
  template <typename Service, typename Request, typename Response>
  Response Await(const std::string& address,
                 grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                    Response*),
                 const Request& request, const std::function<bool(const Response&)>& pred) {
    auto stub = Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    Response response;
    const bool reached = WaitUntil([&] {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      response.Clear();
      return ((*stub).*rpc)(&context, request, &response).ok() && pred(response);
    });
    EXPECT_TRUE(reached) << request.ShortDebugString()
                         << " never got there: " << response.ShortDebugString();
    return response;
  }
};

}  // namespace mesh::contract
