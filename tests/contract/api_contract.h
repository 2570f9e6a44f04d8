// API contract checks (issue 4): one call, made through the generated C++
// client and again, with the same request, through server reflection with
// `buf curl` (no proto files, the way a grpcurl user works). Both must
// answer as the contract says: OK with a response of the declared type, or
// the documented status code with a message that names the field or reason.
// Since every mutating RPC of the mesh is idempotent, the reflection call is
// also the idempotent replay: by default its answer must equal the first.
//
// These report through gtest assertions, so call them from the test's own
// thread; they are not thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace mesh::contract {

struct Expect {
  grpc::StatusCode code = grpc::StatusCode::OK;
  // For an error: a part of the message, e.g. the field it names.
  std::string message_has;
  // For OK: whether the reflection call must answer exactly like the C++
  // call. False where the answer may legitimately move on between the two
  // (a view still being folded).
  bool replay_identical = true;
};

inline Expect Ok() { return {}; }
inline Expect OkMayChange() { return {grpc::StatusCode::OK, "", false}; }
inline Expect Fails(grpc::StatusCode code, std::string message_has) {
  return {code, std::move(message_has), true};
}

// Makes sure every contract in proto/ is in the generated descriptor pool:
// a static library links a .pb.cc only when something refers to it, so a
// lookup by name alone can miss a file. Thread-safe.
void LoadEveryContract();

// "<package>.<Service>/<Method>" of every method called through ExpectCall
// in this process.
std::set<std::string>& CalledMethods();

// Fails the test unless every method of the service (its full name, e.g.
// "billing.v1.BillingService") was called.
void ExpectEveryMethodCalled(const std::string& service);

// The request as protobuf JSON with the proto field names, as in the README.
std::string ToJson(const google::protobuf::Message& message);

// Splits output holding JSON objects one after another (a server stream as
// buf curl prints it) into the objects.
std::vector<std::string> JsonObjects(absl::string_view text);

// The reflection half of ExpectCall: `buf curl` with the request as JSON.
// For OK, the answer must parse as the method's response type (unknown
// fields refused) and, with replay_identical, equal `first_answer`. For an
// error, buf's exit code must be the gRPC code times 8 and its error must
// carry the code and message_has.
void ExpectReflectionCall(const std::string& address, const std::string& method_path,
                          const google::protobuf::Message& request, const Expect& expect,
                          const google::protobuf::Message& first_answer);

// Fails the test unless `service.method` exists in the compiled contracts
// with these request and response types.
void ExpectMethodTypes(const std::string& service, const std::string& method,
                       const google::protobuf::Descriptor* request,
                       const google::protobuf::Descriptor* response);

// What every contract call does first: checks that the method exists with
// these types, records it as called, and returns its path ("<service>/<method>").
template <typename Service, typename Request, typename Response>
std::string RecordCall(const std::string& method) {
  const std::string service = Service::service_full_name();
  ExpectMethodTypes(service, method, Request::descriptor(), Response::descriptor());
  const std::string path = service + "/" + method;
  CalledMethods().insert(path);
  return path;
}

// Calls Service's method through the generated stub, then through
// reflection (see above). Returns the stub's answer.
template <typename Service, typename Request, typename Response>
Response ExpectCall(const std::string& address,
                    grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                       Response*),
                    const std::string& method, const Request& request, const Expect& expect) {
  const std::string path = RecordCall<Service, Request, Response>(method);
  SCOPED_TRACE(path + " " + request.ShortDebugString());
  auto stub = Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Response response;
  const grpc::Status status = ((*stub).*rpc)(&context, request, &response);
  EXPECT_EQ(status.error_code(), expect.code) << status.error_message();
  if (expect.code != grpc::StatusCode::OK) {
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr(expect.message_has));
  }
  ExpectReflectionCall(address, path, request, expect, response);
  return response;
}

// The reflection half of ExpectFirstStreamed: `buf curl` must stream a first
// message of the method's response type equal to `first_message`.
void ExpectFirstStreamedThroughReflection(const std::string& address,
                                          const std::string& method_path,
                                          const google::protobuf::Message& request,
                                          const google::protobuf::Message& first_message);

// Opens a server stream through the generated stub and through reflection;
// each must deliver a first message, and the two must be equal. Both streams
// are cancelled then. Returns the stub's first message.
template <typename Service, typename Request, typename Response>
Response ExpectFirstStreamed(const std::string& address,
                             std::unique_ptr<grpc::ClientReader<Response>> (Service::Stub::*rpc)(
                                 grpc::ClientContext*, const Request&),
                             const std::string& method, const Request& request) {
  const std::string path = RecordCall<Service, Request, Response>(method);
  SCOPED_TRACE(path + " " + request.ShortDebugString());
  auto stub = Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::ClientReader<Response>> reader = ((*stub).*rpc)(&context, request);
  Response first;
  EXPECT_TRUE(reader->Read(&first))
      << "the stream ended at once: " << reader->Finish().error_message();
  context.TryCancel();
  reader->Finish();
  ExpectFirstStreamedThroughReflection(address, path, request, first);
  return first;
}

}  // namespace mesh::contract
