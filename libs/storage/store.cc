#include "libs/storage/store.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "libs/status/status.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace mesh::storage {

absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(context), ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain()) {
    return absl::UnavailableError(message);
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  return absl::InternalError(message);
}

// Keys of the default column family, beside the outbox.
constexpr char kOutboxAckedKey[] = "outbox_acked";

std::string OutboxKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return key;
}

uint64_t DecodeOutboxKey(std::string_view key) {
  uint64_t seq = 0;
  for (size_t i = 0; i < key.size() && i < 8; ++i) {
    seq = (seq << 8) | static_cast<unsigned char>(key[i]);
  }
  return seq;
}

void UnitOfWork::Put(std::string_view cf, std::string_view key, std::string_view value) {
  ops_.push_back(Op{std::string(cf), std::string(key), std::string(value)});
}

void UnitOfWork::Delete(std::string_view cf, std::string_view key) {
  ops_.push_back(Op{std::string(cf), std::string(key), std::nullopt});
}

void UnitOfWork::AddEvent(const common::v1::EventEnvelope& event) { events_.push_back(event); }

void UnitOfWork::MarkInbox(std::string_view event_id) {
  ops_.push_back(Op{std::string(kInbox), std::string(event_id), std::string("1")});
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("create ", options.path, ": ", ec.message()));
  }
  std::unique_ptr<Store> store(new Store());
  store->write_options_.sync = options.sync;
  store->unsynced_options_.sync = false;

  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName, std::string(kState),
                                    std::string(kOutbox), std::string(kInbox)};
  for (const std::string& extra : options.extra_column_families) names.push_back(extra);

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Many threads committing small batches: let RocksDB group their WAL writes.
  db_options.enable_pipelined_write = true;
  // Writers waiting for their group spin before they sleep; on two cores the
  // spinning takes the CPU the group leader needs (perf: WriteThread::AwaitState).
  db_options.enable_write_thread_adaptive_yield = false;

  // Most reads are point lookups of keys that are not there (inbox marks of
  // new events, idempotency keys of new requests): bloom filters answer those
  // without searching the memtable's skip list or reading table blocks.
  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  cf_options.memtable_prefix_bloom_size_ratio = 0.02;
  cf_options.memtable_whole_key_filtering = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, cf_options);
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocksDb(
      rocksdb::DB::Open(db_options, options.path, descriptors, &store->handles_, &raw),
      absl::StrCat("open ", options.path)));
  store->db_.reset(raw);
  store->names_ = names;

  // Resume the outbox sequence after the last row still waiting.
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * outbox, store->Handle(kOutbox));
  std::unique_ptr<rocksdb::Iterator> it(store->db_->NewIterator(rocksdb::ReadOptions(), outbox));
  uint64_t depth = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++depth;
  store->outbox_depth_ = depth;
  it->SeekToLast();
  if (it->Valid()) store->last_outbox_seq_ = DecodeOutboxKey(it->key().ToStringView());
  std::string persisted;
  if (store->db_->Get(rocksdb::ReadOptions(), "outbox_seq", &persisted).ok()) {
    store->last_outbox_seq_ = std::max(store->last_outbox_seq_, DecodeOutboxKey(persisted));
  }
  if (store->db_->Get(rocksdb::ReadOptions(), kOutboxAckedKey, &persisted).ok()) {
    store->outbox_acked_ = DecodeOutboxKey(persisted);
  }
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> Store::Handle(std::string_view cf) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == cf) return handles_[i];
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown column family ", std::string(cf)));
}

absl::StatusOr<std::optional<std::string>> Store::Get(std::string_view cf,
                                                      std::string_view key) const {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Handle(cf));
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle, rocksdb::Slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocksDb(s, "get"));
  return std::optional<std::string>(std::move(value));
}

absl::Status Store::Scan(std::string_view cf, std::string_view prefix,
                         std::string_view start_after, const Visitor& fn) const {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Handle(cf));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
  if (start_after.empty()) {
    it->Seek(rocksdb::Slice(prefix));
  } else {
    it->Seek(rocksdb::Slice(start_after));
    if (it->Valid() && it->key().ToStringView() == start_after) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key, it->value().ToStringView())) break;
  }
  return FromRocksDb(it->status(), "scan");
}

