#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/testing/process.h"

namespace mesh::testing {

// A real nats-server (/usr/sbin/nats-server) with JetStream, listening for
// clients on 127.0.0.1 only and opening no other port (no monitoring, no
// cluster). JetStream data lives in <store_dir>/jetstream and the server's
// log in <store_dir>/nats-server.log, so a restart finds its streams again.
// The server also writes <store_dir>/nats-server_<pid>.ports, which Start()
// uses to tell that this server, not another one, owns the port.
// The server dies with the test process (see Process). Thread-compatible.
class NatsServer {
 public:
  // Creates store_dir if needed, starts the server on `port` (0: FreePort())
  // and waits until the port accepts TCP connections. UNAVAILABLE if the
  // server exits or does not listen within 10 s (the message carries the
  // log); other errors as for Process::Start.
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(const std::string& store_dir,
                                                           int port = 0);

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Kills the server if it is still running.
  ~NatsServer();

  // "nats://127.0.0.1:<port>".
  std::string url() const;
  int port() const { return port_; }
  const std::string& store_dir() const { return store_dir_; }
  std::string log_path() const;

  // SIGTERM and wait up to 10 s for the server to shut down. INTERNAL if it
  // had to be killed. OK if it is not running.
  absl::Status Stop();

  // SIGKILL: a broker crash. No-op if it is not running.
  void Kill();

  // Stops the server if it is running, then starts it again on the same port
  // with the same store dir and waits as Start() does.
  absl::Status Restart();

  bool Running() const { return process_ != nullptr && process_->Running(); }

 private:
  NatsServer(std::string store_dir, int port);

  absl::Status Launch();

  const std::string store_dir_;
  const int port_;
  std::unique_ptr<Process> process_;
};

}  // namespace mesh::testing
