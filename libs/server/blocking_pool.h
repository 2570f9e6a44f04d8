// A fixed set of threads for the blocking part of a call: a RocksDB commit
// that waits for fsync. gRPC's callback threads are few; parking them on
// fsync would cap how many commits RocksDB can group into one log write.
// Handlers hand the blocking work here and finish their reactor from it.
//
// Thread-safe. The destructor runs what is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mesh::server {

class BlockingPool {
 public:
  explicit BlockingPool(int threads);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs task on pool, or inline when pool is null (tests, tools).
inline void RunBlocking(BlockingPool* pool, std::function<void()> task) {
  if (pool == nullptr) {
    task();
  } else {
    pool->Submit(std::move(task));
  }
}

}  // namespace mesh::server
