// The inbound gRPC adapter of the dashboard: the only place where
// absl::Status becomes grpc::Status. Reads views from the repository and
// never calls another context. Handlers never block: a watch is fed from the
// repository's commits, and a rebuild runs on its own thread.
#pragma once

#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "services/usedcar/dashboard/dashboard_repository.h"
#include "usedcar/dashboard/v1/dashboard.grpc.pb.h"

namespace usedcar::dashboard {

class DashboardService final : public v1::DashboardService::CallbackService {
 public:
  // rewind replays every event stream from its first event
  // (EventConsumer::Rewind); RebuildViews calls it after clearing the views.
  DashboardService(DashboardRepository* repository, std::function<absl::Status()> rewind);
  // Calls Shutdown.
  ~DashboardService() override;

  grpc::ServerUnaryReactor* GetPurchaseView(grpc::CallbackServerContext* context,
                                            const v1::GetPurchaseViewRequest* request,
                                            v1::GetPurchaseViewResponse* response) override;
  grpc::ServerUnaryReactor* ListPurchaseViews(grpc::CallbackServerContext* context,
                                              const v1::ListPurchaseViewsRequest* request,
                                              v1::ListPurchaseViewsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchPurchaseViewResponse>* WatchPurchaseView(
      grpc::CallbackServerContext* context, const v1::WatchPurchaseViewRequest* request) override;
  // FAILED_PRECONDITION while another rebuild runs; the store's error if the
  // views cannot be cleared; the rewind's error if the replay cannot start
  // (the views then stay cleared until a rebuild succeeds).
  grpc::ServerUnaryReactor* RebuildViews(grpc::CallbackServerContext* context,
                                         const v1::RebuildViewsRequest* request,
                                         v1::RebuildViewsResponse* response) override;

  // Ends every watch stream with OK, refuses new watches and rebuilds
  // (UNAVAILABLE), and waits for a running rebuild. Call it before the server
  // drains, so that open streams do not hold the drain up. Idempotent;
  // thread-safe.
  void Shutdown();

 private:
  absl::Status Rebuild();

  DashboardRepository* repository_;
  std::function<absl::Status()> rewind_;
  std::mutex rebuild_mu_;
  bool rebuilding_ = false;
  bool shut_down_ = false;
  std::thread rebuild_thread_;
};

}  // namespace usedcar::dashboard
