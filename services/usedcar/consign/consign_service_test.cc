#include "services/usedcar/consign/consign_service.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/messaging/event.h"
#include "libs/status/status.h"
#include "libs/testing/fake_clock.h"
#include "libs/testing/in_process_server.h"
#include "libs/testing/paths.h"
#include "services/usedcar/consign/consign_policy.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"

namespace usedcar::consign {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using common::v1::EventEnvelope;
using Stub = v1::ConsignService::Stub;

constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

class ConsignServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<mesh::storage::Store>> store = mesh::storage::Store::Open(
        {dir_.path() + "/consign", /*sync=*/false, ConsignmentRepository::ColumnFamilies()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    repository_ = std::make_unique<ConsignmentRepository>(store_.get());
    service_ = std::make_unique<ConsignService>(repository_.get(), clock_);
    absl::Status started = server_.Start({service_.get()});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::ConsignService::NewStub(server_.NewChannel());
  }

  void TearDown() override { server_.Shutdown(); }

  // Creates a SCHEDULED consignment the way production does: from a Purchased event.
  std::string Schedule(const std::string& purchase_id, const std::string& customer_id = "buyer-1") {
    ConsignPolicy policy(repository_.get(), clock_, {.auto_dispatch = false});
    purchase::v1::Purchased purchased;
    purchased.set_purchase_id(purchase_id);
    purchased.set_customer_id(customer_id);
    purchased.set_car_id("car-1");
    EventEnvelope event = mesh::messaging::MakeEvent(
        {.producer = "usedcar.purchase", .aggregate_id = purchase_id}, purchased, clock_.Now());
    mesh::storage::UnitOfWork work;
    work.MarkInbox(event.event_id());
    absl::Status handled = policy.OnPurchased(event, work);
    EXPECT_TRUE(handled.ok()) << handled;
    return ConsignmentIdFor(purchase_id);
  }

  template <typename Request, typename Response>
  absl::StatusOr<Consignment> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                                Response*),
                                   const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("traceparent", kTraceparent);
    Response response;
    grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response.consignment();
  }

  absl::StatusOr<Consignment> MarkConsigned(const std::string& id) {
    v1::MarkConsignedRequest request;
    request.set_consignment_id(id);
    return Call(&Stub::MarkConsigned, request);
  }

  absl::StatusOr<Consignment> MarkDelivered(const std::string& id) {
    v1::MarkDeliveredRequest request;
    request.set_consignment_id(id);
    return Call(&Stub::MarkDelivered, request);
  }

  absl::StatusOr<Consignment> GetConsignment(const std::string& id) {
    v1::GetConsignmentRequest request;
    request.set_consignment_id(id);
    return Call(&Stub::GetConsignment, request);
  }

  absl::StatusOr<Consignment> GetByPurchase(const std::string& purchase_id) {
    v1::GetConsignmentByPurchaseRequest request;
    request.set_purchase_id(purchase_id);
    return Call(&Stub::GetConsignmentByPurchase, request);
  }

  absl::StatusOr<v1::ListConsignmentsResponse> List(const v1::ListConsignmentsRequest& request) {
    grpc::ClientContext context;
    v1::ListConsignmentsResponse response;
    grpc::Status status = stub_->ListConsignments(&context, request, &response);
    if (!status.ok()) return mesh::status::FromGrpcStatus(status);
    return response;
  }

  // Every consignment id across all pages of the query.
  std::vector<std::string> ListAll(v1::ListConsignmentsRequest request, int page_size) {
    std::vector<std::string> ids;
    request.mutable_page()->set_page_size(page_size);
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<v1::ListConsignmentsResponse> page = List(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->consignments_size(), page_size);
      for (const Consignment& c : page->consignments()) ids.push_back(c.consignment_id());
      if (page->page().next_page_token().empty()) break;
      request.mutable_page()->set_page_token(page->page().next_page_token());
    }
    return ids;
  }

  std::vector<EventEnvelope> Outbox() {
    std::vector<EventEnvelope> events;
    absl::Status scanned = store_->ScanOutbox(0, [&](uint64_t, std::string_view row) {
      events.emplace_back().ParseFromArray(row.data(), static_cast<int>(row.size()));
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
    return events;
  }

  mesh::testing::TempDir dir_;
  mesh::testing::FakeClock clock_;
  std::unique_ptr<mesh::storage::Store> store_;
  std::unique_ptr<ConsignmentRepository> repository_;
  std::unique_ptr<ConsignService> service_;
  mesh::testing::InProcessServer server_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(ConsignServiceTest, MarkConsigned_Scheduled_ConsignedWithEventCausedByTheRpc) {
  const std::string id = Schedule("pur_1");
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<Consignment> consigned = MarkConsigned(id);
  ASSERT_TRUE(consigned.ok()) << consigned.status();
  EXPECT_EQ(consigned->status(), v1::CONSIGNMENT_STATUS_CONSIGNED);
  EXPECT_EQ(consigned->version(), 2);
  EXPECT_EQ(consigned->consign_time().seconds(), absl::ToUnixSeconds(clock_.Now()));

  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].event_type(), "Consigned");
  EXPECT_EQ(outbox[0].producer(), "usedcar.consign");
  EXPECT_EQ(outbox[0].aggregate_id(), id);
  EXPECT_EQ(outbox[0].aggregate_version(), 2);
  EXPECT_EQ(outbox[0].correlation_id(), "usedcar/purchase/pur_1");
  EXPECT_EQ(outbox[0].causation_id(), "MarkConsigned");
  EXPECT_EQ(outbox[0].traceparent(), kTraceparent);
  absl::StatusOr<Consignment> stored = GetConsignment(id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->SerializeAsString(), consigned->SerializeAsString());
}

