#include "libs/server/paging.h"

#include <string>

#include "gtest/gtest.h"

namespace mesh::server {
namespace {

common::v1::PageRequest Page(int page_size) {
  common::v1::PageRequest page;
  page.set_page_size(page_size);
  return page;
}

TEST(PageSizeTest, PageSize_Negative_IsInvalidArgumentNamingTheField) {
  absl::StatusOr<int> size = PageSize(Page(-1));

  EXPECT_EQ(size.status(), absl::InvalidArgumentError("page.page_size must not be negative"));
}

TEST(PageSizeTest, PageSize_Zero_IsTheDefault) {
  EXPECT_EQ(PageSize(Page(0)).value(), 50);
  EXPECT_EQ(PageSize(Page(0), 7, 9).value(), 7);
}

TEST(PageSizeTest, PageSize_AboveTheMaximum_IsCappedAndSmallerOnesKept) {
  EXPECT_EQ(PageSize(Page(501)).value(), 500);
  EXPECT_EQ(PageSize(Page(500)).value(), 500);
  EXPECT_EQ(PageSize(Page(3)).value(), 3);
  EXPECT_EQ(PageSize(Page(10), 7, 9).value(), 9);
}

TEST(PageTokenTest, DecodePageToken_OfEncodedKey_ReturnsTheKey) {
  const std::string key("buyer-1\0pur_9", 13);

  absl::StatusOr<std::string> cursor = DecodePageToken(EncodePageToken(key), "buyer-1");

  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, key);
}

TEST(PageTokenTest, DecodePageToken_Empty_StartsAtTheFirstKey) {
  absl::StatusOr<std::string> cursor = DecodePageToken("", "buyer-1/");

  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, "");
}

TEST(PageTokenTest, DecodePageToken_NotBase64_IsInvalidArgument) {
  EXPECT_EQ(DecodePageToken("%%%", "").status(),
            absl::InvalidArgumentError("page.page_token is not a token this service issued"));
}

TEST(PageTokenTest, DecodePageToken_KeyOutsidePrefix_IsInvalidArgumentNamingTheListing) {
  const std::string token = EncodePageToken("buyer-1/pur_1");

  EXPECT_EQ(DecodePageToken(token, "buyer-2/").status(),
            absl::InvalidArgumentError("page.page_token belongs to a different listing"));
  EXPECT_EQ(DecodePageToken(token, "buyer-2/", "recipient").status(),
            absl::InvalidArgumentError("page.page_token belongs to a different recipient"));
}

}  // namespace
}  // namespace mesh::server
