#include "services/notification/notification_repository.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/server/paging.h"
#include "libs/status/status.h"

namespace notification {
namespace {

using mesh::storage::kState;
using mesh::storage::UnitOfWork;

constexpr std::string_view kByRecipient = "by_recipient";
constexpr std::string_view kDue = "due";
// Ids and recipients never hold a NUL byte, so it separates key parts
// without one recipient's prefix matching another's ("a" vs "a/b").
const absl::string_view kSep("\0", 1);

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Fixed width, so byte order equals time order.
std::string TimeHex(absl::Time time) {
  return absl::StrFormat("%016x", static_cast<uint64_t>(absl::ToUnixMicros(time)));
}

std::string RecipientPrefix(std::string_view recipient) {
  return absl::StrCat(View(recipient), kSep);
}

std::string RecipientKey(const Notification& notification) {
  const uint64_t inverted =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) -
      static_cast<uint64_t>(absl::ToUnixMicros(ToTime(notification.create_time())));
  return absl::StrCat(RecipientPrefix(notification.recipient()), absl::StrFormat("%016x", inverted),
                      kSep, notification.notification_id());
}

std::string DueKey(absl::Time due, std::string_view notification_id, std::string_view sink) {
  return absl::StrCat(TimeHex(due), kSep, View(notification_id), kSep, View(sink));
}

absl::StatusOr<std::optional<Notification>> Parse(std::optional<std::string> row) {
  if (!row.has_value()) return std::optional<Notification>();
  Notification notification;
  if (!notification.ParseFromString(*row)) {
    return absl::DataLossError("stored notification does not parse");
  }
  return std::optional<Notification>(std::move(notification));
}

}  // namespace

absl::StatusOr<std::optional<Notification>> NotificationRepository::Get(
    std::string_view notification_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> row, store_->Get(kState, notification_id));
  return Parse(std::move(row));
}

void NotificationRepository::AddNew(UnitOfWork& work, const Notification& notification) {
  work.Put(kState, notification.notification_id(), notification.SerializeAsString());
  work.Put(kByRecipient, RecipientKey(notification), "");
  for (const v1::Delivery& delivery : notification.deliveries()) {
    if (delivery.status() != v1::DELIVERY_STATUS_PENDING) continue;
    work.Put(kDue,
             DueKey(ToTime(delivery.next_attempt_time()), notification.notification_id(),
                    delivery.sink()),
             "");
  }
}

absl::Status NotificationRepository::SaveAttempt(const Notification& notification,
                                                 std::string_view sink, absl::Time was_due) {
  UnitOfWork work;
  work.DeferSync();
  work.Put(kState, notification.notification_id(), notification.SerializeAsString());
  work.Delete(kDue, DueKey(was_due, notification.notification_id(), sink));
  for (const v1::Delivery& delivery : notification.deliveries()) {
    if (delivery.sink() != sink || delivery.status() != v1::DELIVERY_STATUS_PENDING) continue;
    work.Put(kDue,
             DueKey(ToTime(delivery.next_attempt_time()), notification.notification_id(), sink),
             "");
  }
  return store_->Commit(work);
}

absl::StatusOr<NotificationRepository::Page> NotificationRepository::ListByRecipient(
    std::string_view recipient, int page_size, std::string_view page_token) const {
  const std::string prefix = RecipientPrefix(recipient);
  ASSIGN_OR_RETURN(const std::string cursor,
                   mesh::server::DecodePageToken(page_token, prefix, "recipient"));
  Page page;
  std::string last_key;
  bool more = false;
  absl::Status read_error;
  RETURN_IF_ERROR(
      store_->Scan(kByRecipient, prefix, cursor, [&](std::string_view key, std::string_view) {
        if (static_cast<int>(page.notifications.size()) == page_size) {
          more = true;
          return false;
        }
        const size_t sep = key.rfind('\0');
        absl::StatusOr<std::optional<Notification>> notification = Get(key.substr(sep + 1));
        if (!notification.ok()) {
          read_error = notification.status();
          return false;
        }
        if (notification->has_value()) page.notifications.push_back(std::move(**notification));
        last_key = std::string(key);
        return true;
      }));
  RETURN_IF_ERROR(read_error);
  if (more) page.next_page_token = mesh::server::EncodePageToken(last_key);
  return page;
}

absl::StatusOr<NotificationRepository::DueBatch> NotificationRepository::ListDue(absl::Time now,
                                                                                 int limit) const {
  DueBatch batch;
  absl::Status parse_error;
  RETURN_IF_ERROR(store_->Scan(kDue, "", "", [&](std::string_view key, std::string_view) {
    std::vector<std::string> parts = absl::StrSplit(View(key), kSep);
    uint64_t micros = 0;
    if (parts.size() != 3 || parts[0].size() != 16 || !absl::SimpleHexAtoi(parts[0], &micros)) {
      parse_error = absl::DataLossError("a due row's key does not parse");
      return false;
    }
    const absl::Time due = absl::FromUnixMicros(static_cast<int64_t>(micros));
    if (due > now || static_cast<int>(batch.due.size()) == limit) {
      batch.next = due;
      return false;
    }
    batch.due.push_back({std::move(parts[1]), std::move(parts[2]), due});
    return true;
  }));
  RETURN_IF_ERROR(parse_error);
  return batch;
}

absl::Status NotificationRepository::DropDue(const Due& due) {
  UnitOfWork work;
  work.Delete(kDue, DueKey(due.due, due.notification_id, due.sink));
  return store_->Commit(work);
}

}  // namespace notification
