#include "libs/storage/ids.h"

#include <cstdint>
#include <random>

#include "absl/random/random.h"

namespace mesh::storage {

std::string NewId(std::string_view prefix) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  thread_local absl::BitGen gen;
  std::string id(prefix);
  id.reserve(prefix.size() + 26);
  for (int i = 0; i < 26; ++i) {
    id.push_back(kAlphabet[absl::Uniform<uint32_t>(gen, 0, 32)]);
  }
  return id;
}

}  // namespace mesh::storage
