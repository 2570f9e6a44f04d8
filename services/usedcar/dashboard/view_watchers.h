// Who watches which purchase view: the repository publishes every committed
// view here, and each open WatchPurchaseView stream receives its purchase's.
//
// Thread-safe. Offer and Close are called without any registry lock held, so
// a watcher may start gRPC operations from them (whose reactions can run
// inline) and may call Remove from its own completion.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "usedcar/dashboard/v1/dashboard.pb.h"

namespace usedcar::dashboard {

class ViewWatcher {
 public:
  virtual ~ViewWatcher() = default;
  // A newer view of the watched purchase. Must not block.
  virtual void Offer(const v1::PurchaseView& view) = 0;
  // The server is shutting down: end the watch. Must not block.
  virtual void Close() = 0;
};

class ViewWatchers {
 public:
  // Adds a watcher of one purchase. Returns false, and adds nothing, after
  // CloseAll: the caller ends the watch itself.
  bool Add(const std::string& purchase_id, std::shared_ptr<ViewWatcher> watcher);
  // Removes a watcher; a no-op when it is not there.
  void Remove(const std::string& purchase_id, const ViewWatcher* watcher);
  // Offers the view to every watcher of view.purchase_id().
  void Publish(const v1::PurchaseView& view);
  // Closes every watcher and refuses new ones. Idempotent.
  void CloseAll();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  bool closed_ = false;
  std::multimap<std::string, std::shared_ptr<ViewWatcher>, std::less<>> watchers_;
};

}  // namespace usedcar::dashboard
