// API contracts of the used-car downstream contexts: consign, stock and the
// dashboard (issue 4; see api_contract.h for what each ExpectCall proves).
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/contract/api_contract.h"
#include "tests/contract/api_contract_fixture.h"
#include "tests/contract/command.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::contract {
namespace {

using grpc::StatusCode;
using ::testing::HasSubstr;
using ConsignService = usedcar::consign::v1::ConsignService;
using StockService = usedcar::stock::v1::StockService;
using DashboardService = usedcar::dashboard::v1::DashboardService;
namespace pv1 = usedcar::purchase::v1;
namespace cv1 = usedcar::consign::v1;
namespace sv1 = usedcar::stock::v1;
namespace dv1 = usedcar::dashboard::v1;

TEST_F(ApiContractTest, Consign_EveryRpc_AnswersPerContract) {
  StartBilling();
  StartPurchase();
  Start("consign", {"--auto_dispatch=false"});
  const std::string at = address("consign");
  const pv1::Purchase purchase = Buy("req-1", "buyer-1", "car-1");
  cv1::GetConsignmentByPurchaseRequest by_purchase;
  by_purchase.set_purchase_id(purchase.purchase_id());
  Await<ConsignService>(at, &ConsignService::Stub::GetConsignmentByPurchase, by_purchase,
                        std::function<bool(const cv1::GetConsignmentByPurchaseResponse&)>(
                            [](const auto&) { return true; }));

  const cv1::Consignment scheduled =
      ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignmentByPurchase,
                                 "GetConsignmentByPurchase", by_purchase, Ok())
          .consignment();
  EXPECT_EQ(scheduled.status(), cv1::CONSIGNMENT_STATUS_SCHEDULED);
  EXPECT_EQ(scheduled.customer_id(), "buyer-1");
  EXPECT_EQ(scheduled.car_id(), "car-1");
  by_purchase.set_purchase_id("pur_unknown");
  ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignmentByPurchase,
                             "GetConsignmentByPurchase", by_purchase,
                             Fails(StatusCode::NOT_FOUND, "pur_unknown"));
  by_purchase.clear_purchase_id();
  ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignmentByPurchase,
                             "GetConsignmentByPurchase", by_purchase,
                             Fails(StatusCode::INVALID_ARGUMENT, "purchase_id is required"));

  cv1::GetConsignmentRequest get;
  get.set_consignment_id(scheduled.consignment_id());
  EXPECT_EQ(ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignment, "GetConsignment",
                                       get, Ok())
                .consignment()
                .purchase_id(),
            purchase.purchase_id());
  get.set_consignment_id("con_unknown");
  ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignment, "GetConsignment", get,
                             Fails(StatusCode::NOT_FOUND, "con_unknown"));
  get.clear_consignment_id();
  ExpectCall<ConsignService>(at, &ConsignService::Stub::GetConsignment, "GetConsignment", get,
                             Fails(StatusCode::INVALID_ARGUMENT, "consignment_id is required"));

  cv1::MarkDeliveredRequest deliver;
  deliver.set_consignment_id(scheduled.consignment_id());
  ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkDelivered, "MarkDelivered", deliver,
                             Fails(StatusCode::FAILED_PRECONDITION, "SCHEDULED"));
  cv1::MarkConsignedRequest consign;
  consign.set_consignment_id(scheduled.consignment_id());
  EXPECT_EQ(ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkConsigned, "MarkConsigned",
                                       consign, Ok())
                .consignment()
                .status(),
            cv1::CONSIGNMENT_STATUS_CONSIGNED);
  EXPECT_EQ(ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkDelivered, "MarkDelivered",
                                       deliver, Ok())
                .consignment()
                .status(),
            cv1::CONSIGNMENT_STATUS_DELIVERED);
  ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkConsigned, "MarkConsigned", consign,
                             Fails(StatusCode::FAILED_PRECONDITION, "DELIVERED"));
  consign.set_consignment_id("con_unknown");
  ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkConsigned, "MarkConsigned", consign,
                             Fails(StatusCode::NOT_FOUND, "con_unknown"));
  deliver.clear_consignment_id();
  ExpectCall<ConsignService>(at, &ConsignService::Stub::MarkDelivered, "MarkDelivered", deliver,
                             Fails(StatusCode::INVALID_ARGUMENT, "consignment_id is required"));

  cv1::ListConsignmentsRequest list;
  list.set_customer_id("buyer-1");
  const cv1::ListConsignmentsResponse listed = ExpectCall<ConsignService>(
      at, &ConsignService::Stub::ListConsignments, "ListConsignments", list, Ok());
  ASSERT_EQ(listed.consignments_size(), 1);
  EXPECT_EQ(listed.consignments(0).status(), cv1::CONSIGNMENT_STATUS_DELIVERED);
  ExpectCall<ConsignService>(at, &ConsignService::Stub::ListConsignments, "ListConsignments",
                             WithPage(list, -1),
                             Fails(StatusCode::INVALID_ARGUMENT, "page.page_size"));
  ExpectCall<ConsignService>(at, &ConsignService::Stub::ListConsignments, "ListConsignments",
                             WithPage(list, 10, "garbage"),
                             Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));
  ExpectEveryMethodCalled(ConsignService::service_full_name());
}

