// Opens a service's Store from its flags, for main().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/storage/store.h"

namespace mesh::server {

// Opens the Store at --data_dir (DefineServerFlags) with fsync per --store_sync
// (a bool the service defines, with its own default) and the given column
// families beyond state, outbox and inbox. On failure logs "cannot open the
// store" with the path and the error, and returns Store::Open's error; main
// then exits with 1.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
    const config::Config& config, std::vector<std::string> extra_column_families);

}  // namespace mesh::server
