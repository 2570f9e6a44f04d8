#include "libs/storage/store.h"

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "libs/storage/ids.h"

namespace mesh::storage {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("store_test_" + NewId());
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(path_);
  }
  void Reopen() {
    store_.reset();
    auto opened = Store::Open({.path = path_.string(), .sync = false,
                               .extra_column_families = {"index"}});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  static common::v1::EventEnvelope Event(std::string id) {
    common::v1::EventEnvelope e;
    e.set_event_id(std::move(id));
    return e;
  }

  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, Commit_WritesStateOutboxAndInboxTogether) {
  UnitOfWork work;
  work.Put(kState, "p1", "paid");
  work.Put("index", "c1/p1", "");
  work.AddEvent(Event("e1"));
  work.MarkInbox("cause-1");
  ASSERT_TRUE(store_->Commit(work).ok());

  EXPECT_EQ(store_->Get(kState, "p1")->value_or(""), "paid");
  EXPECT_TRUE(store_->Get("index", "c1/p1")->has_value());
  EXPECT_TRUE(*store_->InboxContains("cause-1"));
  EXPECT_FALSE(*store_->InboxContains("cause-2"));
  EXPECT_EQ(store_->OutboxDepth(), 1u);
}

TEST_F(StoreTest, Commit_UnknownColumnFamily_WritesNothing) {
  UnitOfWork work;
  work.Put(kState, "p1", "paid");
  work.Put("nope", "k", "v");
  work.AddEvent(Event("e1"));
  EXPECT_EQ(store_->Commit(work).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->Get(kState, "p1")->has_value());
  EXPECT_EQ(store_->OutboxDepth(), 0u);
}

TEST_F(StoreTest, Outbox_KeepsCommitOrderAcrossReopenAndDeletes) {
  for (int i = 0; i < 300; ++i) {
    UnitOfWork work;
    work.AddEvent(Event("e" + std::to_string(i)));
    ASSERT_TRUE(store_->Commit(work).ok());
  }
  ASSERT_TRUE(store_->DeleteOutboxThrough(300).ok());
  EXPECT_EQ(store_->OutboxDepth(), 0u);
  Reopen();
  UnitOfWork work;
  work.AddEvent(Event("after-reopen"));
  ASSERT_TRUE(store_->Commit(work).ok());

  std::vector<uint64_t> seqs;
  std::vector<std::string> ids;
  ASSERT_TRUE(store_->ScanOutbox(0, [&](uint64_t seq, std::string_view row) {
    common::v1::EventEnvelope e;
    e.ParseFromArray(row.data(), static_cast<int>(row.size()));
    seqs.push_back(seq);
    ids.push_back(e.event_id());
    return true;
  }).ok());
  // Sequences never restart, so a relay that remembered 300 cannot skip the new row.
  ASSERT_EQ(seqs.size(), 1u);
  EXPECT_EQ(seqs[0], 301u);
  EXPECT_EQ(ids[0], "after-reopen");
  EXPECT_EQ(store_->OutboxDepth(), 1u);
}

TEST_F(StoreTest, OutboxAcked_SurvivesReopen_ZeroUntilSet) {
  EXPECT_EQ(store_->OutboxAcked(), 0u);
  ASSERT_TRUE(store_->SetOutboxAcked(42).ok());
  EXPECT_EQ(store_->OutboxAcked(), 42u);
  Reopen();
  EXPECT_EQ(store_->OutboxAcked(), 42u);
}

TEST_F(StoreTest, Outbox_ConcurrentCommits_AnIncrementalReaderMissesNothing) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  std::atomic<bool> done{false};
  std::set<std::string> seen;
  uint64_t cursor = 0;
  // Reads like the relay: always after the last sequence it saw. A row that
  // became visible after a higher one would be skipped for good.
  std::thread reader([&] {
    auto read = [&] {
      ASSERT_TRUE(store_->ScanOutbox(cursor, [&](uint64_t seq, std::string_view row) {
        EXPECT_GT(seq, cursor);
        cursor = seq;
        common::v1::EventEnvelope e;
        e.ParseFromArray(row.data(), static_cast<int>(row.size()));
        EXPECT_TRUE(seen.insert(e.event_id()).second) << "seen twice: " << e.event_id();
        return true;
      }).ok());
    };
    while (!done) read();
    read();
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        UnitOfWork work;
        work.AddEvent(Event(absl::StrCat("e", t, "-", i)));
        if (i % 3 == 0) work.AddEvent(Event(absl::StrCat("e", t, "-", i, "-b")));
        ASSERT_TRUE(store_->Commit(work).ok());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * (kPerThread + (kPerThread + 2) / 3)));
}

TEST_F(StoreTest, Scan_VisitsPrefixInOrderAfterCursor) {
  UnitOfWork work;
  for (const char* key : {"a/1", "a/2", "a/3", "b/1"}) work.Put(kState, key, key);
  ASSERT_TRUE(store_->Commit(work).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store_->Scan(kState, "a/", "a/1", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return true;
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a/2", "a/3"}));
}

TEST(OutboxKey, ByteOrder_EqualsNumericOrder) {
  EXPECT_LT(OutboxKey(255), OutboxKey(256));
  EXPECT_LT(OutboxKey(1), OutboxKey(1ull << 40));
  EXPECT_EQ(DecodeOutboxKey(OutboxKey(123456789)), 123456789u);
}

TEST(NewId, HasPrefixAndIsUnique) {
  std::string a = NewId("pur_"), b = NewId("pur_");
  EXPECT_EQ(a.rfind("pur_", 0), 0u);
  EXPECT_EQ(a.size(), 30u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mesh::storage
