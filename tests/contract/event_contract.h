// Consumer-driven event contracts (issue 4). Each consuming context declares,
// in a consumes.textproto beside its policy code, the events it reads and the
// payload fields it relies on (schema: tests/contract/event_contract.proto).
// These functions load the declarations and check them against the
// producers' protos.
//
// Every function is thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "tests/contract/event_contract.pb.h"

namespace mesh::contract {

// Parses one declaration (text format). NOT_FOUND when the file cannot be
// read; INVALID_ARGUMENT with the parser's line and column when it does not
// parse, e.g. for a misspelt key.
absl::StatusOr<ConsumerContract> LoadContract(const std::string& path);

// Every consumes.textproto under <source_dir>/services, sorted by path.
std::vector<std::string> FindContracts(const std::string& source_dir);

// The file that holds a producer's events, by DESIGN §2's layout:
// "usedcar.purchase" → "usedcar/purchase/v1/purchase_events.proto",
// "billing" → "billing/v1/billing_events.proto".
std::string EventsFileOf(absl::string_view producer);

// The payload's short name, as an envelope's event_type carries it:
// "usedcar.purchase.v1.Purchased" → "Purchased".
std::string EventTypeOf(absl::string_view message);

// Every way the contract disagrees with the producers' protos in `pool`, one
// readable line each; empty when it holds. Problems: an empty consumer,
// producer, message or field; an event declared twice; a message that does
// not exist or is not in its producer's events file; a field path with a
// step the message does not have, or that steps into a field that is not a
// singular message.
std::vector<std::string> CheckContract(const ConsumerContract& contract,
                                       const google::protobuf::DescriptorPool& pool);

// Whether the field at the dotted path is set in `message`: a singular
// message is present, a proto3 scalar differs from its default, a repeated
// field has an element. False for a path that does not resolve.
bool FieldIsSet(const google::protobuf::Message& message, absl::string_view path);

}  // namespace mesh::contract
