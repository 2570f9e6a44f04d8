#include "services/usedcar/dashboard/dashboard_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/server/paging.h"
#include "libs/server/unary.h"
#include "libs/status/status.h"

namespace usedcar::dashboard {
namespace {

using mesh::server::FinishUnary;

absl::Status CheckPurchaseId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("purchase_id is required");
  return absl::OkStatus();
}

// One WatchPurchaseView stream. At most one write is in flight; views that
// arrive meanwhile collapse into the newest, so a slow reader costs one view
// of memory. It owns itself (self_) until gRPC calls OnDone; the watcher
// registry may hold it a little longer, and then finds it ended.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchPurchaseViewResponse>,
                           public ViewWatcher {
 public:
  WatchReactor(DashboardRepository* repository, std::string purchase_id)
      : repository_(repository), purchase_id_(std::move(purchase_id)) {}

  void Begin(std::shared_ptr<WatchReactor> self) {
    self_ = std::move(self);
    absl::Status valid = CheckPurchaseId(purchase_id_);
    if (!valid.ok()) {
      End(mesh::status::ToGrpcStatus(valid), true);
      return;
    }
    absl::StatusOr<bool> added = repository_->Watch(purchase_id_, self_);
    if (!added.ok()) {
      End(mesh::status::ToGrpcStatus(added.status()), true);
      return;
    }
    if (!*added) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the dashboard is shutting down"), true);
      return;
    }
    // With no view to send yet, the headers alone tell the client that the
    // watch is registered. Under mu_ so that no write starts meanwhile; its
    // reaction takes no lock.
    std::lock_guard<std::mutex> lock(mu_);
    if (!wrote_ && !ending_) StartSendInitialMetadata();
  }

  void Offer(const v1::PurchaseView& view) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ending_) return;
      if (writing_) {
        pending_ = view;
        return;
      }
      writing_ = true;
      wrote_ = true;
      *response_.mutable_view() = view;
    }
    StartWrite(&response_);
  }

  void Close() override { End(grpc::Status::OK, false); }

  void OnWriteDone(bool ok) override {
    bool write_next = false;
    grpc::Status finish;
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (!ok) {
        pending_.reset();
        if (!ending_) {
          ending_ = true;
          status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the watch stream broke");
        }
      }
      if (pending_.has_value()) {
        writing_ = true;
        write_next = true;
        *response_.mutable_view() = std::move(*pending_);
        pending_.reset();
      } else if (ending_ && !finished_) {
        finished_ = true;
        finish = status_;
      } else {
        return;
      }
    }
    if (write_next) {
      StartWrite(&response_);
    } else {
      Finish(finish);
    }
  }

  void OnCancel() override {
    End(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the watch"), true);
  }

  void OnDone() override {
    repository_->Unwatch(purchase_id_, this);
    // Last: this may delete the reactor.
    std::shared_ptr<WatchReactor> self = std::move(self_);
  }

 private:
  // Finishes now, or after the write in flight (which then flushes the
  // pending view unless drop_pending). The first status wins.
  void End(grpc::Status status, bool drop_pending) {
    grpc::Status finish;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      if (!ending_) {
        ending_ = true;
        status_ = std::move(status);
      }
      if (drop_pending) pending_.reset();
      if (writing_) return;
      finished_ = true;
      finish = status_;
    }
    Finish(finish);
  }

  DashboardRepository* repository_;
  const std::string purchase_id_;
  std::shared_ptr<WatchReactor> self_;
  std::mutex mu_;
  bool writing_ = false;
  bool wrote_ = false;
  bool ending_ = false;
  bool finished_ = false;
  grpc::Status status_;
  std::optional<v1::PurchaseView> pending_;
  v1::WatchPurchaseViewResponse response_;
};

}  // namespace

DashboardService::DashboardService(DashboardRepository* repository,
                                   std::function<absl::Status()> rewind)
    : repository_(repository), rewind_(std::move(rewind)) {}

DashboardService::~DashboardService() { Shutdown(); }

