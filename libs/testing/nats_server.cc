#include "libs/testing/nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/testing/ports.h"

namespace mesh::testing {
namespace {

constexpr char kNatsServerBinary[] = "/usr/sbin/nats-server";
constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kStopGrace = absl::Seconds(10);

bool AcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(const std::string& store_dir,
                                                              int port) {
  std::error_code ec;
  std::filesystem::create_directories(store_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("create ", store_dir, ": ", ec.message()));
  }
  std::unique_ptr<NatsServer> server(new NatsServer(store_dir, port == 0 ? FreePort() : port));
  absl::Status launched = server->Launch();
  if (!launched.ok()) return launched;
  return server;
}

NatsServer::NatsServer(std::string store_dir, int port)
    : store_dir_(std::move(store_dir)), port_(port) {}

NatsServer::~NatsServer() { Kill(); }

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

std::string NatsServer::log_path() const { return store_dir_ + "/nats-server.log"; }

absl::Status NatsServer::Launch() {
  ProcessOptions options;
  options.binary = kNatsServerBinary;
  options.args = {"-js", "-a",       "127.0.0.1",        "-p",      absl::StrCat(port_),
                  "-sd", store_dir_, "--ports_file_dir", store_dir_};
  options.log_path = log_path();
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(std::move(options));
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  // A connection alone could reach some other server that holds the port;
  // the ports file names this server's pid and appears once it is ready,
  // JetStream included.
  const std::string ports_file =
      absl::StrCat(store_dir_, "/nats-server_", process_->pid(), ".ports");
  const absl::Time deadline = absl::Now() + kStartTimeout;
  std::error_code ec;
  while (!std::filesystem::exists(ports_file, ec) || !AcceptsConnections(port_)) {
    if (!process_->Running() || absl::Now() >= deadline) {
      process_->Kill();
      return absl::UnavailableError(absl::StrCat("nats-server on port ", port_,
                                                 " did not start; log:\n", process_->ReadLog()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::OkStatus();
}

absl::Status NatsServer::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::StatusOr<int> exit_status = process_->Terminate(kStopGrace);
  if (!exit_status.ok()) return exit_status.status();
  // nats-server exits with status 1 after a clean shutdown on SIGTERM, so
  // only a forced kill counts as a failed stop.
  if (*exit_status == 128 + SIGKILL) {
    return absl::InternalError(absl::StrCat("nats-server ignored SIGTERM for ",
                                            absl::FormatDuration(kStopGrace), "; killed"));
  }
  return absl::OkStatus();
}

void NatsServer::Kill() {
  if (process_ != nullptr) process_->Kill();
}

absl::Status NatsServer::Restart() {
  absl::Status stopped = Stop();
  if (!stopped.ok()) return stopped;
  return Launch();
}

}  // namespace mesh::testing