TEST_F(ApiContractTest, Stock_EveryRpc_AnswersPerContract) {
  Start("stock");
  const std::string at = address("stock");
  sv1::StockInRequest stock_in;
  stock_in.set_car_id("car-1");
  stock_in.set_quantity(3);
  stock_in.set_idempotency_key("stock-in-1");
  const sv1::Stock stocked =
      ExpectCall<StockService>(at, &StockService::Stub::StockIn, "StockIn", stock_in, Ok()).stock();
  EXPECT_EQ(stocked.quantity(), 3);
  EXPECT_EQ(stocked.stocked_in(), 3);
  {
    sv1::StockInRequest more = stock_in;
    more.set_quantity(4);
    ExpectCall<StockService>(at, &StockService::Stub::StockIn, "StockIn", more,
                             Fails(StatusCode::ALREADY_EXISTS, "was used for a different request"));
    const std::vector<std::pair<std::function<void(sv1::StockInRequest&)>, std::string>> bad = {
        {[](auto& r) { r.clear_car_id(); }, "car_id is required"},
        {[](auto& r) { r.set_car_id("car 1"); }, "car_id must be printable ASCII"},
        {[](auto& r) { r.set_quantity(0); }, "quantity must be between 1 and 1000000"},
        {[](auto& r) { r.clear_idempotency_key(); }, "idempotency_key is required"},
    };
    for (const auto& [spoil, field] : bad) {
      sv1::StockInRequest wrong = stock_in;
      wrong.set_idempotency_key("stock-in-bad");
      spoil(wrong);
      ExpectCall<StockService>(at, &StockService::Stub::StockIn, "StockIn", wrong,
                               Fails(StatusCode::INVALID_ARGUMENT, field));
    }
  }
  sv1::GetStockRequest get;
  get.set_car_id("car-1");
  EXPECT_EQ(ExpectCall<StockService>(at, &StockService::Stub::GetStock, "GetStock", get, Ok())
                .stock()
                .quantity(),
            3);
  get.set_car_id("car-unknown");
  ExpectCall<StockService>(at, &StockService::Stub::GetStock, "GetStock", get,
                           Fails(StatusCode::NOT_FOUND, "car-unknown"));
  get.clear_car_id();
  ExpectCall<StockService>(at, &StockService::Stub::GetStock, "GetStock", get,
                           Fails(StatusCode::INVALID_ARGUMENT, "car_id is required"));

  const sv1::ListStockResponse listed = ExpectCall<StockService>(
      at, &StockService::Stub::ListStock, "ListStock", sv1::ListStockRequest(), Ok());
  ASSERT_EQ(listed.stocks_size(), 1);
  EXPECT_EQ(listed.stocks(0).car_id(), "car-1");
  ExpectCall<StockService>(at, &StockService::Stub::ListStock, "ListStock",
                           WithPage(sv1::ListStockRequest(), -1),
                           Fails(StatusCode::INVALID_ARGUMENT, "page.page_size"));
  ExpectCall<StockService>(at, &StockService::Stub::ListStock, "ListStock",
                           WithPage(sv1::ListStockRequest(), 10, "garbage"),
                           Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));
  ExpectEveryMethodCalled(StockService::service_full_name());
}

