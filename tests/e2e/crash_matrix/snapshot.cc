#include "tests/e2e/crash_matrix/snapshot.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "billing/v1/billing.grpc.pb.h"
#include "notification/v1/notification.grpc.pb.h"
#include "usedcar/consign/v1/consign.grpc.pb.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::crash_matrix {
namespace {

constexpr int kPageSize = 500;
constexpr int kAttempts = 40;

absl::Status ToAbsl(const grpc::Status& status, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

// One call, asked again while the service is briefly away.
template <typename Response>
grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*, Response*)>& call,
                  Response* response) {
  grpc::Status status;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.set_wait_for_ready(true);
    response->Clear();
    status = call(&context, response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return status;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  return status;
}

// Pages through a List method and hands every page to `take`.
template <typename Request, typename Response>
absl::Status ListAll(
    const std::string& what, Request request,
    const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& list,
    const std::function<void(Response&)>& take) {
  std::string token;
  do {
    request.mutable_page()->set_page_size(kPageSize);
    request.mutable_page()->set_page_token(token);
    Response response;
    grpc::Status status = Call<Response>(
        [&](grpc::ClientContext* context, Response* out) { return list(context, request, out); },
        &response);
    if (!status.ok()) return ToAbsl(status, what);
    take(response);
    token = response.page().next_page_token();
  } while (!token.empty());
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T> Retried(const std::function<absl::StatusOr<T>()>& read) {
  absl::StatusOr<T> result = read();
  for (int attempt = 1; attempt < kAttempts && !result.ok() &&
                        result.status().code() == absl::StatusCode::kUnavailable;
       ++attempt) {
    absl::SleepFor(absl::Milliseconds(250));
    result = read();
  }
  return result;
}

absl::StatusOr<std::vector<usedcar::purchase::v1::Purchase>> ListPurchases(const Cluster& cluster) {
  namespace v1 = usedcar::purchase::v1;
  auto stub = v1::PurchaseService::NewStub(cluster.channel("purchase"));
  std::vector<v1::Purchase> purchases;
  absl::Status status = ListAll<v1::ListPurchasesRequest, v1::ListPurchasesResponse>(
      "ListPurchases", {},
      [&](grpc::ClientContext* c, const v1::ListPurchasesRequest& r, v1::ListPurchasesResponse* o) {
        return stub->ListPurchases(c, r, o);
      },
      [&](v1::ListPurchasesResponse& page) {
        for (v1::Purchase& p : *page.mutable_purchases()) purchases.push_back(std::move(p));
      });
  if (!status.ok()) return status;
  return purchases;
}

}  // namespace

absl::StatusOr<Snapshot> TakeSnapshot(const Cluster& cluster, messaging::NatsClient& nats,
                                      const std::vector<std::string>& buyers) {
  Snapshot snapshot;
  absl::StatusOr<std::vector<usedcar::purchase::v1::Purchase>> purchases = ListPurchases(cluster);
  if (!purchases.ok()) return purchases.status();
  snapshot.purchases = std::move(*purchases);

  {
    namespace v1 = billing::v1;
    auto stub = v1::BillingService::NewStub(cluster.channel("billing"));
    v1::ListPaymentsRequest request;
    request.set_merchant("usedcar");
    absl::Status status = ListAll<v1::ListPaymentsRequest, v1::ListPaymentsResponse>(
        "ListPayments", request,
        [&](grpc::ClientContext* c, const v1::ListPaymentsRequest& r, v1::ListPaymentsResponse* o) {
          return stub->ListPayments(c, r, o);
        },
        [&](v1::ListPaymentsResponse& page) {
          for (v1::Payment& p : *page.mutable_payments()) snapshot.payments.push_back(std::move(p));
        });
    if (!status.ok()) return status;
  }
  {
    namespace v1 = usedcar::consign::v1;
    auto stub = v1::ConsignService::NewStub(cluster.channel("consign"));
    absl::Status status = ListAll<v1::ListConsignmentsRequest, v1::ListConsignmentsResponse>(
        "ListConsignments", {},
        [&](grpc::ClientContext* c, const v1::ListConsignmentsRequest& r,
            v1::ListConsignmentsResponse* o) { return stub->ListConsignments(c, r, o); },
        [&](v1::ListConsignmentsResponse& page) {
          for (v1::Consignment& c : *page.mutable_consignments()) {
            snapshot.consignments.push_back(std::move(c));
          }
        });
    if (!status.ok()) return status;
  }
  {
    namespace v1 = usedcar::stock::v1;
    auto stub = v1::StockService::NewStub(cluster.channel("stock"));
    absl::Status status = ListAll<v1::ListStockRequest, v1::ListStockResponse>(
        "ListStock", {},
        [&](grpc::ClientContext* c, const v1::ListStockRequest& r, v1::ListStockResponse* o) {
          return stub->ListStock(c, r, o);
        },
        [&](v1::ListStockResponse& page) {
          for (v1::Stock& s : *page.mutable_stocks()) snapshot.stocks.push_back(std::move(s));
        });
    if (!status.ok()) return status;
  }
  for (const std::string& buyer : buyers) {
    namespace v1 = usedcar::dashboard::v1;
    auto stub = v1::DashboardService::NewStub(cluster.channel("dashboard"));
    v1::ListPurchaseViewsRequest request;
    request.set_customer_id(buyer);
    absl::Status status = ListAll<v1::ListPurchaseViewsRequest, v1::ListPurchaseViewsResponse>(
        "ListPurchaseViews", request,
        [&](grpc::ClientContext* c, const v1::ListPurchaseViewsRequest& r,
            v1::ListPurchaseViewsResponse* o) { return stub->ListPurchaseViews(c, r, o); },
        [&](v1::ListPurchaseViewsResponse& page) {
          for (v1::PurchaseView& v : *page.mutable_views()) snapshot.views.push_back(std::move(v));
        });
    if (!status.ok()) return status;
  }
  for (const std::string& buyer : buyers) {
    namespace v1 = notification::v1;
    auto stub = v1::NotificationService::NewStub(cluster.channel("notification"));
    v1::ListNotificationsRequest request;
    request.set_recipient(buyer);
    absl::Status status = ListAll<v1::ListNotificationsRequest, v1::ListNotificationsResponse>(
        "ListNotifications", request,
        [&](grpc::ClientContext* c, const v1::ListNotificationsRequest& r,
            v1::ListNotificationsResponse* o) { return stub->ListNotifications(c, r, o); },
        [&](v1::ListNotificationsResponse& page) {
          for (v1::Notification& n : *page.mutable_notifications()) {
            snapshot.notifications.push_back(std::move(n));
          }
        });
    if (!status.ok()) return status;
  }
  for (const std::string& stream : StoryStreams()) {
    absl::StatusOr<StreamContents> contents = Retried<StreamContents>(
        [&]() -> absl::StatusOr<StreamContents> { return ReadStream(nats, stream); });
    if (!contents.ok()) return contents.status();
    snapshot.streams[stream] = std::move(*contents);
  }
  for (const ServiceSpec& spec : Services()) {
    if (!spec.consumes) continue;
    absl::StatusOr<uint64_t> count = Retried<uint64_t>(
        [&]() -> absl::StatusOr<uint64_t> { return DeadLetterCount(nats, spec.context); });
    if (!count.ok()) return count.status();
    snapshot.dead_letters[spec.name] = *count;
  }
  return snapshot;
}

absl::StatusOr<std::string> StillMoving(const Cluster& cluster, messaging::NatsClient& nats) {
  std::vector<std::string> moving;
  absl::StatusOr<std::vector<usedcar::purchase::v1::Purchase>> purchases = ListPurchases(cluster);
  if (!purchases.ok()) return purchases.status();
  int unsettled = 0;
  for (const auto& purchase : *purchases) {
    unsettled += purchase.status() == usedcar::purchase::v1::PURCHASE_STATUS_PENDING ||
                 purchase.status() == usedcar::purchase::v1::PURCHASE_STATUS_CANCELLING;
  }
  if (unsettled > 0) moving.push_back(absl::StrCat(unsettled, " purchases unsettled"));
  for (const std::string& stream : StoryStreams()) {
    absl::StatusOr<std::map<std::string, uint64_t>> backlogs = ConsumerBacklogs(nats, stream);
    if (!backlogs.ok()) return backlogs.status();
    for (const auto& [durable, backlog] : *backlogs) {
      if (backlog > 0) moving.push_back(absl::StrCat(durable, " on ", stream, ": ", backlog));
    }
  }
  return absl::StrJoin(moving, ", ");
}

}  // namespace mesh::crash_matrix
