#include "services/usedcar/dashboard/view_watchers.h"

namespace usedcar::dashboard {

bool ViewWatchers::Add(const std::string& purchase_id, std::shared_ptr<ViewWatcher> watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  watchers_.emplace(purchase_id, std::move(watcher));
  return true;
}

void ViewWatchers::Remove(const std::string& purchase_id, const ViewWatcher* watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [begin, end] = watchers_.equal_range(purchase_id);
  for (auto it = begin; it != end; ++it) {
    if (it->second.get() == watcher) {
      watchers_.erase(it);
      return;
    }
  }
}

void ViewWatchers::Publish(const v1::PurchaseView& view) {
  std::vector<std::shared_ptr<ViewWatcher>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [begin, end] = watchers_.equal_range(view.purchase_id());
    for (auto it = begin; it != end; ++it) targets.push_back(it->second);
  }
  // Outside the lock: a write's reaction may run inline and remove its watcher.
  for (const std::shared_ptr<ViewWatcher>& watcher : targets) watcher->Offer(view);
}

void ViewWatchers::CloseAll() {
  std::multimap<std::string, std::shared_ptr<ViewWatcher>, std::less<>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    closing.swap(watchers_);
  }
  for (auto& [id, watcher] : closing) watcher->Close();
}

size_t ViewWatchers::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watchers_.size();
}

}  // namespace usedcar::dashboard
