// Serialises load-modify-commit sequences on the same aggregate key.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace mesh::storage {

// A fixed set of mutexes picked by key hash. Two keys may share a stripe, so
// never hold two stripes at once. Thread-safe.
class KeyLock {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view key) {
    return std::unique_lock<std::mutex>(
        stripes_[std::hash<std::string_view>{}(key) % stripes_.size()]);
  }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace mesh::storage
