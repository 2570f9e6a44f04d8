// Stores purchase views in one RocksDB and tells watchers about every change.
//
// Column families: state (purchase_id → PurchaseView), by_customer
// (customer_id/purchase_id → ""), and the store's inbox. An update writes
// view, index entry and the triggering event's inbox mark in one unit of
// work (DESIGN §3.1), then publishes the committed view to its watchers.
//
// Thread-safe. Updates of one purchase are serialised, and a purchase's
// watchers receive its views in commit order.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/storage/key_lock.h"
#include "libs/storage/store.h"
#include "services/usedcar/dashboard/view_watchers.h"
#include "usedcar/dashboard/v1/dashboard.pb.h"

namespace usedcar::dashboard {

class DashboardRepository {
 public:
  explicit DashboardRepository(mesh::storage::Store* store) : store_(store) {}

  static std::vector<std::string> ColumnFamilies() { return {"by_customer"}; }

  // nullopt when no event of the purchase has been applied. DATA_LOSS for a
  // stored view that does not parse; storage errors as the store returns them.
  absl::StatusOr<std::optional<v1::PurchaseView>> Get(std::string_view purchase_id) const;

  // Loads the purchase's view (empty when new), lets change modify it, and
  // commits view, index entry and whatever work already holds (the inbox
  // mark) in one batch; then publishes the view to its watchers. Returns the
  // committed view; on error nothing is written or published.
  absl::StatusOr<v1::PurchaseView> Update(const std::string& purchase_id,
                                          const std::function<void(v1::PurchaseView&)>& change,
                                          mesh::storage::UnitOfWork& work);

  struct Page {
    std::vector<v1::PurchaseView> views;
    std::string next_page_token;
  };
  // A customer's views in purchase id order. INVALID_ARGUMENT (naming
  // page.page_token) for a token not issued for this listing.
  absl::StatusOr<Page> List(std::string_view customer_id, int page_size,
                            std::string_view page_token) const;

  // Deletes every view, index entry and inbox mark, so that a replay applies
  // every event again. Waits for updates in flight and holds new ones off
  // until it is done.
  absl::Status Clear();

  // Adds a watcher of one purchase and offers it the current view (if any),
  // with no update in between: it misses no change and never receives an
  // older view after a newer one. Returns false, adding nothing, once the
  // watchers are closed. Errors of the read leave the watcher unregistered.
  absl::StatusOr<bool> Watch(const std::string& purchase_id, std::shared_ptr<ViewWatcher> watcher);
  void Unwatch(const std::string& purchase_id, const ViewWatcher* watcher);
  // Ends every watch and refuses new ones (server shutdown). Idempotent.
  void CloseWatchers() { watchers_.CloseAll(); }
  size_t watcher_count() const { return watchers_.size(); }

 private:
  mesh::storage::Store* store_;
  mesh::storage::KeyLock locks_;
  // Shared by updates and watches, exclusive for Clear.
  std::shared_mutex clear_mu_;
  ViewWatchers watchers_;
};

}  // namespace usedcar::dashboard
