#pragma once

#include <string>

namespace mesh::testing {

// The CMake build directory: env MESH_BUILD_DIR (ctest sets it), else the
// nearest ancestor of the running binary's directory that holds
// CMakeCache.txt. Empty if neither is found. Thread-safe.
std::string BuildDir();

// The repository root, read from the key mesh_SOURCE_DIR in BuildDir()'s
// CMakeCache.txt. Empty if the build directory or the key is missing.
// Thread-safe.
std::string SourceDir();

// A fresh, empty directory under $TMPDIR (or /tmp) whose name starts with the
// running gtest test's name. The destructor removes it and everything in it,
// unless env MESH_KEEP_TEST_DIRS=1 asks to keep it for a post-mortem (the path
// is then printed to stderr). Aborts if the directory cannot be created.
// Thread-compatible.
class TempDir {
 public:
  TempDir();
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mesh::testing
