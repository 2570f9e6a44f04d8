#include "libs/testing/paths.h"

#include <stdlib.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mesh::testing {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string FindBuildDirFromExe() {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec) return "";
  while (!dir.empty()) {
    if (std::filesystem::exists(dir / "CMakeCache.txt", ec)) return dir.string();
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  return "";
}

// gtest names may contain '/' (parameterised tests), which must not become
// path separators.
std::string SanitizedTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info == nullptr ? std::string("no_test")
                                     : absl::StrCat(info->test_suite_name(), ".", info->name());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      c = '_';
    }
  }
  return name;
}

}  // namespace

std::string BuildDir() {
  std::string from_env = Env("MESH_BUILD_DIR");
  if (!from_env.empty()) return from_env;
  static const std::string* from_exe = new std::string(FindBuildDirFromExe());
  return *from_exe;
}

std::string SourceDir() {
  std::string build_dir = BuildDir();
  if (build_dir.empty()) return "";
  std::ifstream cache(build_dir + "/CMakeCache.txt");
  std::string line;
  // Lines look like "mesh_SOURCE_DIR:STATIC=/work/main".
  while (std::getline(cache, line)) {
    if (!absl::StartsWith(line, "mesh_SOURCE_DIR:")) continue;
    size_t eq = line.find('=');
    if (eq != std::string::npos) return line.substr(eq + 1);
  }
  return "";
}

TempDir::TempDir() {
  std::string base = Env("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::string pattern = absl::StrCat(base, "/mesh-", SanitizedTestName(), "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror(absl::StrCat("TempDir: mkdtemp ", pattern).c_str());
    std::abort();
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (Env("MESH_KEEP_TEST_DIRS") == "1") {
    std::fprintf(stderr, "TempDir: keeping %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace mesh::testing