absl::Status Store::Commit(UnitOfWork& work) {
  rocksdb::WriteBatch batch;
  for (const UnitOfWork::Op& op : work.ops_) {
    ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Handle(op.cf));
    if (op.value.has_value()) {
      batch.Put(handle, op.key, *op.value);
    } else {
      batch.Delete(handle, op.key);
    }
  }
  // Deferring matters only when commits are synced at all.
  const bool deferred = work.defer_sync_ && write_options_.sync;
  const rocksdb::WriteOptions& options = deferred ? unsynced_options_ : write_options_;
  if (work.events_.empty()) {
    return FromRocksDb(db_->Write(options, &batch), "commit");
  }
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * outbox, Handle(kOutbox));
  uint64_t first = 0;
  uint64_t last = 0;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    first = last_outbox_seq_ + 1;
    last = last_outbox_seq_ += work.events_.size();
    in_flight_[first] = last;
  }
  uint64_t seq = first;
  for (const common::v1::EventEnvelope& event : work.events_) {
    batch.Put(outbox, OutboxKey(seq++), event.SerializeAsString());
  }
  // The high-water mark survives the relay deleting every row.
  batch.Put("outbox_seq", OutboxKey(last));
  absl::Status written = FromRocksDb(db_->Write(options, &batch), "commit");
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    if (written.ok() && deferred) {
      deferred_.push_back(first);
    } else {
      in_flight_.erase(first);
    }
    if (written.ok()) outbox_depth_ += work.events_.size();
  }
  if (written.ok() && !deferred && outbox_listener_) outbox_listener_();
  return written;
}

absl::Status Store::Sync() {
  std::vector<uint64_t> released;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    released.swap(deferred_);
  }
  // Every deferred commit in `released` finished writing before the swap,
  // so this fsync covers it.
  if (write_options_.sync) {
    absl::Status synced = FromRocksDb(db_->SyncWAL(), "sync log");
    if (!synced.ok()) {
      std::lock_guard<std::mutex> lock(commit_mu_);
      deferred_.insert(deferred_.end(), released.begin(), released.end());
      return synced;
    }
    ++syncs_;
  }
  if (released.empty()) return absl::OkStatus();
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    for (uint64_t first : released) in_flight_.erase(first);
  }
  if (outbox_listener_) outbox_listener_();
  return absl::OkStatus();
}

uint64_t Store::VisibleOutboxSeq() const {
  std::lock_guard<std::mutex> lock(commit_mu_);
  return in_flight_.empty() ? last_outbox_seq_ : in_flight_.begin()->first - 1;
}

absl::StatusOr<bool> Store::InboxContains(std::string_view event_id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> mark, Get(kInbox, event_id));
  return mark.has_value();
}

uint64_t Store::OutboxDepth() const { return outbox_depth_.load(); }

absl::Status Store::DeleteOutboxThrough(uint64_t up_to) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * outbox, Handle(kOutbox));
  uint64_t deleted = 0;
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(ScanOutbox(0, [&](uint64_t seq, std::string_view) {
    if (seq > up_to) return false;
    batch.Delete(outbox, OutboxKey(seq));
    ++deleted;
    return true;
  }));
  if (deleted == 0) return absl::OkStatus();
  RETURN_IF_ERROR(FromRocksDb(db_->Write(write_options_, &batch), "delete outbox"));
  outbox_depth_ -= deleted;
  return absl::OkStatus();
}

absl::Status Store::SetOutboxAcked(uint64_t through) {
  RETURN_IF_ERROR(FromRocksDb(db_->Put(unsynced_options_, kOutboxAckedKey, OutboxKey(through)),
                              "record outbox acked"));
  outbox_acked_ = through;
  return absl::OkStatus();
}

absl::Status Store::ScanOutbox(
    uint64_t after, const std::function<bool(uint64_t seq, std::string_view row)>& fn) const {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * outbox, Handle(kOutbox));
  const uint64_t visible = VisibleOutboxSeq();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox));
  for (it->Seek(OutboxKey(after + 1)); it->Valid(); it->Next()) {
    const uint64_t seq = DecodeOutboxKey(it->key().ToStringView());
    if (seq > visible || !fn(seq, it->value().ToStringView())) break;
  }
  return FromRocksDb(it->status(), "scan outbox");
}

absl::Status Store::Clear(std::string_view cf) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * handle, Handle(cf));
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
  for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(handle, it->key());
  RETURN_IF_ERROR(FromRocksDb(it->status(), "clear"));
  return FromRocksDb(db_->Write(write_options_, &batch), "clear");
}

absl::Status Store::Check() const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), "outbox_seq", &value);
  if (s.ok() || s.IsNotFound()) return absl::OkStatus();
  return FromRocksDb(s, "readiness");
}

}  // namespace mesh::storage
