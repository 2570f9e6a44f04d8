#include "libs/server/store_flags.h"

#include <utility>

#include "libs/logging/logging.h"

namespace mesh::server {

absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
    const config::Config& config, std::vector<std::string> extra_column_families) {
  storage::StoreOptions options;
  options.path = config.GetString("data_dir");
  options.sync = config.GetBool("store_sync");
  options.extra_column_families = std::move(extra_column_families);
  absl::StatusOr<std::unique_ptr<storage::Store>> store = storage::Store::Open(options);
  if (!store.ok()) {
    logging::Error("cannot open the store",
                   {{"path", options.path}, {"error", store.status().ToString()}});
  }
  return store;
}

}  // namespace mesh::server
