#include "services/usedcar/purchase/purchase_repository.h"

#include "absl/strings/str_cat.h"
#include "libs/messaging/event.h"
#include "libs/server/paging.h"
#include "libs/status/status.h"

namespace usedcar::purchase {
namespace {

using mesh::storage::kState;
using mesh::storage::UnitOfWork;

constexpr std::string_view kRequests = "requests";
constexpr std::string_view kByCustomer = "by_customer";
constexpr std::string_view kUnsettled = "unsettled";

bool IsUnsettled(const Purchase& p) {
  return p.status() == v1::PURCHASE_STATUS_PENDING || p.status() == v1::PURCHASE_STATUS_CANCELLING;
}

// Keeps the unsettled index in step with the state, so the resolver reads
// only open purchases, not the whole table.
void PutState(UnitOfWork& work, const Purchase& p) {
  work.Put(kState, p.purchase_id(), p.SerializeAsString());
  if (IsUnsettled(p)) {
    work.Put(kUnsettled, p.purchase_id(), "");
  } else {
    work.Delete(kUnsettled, p.purchase_id());
  }
}

std::string CustomerKey(const Purchase& p) { return absl::StrCat(p.customer_id(), "/", p.purchase_id()); }

absl::StatusOr<std::optional<Purchase>> Parse(std::optional<std::string> row) {
  if (!row.has_value()) return std::optional<Purchase>();
  Purchase purchase;
  if (!purchase.ParseFromString(*row)) return absl::DataLossError("stored purchase does not parse");
  return std::optional<Purchase>(std::move(purchase));
}

}  // namespace

absl::StatusOr<std::optional<Purchase>> PurchaseRepository::Get(
    std::string_view purchase_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kState, purchase_id));
  return Parse(std::move(row));
}

absl::StatusOr<std::optional<Purchase>> PurchaseRepository::FindByRequest(
    std::string_view request_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> id, store_->Get(kRequests, request_id));
  if (!id.has_value()) return std::optional<Purchase>();
  return Get(*id);
}

absl::Status PurchaseRepository::Insert(const Purchase& purchase) {
  UnitOfWork work;
  PutState(work, purchase);
  work.Put(kRequests, purchase.request_id(), purchase.purchase_id());
  work.Put(kByCustomer, CustomerKey(purchase), "");
  return store_->Commit(work);
}

absl::Status PurchaseRepository::Save(const Purchase& purchase,
                                      const google::protobuf::Message* event,
                                      std::string_view causation_id, UnitOfWork work) {
  PutState(work, purchase);
  if (event != nullptr) {
    mesh::messaging::EventContext context;
    context.producer = std::string(kProducer);
    context.aggregate_type = "Purchase";
    context.aggregate_id = purchase.purchase_id();
    context.aggregate_version = purchase.version();
    context.correlation_id = Reference(purchase);
    context.causation_id = std::string(causation_id);
    work.AddEvent(mesh::messaging::MakeEvent(context, *event, absl::Now()));
  }
  return store_->Commit(work);
}

absl::Status PurchaseRepository::Remove(const Purchase& purchase) {
  UnitOfWork work;
  work.Delete(kState, purchase.purchase_id());
  work.Delete(kUnsettled, purchase.purchase_id());
  work.Delete(kRequests, purchase.request_id());
  work.Delete(kByCustomer, CustomerKey(purchase));
  return store_->Commit(work);
}

absl::StatusOr<PurchaseRepository::Page> PurchaseRepository::List(
    std::string_view customer_id, int page_size, std::string_view page_token) const {
  const std::string prefix = customer_id.empty() ? "" : absl::StrCat(std::string(customer_id), "/");
  ASSIGN_OR_RETURN(const std::string cursor, mesh::server::DecodePageToken(page_token, prefix));
  Page page;
  std::string last_key;
  bool more = false;
  absl::Status read_error;
  auto visit = [&](std::string_view key, std::string_view value) {
    if (static_cast<int>(page.purchases.size()) == page_size) {
      more = true;
      return false;
    }
    const std::string_view id = customer_id.empty() ? key : key.substr(prefix.size());
    absl::StatusOr<std::optional<Purchase>> purchase =
        customer_id.empty() ? Parse(std::string(value)) : Get(id);
    if (!purchase.ok()) {
      read_error = purchase.status();
      return false;
    }
    if (purchase->has_value()) page.purchases.push_back(std::move(**purchase));
    last_key = std::string(key);
    return true;
  };
  RETURN_IF_ERROR(
      store_->Scan(customer_id.empty() ? kState : kByCustomer, prefix, cursor, visit));
  RETURN_IF_ERROR(read_error);
  if (more) page.next_page_token = mesh::server::EncodePageToken(last_key);
  return page;
}

absl::StatusOr<std::vector<Purchase>> PurchaseRepository::ListUnsettled() const {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(store_->Scan(kUnsettled, "", "", [&](std::string_view key, std::string_view) {
    ids.emplace_back(key);
    return true;
  }));
  std::vector<Purchase> unsettled;
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::optional<Purchase> purchase, Get(id));
    if (purchase.has_value() && IsUnsettled(*purchase)) unsettled.push_back(std::move(*purchase));
  }
  return unsettled;
}

}  // namespace usedcar::purchase
