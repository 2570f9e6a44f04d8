// Identifiers for aggregates and events.
#pragma once

#include <string>
#include <string_view>

namespace mesh::storage {

// A random, URL-safe id: the prefix, then 26 lowercase base32 characters
// (128 random bits). Thread-safe.
std::string NewId(std::string_view prefix = "");

}  // namespace mesh::storage
