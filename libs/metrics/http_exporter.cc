#include "libs/metrics/http_exporter.h"

#include <sys/socket.h>

#include <atomic>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "httplib.h"

namespace mesh::metrics {

struct HttpExporter::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  absl::Mutex stop_mu;
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

HttpExporter::HttpExporter(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

HttpExporter::~HttpExporter() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpExporter>> HttpExporter::Start(const std::string& host, int port,
                                                                  const Registry& registry) {
  auto impl = std::make_unique<Impl>();
  httplib::Server& server = impl->server;
  // httplib defaults to at least 8 workers; a scrape every few seconds needs
  // far fewer, and this machine has two cores.
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default sets SO_REUSEPORT, which would let a second process
  // bind the same port and silently take half the scrapes.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry.RenderText(), "text/plain; version=0.0.4; charset=utf-8");
  });

  int bound_port = -1;
  if (port == 0) {
    bound_port = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, port)) {
    bound_port = port;
  }
  if (bound_port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the metrics endpoint to ", host, ":", port));
  }

  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->listen_returned.store(true);
  });
  // httplib's stop() does nothing until the accept loop has marked itself
  // running; waiting here means a Stop() right after Start() cannot be lost
  // and leave the join hanging.
  while (!server.is_running() && !impl->listen_returned.load()) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return std::unique_ptr<HttpExporter>(new HttpExporter(std::move(impl), bound_port));
}

void HttpExporter::Stop() {
  absl::MutexLock lock(&impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace mesh::metrics