TEST_F(ConsignServiceTest, MarkConsigned_Twice_SameConsignmentOneEvent) {
  const std::string id = Schedule("pur_1");
  absl::StatusOr<Consignment> first = MarkConsigned(id);
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<Consignment> second = MarkConsigned(id);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(ConsignServiceTest, MarkConsigned_Delivered_FailedPreconditionNamingState) {
  const std::string id = Schedule("pur_1");
  ASSERT_TRUE(MarkConsigned(id).ok());
  ASSERT_TRUE(MarkDelivered(id).ok());
  absl::StatusOr<Consignment> again = MarkConsigned(id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(), "cannot consign a consignment that is DELIVERED");
  EXPECT_EQ(GetConsignment(id)->status(), v1::CONSIGNMENT_STATUS_DELIVERED);
}

TEST_F(ConsignServiceTest, MarkDelivered_Scheduled_FailedPreconditionNothingWritten) {
  const std::string id = Schedule("pur_1");
  absl::StatusOr<Consignment> delivered = MarkDelivered(id);
  EXPECT_EQ(delivered.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(delivered.status().message(), "cannot deliver a consignment that is SCHEDULED");
  EXPECT_EQ(GetConsignment(id)->version(), 1);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(ConsignServiceTest, MarkDelivered_ConsignedTwice_DeliveredOnceOneEvent) {
  const std::string id = Schedule("pur_1");
  ASSERT_TRUE(MarkConsigned(id).ok());
  absl::StatusOr<Consignment> first = MarkDelivered(id);
  absl::StatusOr<Consignment> second = MarkDelivered(id);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->status(), v1::CONSIGNMENT_STATUS_DELIVERED);
  EXPECT_EQ(second->version(), first->version());
  std::vector<EventEnvelope> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[1].event_type(), "ConsignDelivered");
  EXPECT_EQ(outbox[1].causation_id(), "MarkDelivered");
  EXPECT_EQ(outbox[1].aggregate_version(), 3);
}

TEST_F(ConsignServiceTest, EveryCall_EmptyId_InvalidArgumentNamingField) {
  EXPECT_EQ(MarkConsigned("").status(),
            absl::InvalidArgumentError("consignment_id is required"));
  EXPECT_EQ(MarkDelivered("").status(),
            absl::InvalidArgumentError("consignment_id is required"));
  EXPECT_EQ(GetConsignment("").status(),
            absl::InvalidArgumentError("consignment_id is required"));
  EXPECT_EQ(GetByPurchase("").status(), absl::InvalidArgumentError("purchase_id is required"));
}

TEST_F(ConsignServiceTest, UnknownIds_NotFound) {
  EXPECT_EQ(MarkConsigned("con_x").status(), absl::NotFoundError("no consignment con_x"));
  EXPECT_EQ(MarkDelivered("con_x").status(), absl::NotFoundError("no consignment con_x"));
  EXPECT_EQ(GetConsignment("con_x").status(), absl::NotFoundError("no consignment con_x"));
  EXPECT_EQ(GetByPurchase("pur_x").status(),
            absl::NotFoundError("no consignment for purchase pur_x"));
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(ConsignServiceTest, GetConsignmentByPurchase_Known_ReturnsItsConsignment) {
  Schedule("pur_1");
  Schedule("pur_2");
  absl::StatusOr<Consignment> consignment = GetByPurchase("pur_2");
  ASSERT_TRUE(consignment.ok()) << consignment.status();
  EXPECT_EQ(consignment->consignment_id(), "con_pur_2");
  EXPECT_EQ(consignment->purchase_id(), "pur_2");
}

TEST_F(ConsignServiceTest, ListConsignments_ByCustomerAndAll_PagedInIdOrder) {
  Schedule("pur_3", "buyer-a");
  Schedule("pur_1", "buyer-a");
  Schedule("pur_2", "buyer-b");
  Schedule("pur_4", "buyer-a/x");
  Schedule("pur_5", "buyer-a");

  v1::ListConsignmentsRequest by_a;
  by_a.set_customer_id("buyer-a");
  EXPECT_THAT(ListAll(by_a, 2), ElementsAre("con_pur_1", "con_pur_3", "con_pur_5"));
  EXPECT_THAT(ListAll(v1::ListConsignmentsRequest(), 2),
              ElementsAreArray({"con_pur_1", "con_pur_2", "con_pur_3", "con_pur_4", "con_pur_5"}));
  v1::ListConsignmentsRequest nobody;
  nobody.set_customer_id("nobody");
  EXPECT_TRUE(ListAll(nobody, 2).empty());
}

TEST_F(ConsignServiceTest, ListConsignments_BadPage_InvalidArgumentNamingField) {
  Schedule("pur_1", "buyer-a");
  Schedule("pur_2", "buyer-a");
  v1::ListConsignmentsRequest request;
  request.mutable_page()->set_page_size(-1);
  EXPECT_EQ(List(request).status(),
            absl::InvalidArgumentError("page.page_size must not be negative"));

  request.mutable_page()->set_page_size(0);
  request.mutable_page()->set_page_token("%%%");
  EXPECT_EQ(List(request).status().code(), absl::StatusCode::kInvalidArgument);

  v1::ListConsignmentsRequest by_a;
  by_a.set_customer_id("buyer-a");
  by_a.mutable_page()->set_page_size(1);
  absl::StatusOr<v1::ListConsignmentsResponse> first = List(by_a);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->page().next_page_token().empty());
  v1::ListConsignmentsRequest by_b;
  by_b.set_customer_id("buyer-b");
  by_b.mutable_page()->set_page_token(first->page().next_page_token());
  absl::Status other = List(by_b).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other.message(), "page.page_token belongs to a different listing");
}

}  // namespace
}  // namespace usedcar::consign
