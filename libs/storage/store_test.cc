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
  // sync: as services open it, every commit fsyncs unless deferred.
  void Reopen(bool sync = false) {
    store_.reset();
    auto opened = Store::Open({.path = path_.string(), .sync = sync,
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

// The event ids of the outbox rows the relay may see now, in order.
std::vector<std::string> VisibleOutbox(const Store& store) {
  std::vector<std::string> ids;
  EXPECT_TRUE(store
                  .ScanOutbox(0,
                              [&](uint64_t, std::string_view row) {
                                common::v1::EventEnvelope event;
                                event.ParseFromArray(row.data(), static_cast<int>(row.size()));
                                ids.push_back(event.event_id());
                                return true;
                              })
                  .ok());
  return ids;
}

TEST_F(StoreTest, DeferredCommit_OutboxHiddenUntilSync_LaterCommitsWaitBehindIt) {
  Reopen(/*sync=*/true);
  std::atomic<int> wakeups{0};
  store_->SetOutboxListener([&] { ++wakeups; });

  UnitOfWork deferred;
  deferred.Put(kState, "c1", "consigned");
  deferred.MarkInbox("cause-1");
  deferred.AddEvent(Event("deferred"));
  deferred.DeferSync();
  ASSERT_TRUE(store_->Commit(deferred).ok());
  // Readers see the effect at once; the relay does not see its event.
  EXPECT_EQ(store_->Get(kState, "c1")->value_or(""), "consigned");
  EXPECT_TRUE(*store_->InboxContains("cause-1"));
  EXPECT_EQ(store_->OutboxDepth(), 1u);
  EXPECT_TRUE(VisibleOutbox(*store_).empty());
  EXPECT_EQ(wakeups.load(), 0);

  // A synced commit after it waits too: the relay never skips a row.
  UnitOfWork synced;
  synced.AddEvent(Event("synced"));
  ASSERT_TRUE(store_->Commit(synced).ok());
  EXPECT_TRUE(VisibleOutbox(*store_).empty());

  const uint64_t syncs = store_->SyncCount();
  const int before = wakeups.load();
  ASSERT_TRUE(store_->Sync().ok());
  EXPECT_EQ(store_->SyncCount(), syncs + 1);
  EXPECT_EQ(VisibleOutbox(*store_), (std::vector<std::string>{"deferred", "synced"}));
  EXPECT_EQ(wakeups.load(), before + 1);
}

TEST_F(StoreTest, DeferredCommit_NeverSynced_SurvivesTheProcessClosingTheStore) {
  Reopen(/*sync=*/true);
  UnitOfWork deferred;
  deferred.MarkInbox("cause-1");
  deferred.AddEvent(Event("deferred"));
  deferred.DeferSync();
  ASSERT_TRUE(store_->Commit(deferred).ok());
  Reopen();
  EXPECT_TRUE(*store_->InboxContains("cause-1"));
  EXPECT_EQ(VisibleOutbox(*store_), (std::vector<std::string>{"deferred"}));
}

}  // namespace
}  // namespace mesh::storage
