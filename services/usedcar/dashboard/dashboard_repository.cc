#include "services/usedcar/dashboard/dashboard_repository.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/server/paging.h"
#include "libs/status/status.h"

namespace usedcar::dashboard {
namespace {

using mesh::storage::kInbox;
using mesh::storage::kState;

constexpr std::string_view kByCustomer = "by_customer";

std::string CustomerKey(const std::string& customer_id, const std::string& purchase_id) {
  return absl::StrCat(customer_id, "/", purchase_id);
}

absl::StatusOr<std::optional<v1::PurchaseView>> Parse(const std::optional<std::string>& row) {
  if (!row.has_value()) return std::optional<v1::PurchaseView>();
  v1::PurchaseView view;
  if (!view.ParseFromString(*row)) return absl::DataLossError("stored purchase view does not parse");
  return std::optional<v1::PurchaseView>(std::move(view));
}

}  // namespace

absl::StatusOr<std::optional<v1::PurchaseView>> DashboardRepository::Get(
    std::string_view purchase_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kState, purchase_id));
  return Parse(row);
}

absl::StatusOr<v1::PurchaseView> DashboardRepository::Update(
    const std::string& purchase_id, const std::function<void(v1::PurchaseView&)>& change,
    mesh::storage::UnitOfWork& work) {
  std::shared_lock<std::shared_mutex> clearing(clear_mu_);
  auto lock = locks_.Lock(purchase_id);
  ASSIGN_OR_RETURN(std::optional<v1::PurchaseView> stored, Get(purchase_id));
  v1::PurchaseView view = stored.has_value() ? std::move(*stored) : v1::PurchaseView();
  change(view);
  work.Put(kState, purchase_id, view.SerializeAsString());
  // The buyer may become known only with a later event (a Consigned can
  // arrive before Purchased), so the index entry is written on every update.
  if (!view.customer_id().empty()) {
    work.Put(kByCustomer, CustomerKey(view.customer_id(), purchase_id), "");
  }
  RETURN_IF_ERROR(store_->Commit(work));
  // Still under the purchase's lock, so watchers see views in commit order.
  watchers_.Publish(view);
  return view;
}

absl::StatusOr<DashboardRepository::Page> DashboardRepository::List(
    std::string_view customer_id, int page_size, std::string_view page_token) const {
  const std::string prefix = absl::StrCat(std::string(customer_id), "/");
  ASSIGN_OR_RETURN(const std::string cursor, mesh::server::DecodePageToken(page_token, prefix));
  Page page;
  std::string last_key;
  bool more = false;
  absl::Status read_error;
  auto visit = [&](std::string_view key, std::string_view) {
    const std::string_view id = key.substr(prefix.size());
    // Purchase ids never hold '/': such a key belongs to a customer whose id
    // merely starts with this one ("a/b" under "a").
    if (id.find('/') != std::string_view::npos) return true;
    if (static_cast<int>(page.views.size()) == page_size) {
      more = true;
      return false;
    }
    absl::StatusOr<std::optional<v1::PurchaseView>> view = Get(id);
    if (!view.ok()) {
      read_error = view.status();
      return false;
    }
    if (view->has_value()) page.views.push_back(std::move(**view));
    last_key = std::string(key);
    return true;
  };
  RETURN_IF_ERROR(store_->Scan(kByCustomer, prefix, cursor, visit));
  RETURN_IF_ERROR(read_error);
  if (more) page.next_page_token = mesh::server::EncodePageToken(last_key);
  return page;
}

absl::Status DashboardRepository::Clear() {
  std::unique_lock<std::shared_mutex> clearing(clear_mu_);
  RETURN_IF_ERROR(store_->Clear(kState));
  RETURN_IF_ERROR(store_->Clear(kByCustomer));
  return store_->Clear(kInbox);
}

absl::StatusOr<bool> DashboardRepository::Watch(const std::string& purchase_id,
                                                std::shared_ptr<ViewWatcher> watcher) {
  std::shared_lock<std::shared_mutex> clearing(clear_mu_);
  auto lock = locks_.Lock(purchase_id);
  if (!watchers_.Add(purchase_id, watcher)) return false;
  absl::StatusOr<std::optional<v1::PurchaseView>> view = Get(purchase_id);
  if (!view.ok()) {
    watchers_.Remove(purchase_id, watcher.get());
    return view.status();
  }
  if (view->has_value()) watcher->Offer(**view);
  return true;
}

void DashboardRepository::Unwatch(const std::string& purchase_id, const ViewWatcher* watcher) {
  watchers_.Remove(purchase_id, watcher);
}

}  // namespace usedcar::dashboard
