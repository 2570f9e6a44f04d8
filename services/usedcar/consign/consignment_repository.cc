#include "services/usedcar/consign/consignment_repository.h"

#include "absl/strings/str_cat.h"
#include "libs/messaging/event.h"
#include "libs/server/paging.h"
#include "libs/status/status.h"

namespace usedcar::consign {
namespace {

using mesh::storage::kState;
using mesh::storage::UnitOfWork;

constexpr std::string_view kByCustomer = "by_customer";
constexpr std::string_view kTombstones = "tombstones";

// NUL cannot occur in an id, so one customer's prefix never matches another's
// ("a" and "a/b" would collide with a printable separator).
std::string CustomerPrefix(std::string_view customer_id) {
  std::string prefix(customer_id);
  prefix.push_back('\0');
  return prefix;
}

absl::StatusOr<std::optional<Consignment>> Parse(const std::optional<std::string>& row) {
  if (!row.has_value()) return std::optional<Consignment>();
  Consignment consignment;
  if (!consignment.ParseFromString(*row)) {
    return absl::DataLossError("stored consignment does not parse");
  }
  return std::optional<Consignment>(std::move(consignment));
}

}  // namespace

absl::StatusOr<std::optional<Consignment>> ConsignmentRepository::Get(
    std::string_view consignment_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kState, consignment_id));
  return Parse(row);
}

absl::StatusOr<std::optional<Consignment>> ConsignmentRepository::GetByPurchase(
    std::string_view purchase_id) const {
  return Get(ConsignmentIdFor(purchase_id));
}

absl::StatusOr<bool> ConsignmentRepository::IsTombstoned(std::string_view purchase_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kTombstones, purchase_id));
  return row.has_value();
}

void ConsignmentRepository::Stage(UnitOfWork& work, const Consignment& consignment,
                                  const google::protobuf::Message* event,
                                  const EventOrigin& origin, absl::Time now) const {
  work.Put(kState, consignment.consignment_id(), consignment.SerializeAsString());
  work.Put(kByCustomer, CustomerPrefix(consignment.customer_id()) + consignment.consignment_id(),
           "");
  if (event == nullptr) return;
  mesh::messaging::EventContext context;
  context.producer = std::string(kProducer);
  context.aggregate_type = std::string(kAggregateType);
  context.aggregate_id = consignment.consignment_id();
  context.aggregate_version = consignment.version();
  context.correlation_id = origin.correlation_id;
  context.causation_id = origin.causation_id;
  context.traceparent = origin.traceparent;
  work.AddEvent(mesh::messaging::MakeEvent(context, *event, now));
}

void ConsignmentRepository::StageTombstone(UnitOfWork& work, std::string_view purchase_id,
                                           std::string_view reason) const {
  work.Put(kTombstones, purchase_id, reason);
}

absl::StatusOr<ConsignmentRepository::Page> ConsignmentRepository::List(
    std::string_view customer_id, int page_size, std::string_view page_token) const {
  const std::string prefix = customer_id.empty() ? "" : CustomerPrefix(customer_id);
  ASSIGN_OR_RETURN(const std::string cursor, mesh::server::DecodePageToken(page_token, prefix));
  Page page;
  std::string last_key;
  bool more = false;
  absl::Status read_error;
  auto visit = [&](std::string_view key, std::string_view value) {
    if (static_cast<int>(page.consignments.size()) == page_size) {
      more = true;
      return false;
    }
    // The index holds ids only; the state column family holds the rows.
    absl::StatusOr<std::optional<Consignment>> consignment =
        customer_id.empty() ? Parse(std::string(value)) : Get(key.substr(prefix.size()));
    if (!consignment.ok()) {
      read_error = consignment.status();
      return false;
    }
    if (consignment->has_value()) page.consignments.push_back(std::move(**consignment));
    last_key = std::string(key);
    return true;
  };
  RETURN_IF_ERROR(store_->Scan(customer_id.empty() ? kState : kByCustomer, prefix, cursor, visit));
  RETURN_IF_ERROR(read_error);
  if (more) page.next_page_token = mesh::server::EncodePageToken(last_key);
  return page;
}

}  // namespace usedcar::consign
