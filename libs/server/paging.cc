#include "libs/server/paging.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mesh::server {

absl::StatusOr<int> PageSize(const common::v1::PageRequest& page, int default_size, int max_size) {
  if (page.page_size() < 0) {
    return absl::InvalidArgumentError("page.page_size must not be negative");
  }
  return page.page_size() == 0 ? default_size : std::min(page.page_size(), max_size);
}

std::string EncodePageToken(std::string_view last_key) {
  return absl::WebSafeBase64Escape(absl::string_view(last_key.data(), last_key.size()));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view page_token,
                                            std::string_view key_prefix, std::string_view listing) {
  std::string cursor;
  if (!page_token.empty() &&
      !absl::WebSafeBase64Unescape(absl::string_view(page_token.data(), page_token.size()),
                                   &cursor)) {
    return absl::InvalidArgumentError("page.page_token is not a token this service issued");
  }
  if (!cursor.empty() &&
      !absl::StartsWith(cursor, absl::string_view(key_prefix.data(), key_prefix.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_token belongs to a different ",
                     absl::string_view(listing.data(), listing.size())));
  }
  return cursor;
}

}  // namespace mesh::server
