#include "tools/cli/deadletter_commands.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"

namespace mesh::cli {
namespace {

namespace pb = ::mesh::admin::v1;
using Stub = pb::DeadLetterService::Stub;

constexpr size_t kCommandWords = 2;

CommandResult List(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s =
          line.CheckFlags("deadletters list", {"after", "page-size"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("deadletters list", kCommandWords, 0, 0);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<uint64_t> after = line.Uint64Or("after", 0);
  if (!after.ok()) return after.status();
  absl::StatusOr<int32_t> page_size = line.NonNegativeInt32Or("page-size", 0);
  if (!page_size.ok()) return page_size.status();

  pb::ListDeadLettersRequest request;
  request.set_after_sequence(*after);
  request.set_page_size(*page_size);
  return CallAndPrint(invocation, stub, &Stub::ListDeadLetters, request);
}

CommandResult Replay(const Invocation& invocation, Stub& stub) {
  const CommandLine& line = invocation.line;
  if (absl::Status s = line.CheckFlags("deadletters replay", {}); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          line.CheckPositionalCount("deadletters replay", kCommandWords, 0, 1);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<uint64_t> sequence =
      line.PositionalUint64(kCommandWords, "SEQ");
  if (!sequence.ok()) return sequence.status();

  pb::ReplayDeadLetterRequest request;
  request.set_sequence(*sequence);
  return CallAndPrint(invocation, stub, &Stub::ReplayDeadLetter, request);
}

}  // namespace

CommandResult RunDeadLetterCommand(const Invocation& invocation) {
  absl::StatusOr<std::string> subcommand =
      invocation.line.Positional(1, "deadletters subcommand (list, replay)");
  if (!subcommand.ok()) return subcommand.status();

  using Handler = CommandResult (*)(const Invocation&, Stub&);
  Handler handler = nullptr;
  if (*subcommand == "list") handler = &List;
  if (*subcommand == "replay") handler = &Replay;
  if (handler == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown deadletters subcommand '", *subcommand, "'"));
  }
  if (invocation.global.target.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "missing required flag --target for 'deadletters ", *subcommand, "'"));
  }

  std::unique_ptr<Stub> stub =
      pb::DeadLetterService::NewStub(Dial(invocation.global.target));
  return handler(invocation, *stub);
}

}  // namespace mesh::cli