grpc::ServerUnaryReactor* DashboardService::GetPurchaseView(
    grpc::CallbackServerContext* context, const v1::GetPurchaseViewRequest* request,
    v1::GetPurchaseViewResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = CheckPurchaseId(request->purchase_id());
  if (status.ok()) {
    absl::StatusOr<std::optional<v1::PurchaseView>> view =
        repository_->Get(request->purchase_id());
    if (!view.ok()) {
      status = view.status();
    } else if (!view->has_value()) {
      status = absl::NotFoundError(absl::StrCat("no purchase view ", request->purchase_id()));
    } else {
      *response->mutable_view() = std::move(**view);
    }
  }
  FinishUnary(context, reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* DashboardService::ListPurchaseViews(
    grpc::CallbackServerContext* context, const v1::ListPurchaseViewsRequest* request,
    v1::ListPurchaseViewsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->customer_id().empty()) {
    FinishUnary(context, reactor, absl::InvalidArgumentError("customer_id is required"));
    return reactor;
  }
  absl::StatusOr<int> page_size = mesh::server::PageSize(request->page());
  if (!page_size.ok()) {
    FinishUnary(context, reactor, page_size.status());
    return reactor;
  }
  absl::StatusOr<DashboardRepository::Page> page =
      repository_->List(request->customer_id(), *page_size, request->page().page_token());
  if (page.ok()) {
    for (v1::PurchaseView& view : page->views) *response->add_views() = std::move(view);
    response->mutable_page()->set_next_page_token(page->next_page_token);
  }
  FinishUnary(context, reactor, page.status());
  return reactor;
}

grpc::ServerWriteReactor<v1::WatchPurchaseViewResponse>* DashboardService::WatchPurchaseView(
    grpc::CallbackServerContext* context, const v1::WatchPurchaseViewRequest* request) {
  auto reactor = std::make_shared<WatchReactor>(repository_, request->purchase_id());
  WatchReactor* raw = reactor.get();
  raw->Begin(std::move(reactor));
  return raw;
}

grpc::ServerUnaryReactor* DashboardService::RebuildViews(grpc::CallbackServerContext* context,
                                                         const v1::RebuildViewsRequest*,
                                                         v1::RebuildViewsResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::lock_guard<std::mutex> lock(rebuild_mu_);
  if (shut_down_) {
    FinishUnary(context, reactor, absl::UnavailableError("the dashboard is shutting down"));
    return reactor;
  }
  if (rebuilding_) {
    FinishUnary(context, reactor,
                absl::FailedPreconditionError("a rebuild is already running; wait for it"));
    return reactor;
  }
  // The previous rebuild has finished its work; its thread is at most
  // finishing its call.
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  rebuilding_ = true;
  // Rewinding talks to the broker, which a gRPC thread must not wait for.
  rebuild_thread_ = std::thread([this, context, reactor] {
    absl::Status status = Rebuild();
    {
      std::lock_guard<std::mutex> done(rebuild_mu_);
      rebuilding_ = false;
    }
    FinishUnary(context, reactor, status);
  });
  return reactor;
}

absl::Status DashboardService::Rebuild() {
  if (!rewind_) return absl::FailedPreconditionError("no event consumer to replay the events");
  mesh::logging::Info("rebuilding the purchase views: clearing them");
  RETURN_IF_ERROR(repository_->Clear());
  absl::Status rewound = rewind_();
  if (!rewound.ok()) {
    mesh::logging::Error("views cleared but the replay did not start; rebuild again",
                         {{"error", rewound.ToString()}});
    return mesh::status::Annotate(rewound, "rewinding the event streams");
  }
  mesh::logging::Info("rebuilding the purchase views: replaying every event stream");
  return absl::OkStatus();
}

void DashboardService::Shutdown() {
  std::thread rebuild;
  {
    std::lock_guard<std::mutex> lock(rebuild_mu_);
    shut_down_ = true;
    rebuild = std::move(rebuild_thread_);
  }
  repository_->CloseWatchers();
  if (rebuild.joinable()) rebuild.join();
}

}  // namespace usedcar::dashboard