TEST_F(ApiContractTest, Dashboard_EveryRpc_AnswersPerContract) {
  StartBilling();
  StartPurchase();
  Start("dashboard");
  const std::string at = address("dashboard");
  const pv1::Purchase purchase = Buy("req-1", "buyer-1", "car-1");
  dv1::GetPurchaseViewRequest get;
  get.set_purchase_id(purchase.purchase_id());
  const std::function<bool(const dv1::GetPurchaseViewResponse&)> paid_and_captured =
      [](const dv1::GetPurchaseViewResponse& r) {
        return r.view().purchase_status() == dv1::VIEW_PURCHASE_STATUS_PAID &&
               r.view().payment_status() == dv1::VIEW_PAYMENT_STATUS_CAPTURED;
      };
  Await<DashboardService>(at, &DashboardService::Stub::GetPurchaseView, get, paid_and_captured);

  const dv1::PurchaseView view =
      ExpectCall<DashboardService>(at, &DashboardService::Stub::GetPurchaseView, "GetPurchaseView",
                                   get, Ok())
          .view();
  EXPECT_EQ(view.customer_id(), "buyer-1");
  EXPECT_EQ(view.payment_id(), purchase.payment_id());
  EXPECT_EQ(view.price().amount_minor(), kPrice);
  get.set_purchase_id("pur_unknown");
  ExpectCall<DashboardService>(at, &DashboardService::Stub::GetPurchaseView, "GetPurchaseView", get,
                               Fails(StatusCode::NOT_FOUND, "pur_unknown"));
  get.clear_purchase_id();
  ExpectCall<DashboardService>(at, &DashboardService::Stub::GetPurchaseView, "GetPurchaseView", get,
                               Fails(StatusCode::INVALID_ARGUMENT, "purchase_id is required"));

  dv1::ListPurchaseViewsRequest list;
  list.set_customer_id("buyer-1");
  ASSERT_EQ(ExpectCall<DashboardService>(at, &DashboardService::Stub::ListPurchaseViews,
                                         "ListPurchaseViews", list, Ok())
                .views_size(),
            1);
  ExpectCall<DashboardService>(at, &DashboardService::Stub::ListPurchaseViews, "ListPurchaseViews",
                               WithPage(list, 10, "garbage"),
                               Fails(StatusCode::INVALID_ARGUMENT, "page.page_token"));
  list.clear_customer_id();
  ExpectCall<DashboardService>(at, &DashboardService::Stub::ListPurchaseViews, "ListPurchaseViews",
                               list,
                               Fails(StatusCode::INVALID_ARGUMENT, "customer_id is required"));

  // WatchPurchaseView streams; its first message is the current view.
  dv1::WatchPurchaseViewRequest watch;
  watch.set_purchase_id(purchase.purchase_id());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      ExpectFirstStreamed<DashboardService>(at, &DashboardService::Stub::WatchPurchaseView,
                                            "WatchPurchaseView", watch)
          .view(),
      view));
  // Its errors come as the stream's status.
  const std::string watch_path =
      std::string(DashboardService::service_full_name()) + "/WatchPurchaseView";
  {
    auto stub =
        DashboardService::NewStub(grpc::CreateChannel(at, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    auto reader = stub->WatchPurchaseView(&context, dv1::WatchPurchaseViewRequest());
    dv1::WatchPurchaseViewResponse none;
    EXPECT_FALSE(reader->Read(&none));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("purchase_id is required"));
    absl::StatusOr<CommandResult> curl = BufCurl(at, watch_path, "{}");
    ASSERT_TRUE(curl.ok()) << curl.status();
    EXPECT_EQ(curl->exit_code, StatusCode::INVALID_ARGUMENT * 8) << curl->err;
    EXPECT_THAT(curl->err, HasSubstr("purchase_id is required"));
  }

  // RebuildViews (twice: the replay) drops the views and refills them from
  // the streams, each event applied once.
  ExpectCall<DashboardService>(at, &DashboardService::Stub::RebuildViews, "RebuildViews",
                               dv1::RebuildViewsRequest(), Ok());
  get.set_purchase_id(purchase.purchase_id());
  const dv1::PurchaseView rebuilt =
      Await<DashboardService>(at, &DashboardService::Stub::GetPurchaseView, get, paid_and_captured)
          .view();
  EXPECT_EQ(rebuilt.version(), view.version()) << rebuilt.ShortDebugString();
  EXPECT_EQ(rebuilt.payment_id(), view.payment_id());
  ExpectEveryMethodCalled(DashboardService::service_full_name());
}

}  // namespace
}  // namespace mesh::contract
