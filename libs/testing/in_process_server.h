// A gRPC server inside the test process on 127.0.0.1 at a free port, so that a
// service is called through its generated stub over a real channel. Test-only.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace mesh::testing {

// Thread-compatible: Start and Shutdown from the test's thread; channels may
// be used from any thread.
class InProcessServer {
 public:
  InProcessServer() = default;
  ~InProcessServer() { Shutdown(); }

  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  // Registers the services (not owned; they must outlive the server) and
  // starts serving. Again after Shutdown, on a new port. INTERNAL when the
  // server cannot be built or bound.
  absl::Status Start(std::initializer_list<grpc::Service*> services) {
    grpc::ServerBuilder builder;
    port_ = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    for (grpc::Service* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::InternalError("cannot start an in-process gRPC server on 127.0.0.1");
    }
    return absl::OkStatus();
  }

  // A new insecure channel to the running server.
  std::shared_ptr<grpc::Channel> NewChannel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                               grpc::InsecureChannelCredentials());
  }

  // Stops accepting and waits for every call in flight. Does nothing when not
  // running.
  void Shutdown() {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
  }

  int port() const { return port_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace mesh::testing
