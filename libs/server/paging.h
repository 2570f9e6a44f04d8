// Paging of List methods over common.v1.PageRequest: the page size a request
// asks for, and the opaque page tokens of a listing that resumes after a
// storage key. All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/v1/paging.pb.h"

namespace mesh::server {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// The page size to list with: default_size for 0, at most max_size.
// INVALID_ARGUMENT "page.page_size must not be negative" for a negative one.
absl::StatusOr<int> PageSize(const common::v1::PageRequest& page,
                             int default_size = kDefaultPageSize, int max_size = kMaxPageSize);

// The next_page_token of a page whose last row has this storage key.
std::string EncodePageToken(std::string_view last_key);

// The storage key a page_token resumes after; empty for an empty token.
// INVALID_ARGUMENT "page.page_token is not a token this service issued" when
// it does not decode, and "page.page_token belongs to a different <listing>"
// when its key lies outside key_prefix, i.e. it was issued for other filters.
absl::StatusOr<std::string> DecodePageToken(std::string_view page_token,
                                            std::string_view key_prefix,
                                            std::string_view listing = "listing");

}  // namespace mesh::server
