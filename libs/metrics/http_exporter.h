#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/metrics/registry.h"

namespace mesh::metrics {

// Serves `GET /metrics` (Content-Type "text/plain; version=0.0.4") from a
// registry on its own threads; every other path is 404. The registry must
// outlive the exporter.
//
// Thread-safe: port() and Stop() may be called from any thread.
class HttpExporter {
 public:
  // Binds host:port (port 0 picks a free port) and starts serving before it
  // returns. UNAVAILABLE when the address cannot be bound (in use, or not a
  // local address).
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& host, int port,
                                                             const Registry& registry);

  ~HttpExporter();
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  // The bound port.
  int port() const { return port_; }

  // Stops accepting, finishes the scrapes in progress and joins the serving
  // thread. Idempotent; the destructor calls it.
  void Stop();

 private:
  struct Impl;
  HttpExporter(std::unique_ptr<Impl> impl, int port);

  std::unique_ptr<Impl> impl_;
  const int port_;
};

}  // namespace mesh::metrics
