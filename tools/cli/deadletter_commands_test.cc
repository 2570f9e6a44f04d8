#include "tools/cli/deadletter_commands.h"

#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"
#include "tools/cli/command_test_support.h"

namespace mesh::cli {
namespace {

namespace pb = ::mesh::admin::v1;
using ::testing::HasSubstr;

// Knows one dead letter, sequence 42, and remembers the requests it saw.
class FakeDeadLetters final : public pb::DeadLetterService::Service {
 public:
  grpc::Status ListDeadLetters(grpc::ServerContext*,
                               const pb::ListDeadLettersRequest* request,
                               pb::ListDeadLettersResponse* response) override {
    ++calls;
    last_list = *request;
    pb::DeadLetter* letter = response->add_dead_letters();
    letter->set_sequence(42);
    letter->set_event_type("Purchased");
    return grpc::Status::OK;
  }

  grpc::Status ReplayDeadLetter(
      grpc::ServerContext*, const pb::ReplayDeadLetterRequest* request,
      pb::ReplayDeadLetterResponse* response) override {
    ++calls;
    last_replay = *request;
    if (request->sequence() != 42) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no dead letter");
    }
    response->mutable_replayed()->set_sequence(42);
    return grpc::Status::OK;
  }

  int calls = 0;
  pb::ListDeadLettersRequest last_list;
  pb::ReplayDeadLetterRequest last_replay;
};

class DeadLetterCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  FakeDeadLetters dead_letters_;
  FakeServer server_{&dead_letters_};
  CommandRunner runner_;
};

TEST_F(DeadLetterCommandsTest, List_NoTarget_UsageErrorNamesTarget) {
  CommandResult result =
      runner_.Run(&RunDeadLetterCommand, {"deadletters", "list"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--target"));
  EXPECT_EQ(dead_letters_.calls, 0);
}

TEST_F(DeadLetterCommandsTest, Replay_NoTarget_UsageErrorNamesTarget) {
  CommandResult result =
      runner_.Run(&RunDeadLetterCommand, {"deadletters", "replay", "42"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--target"));
  EXPECT_EQ(dead_letters_.calls, 0);
}

TEST_F(DeadLetterCommandsTest, List_AfterAndPageSize_SendsThemPrintsLetters) {
  CommandResult result =
      runner_.Run(&RunDeadLetterCommand,
                  {"deadletters", "list", "--target", server_.target(),
                   "--after", "41", "--page-size", "10"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(dead_letters_.last_list.after_sequence(), 41u);
  EXPECT_EQ(dead_letters_.last_list.page_size(), 10);
  EXPECT_THAT(runner_.out(), HasSubstr("\"event_type\": \"Purchased\""));
}

TEST_F(DeadLetterCommandsTest, List_NegativeAfter_UsageErrorNamesFlag) {
  CommandResult result = runner_.Run(
      &RunDeadLetterCommand,
      {"deadletters", "list", "--target", server_.target(), "--after", "-1"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--after"));
  EXPECT_EQ(dead_letters_.calls, 0);
}

TEST_F(DeadLetterCommandsTest, Replay_Sequence_SendsItAndPrintsReplayed) {
  CommandResult result = runner_.Run(
      &RunDeadLetterCommand,
      {"--target", server_.target(), "deadletters", "replay", "42"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitOk);
  EXPECT_EQ(dead_letters_.last_replay.sequence(), 42u);
  EXPECT_THAT(runner_.out(), HasSubstr("\"sequence\": \"42\""));
}

TEST_F(DeadLetterCommandsTest, Replay_UnknownSequence_PrintsNotFoundExitsOne) {
  CommandResult result =
      runner_.Run(&RunDeadLetterCommand,
                  {"--target", server_.target(), "deadletters", "replay", "7"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kExitRpcFailed);
  EXPECT_EQ(runner_.err(), "ERROR NOT_FOUND: no dead letter\n");
}

TEST_F(DeadLetterCommandsTest, Replay_NonNumericSequence_UsageErrorNamesSeq) {
  CommandResult result = runner_.Run(
      &RunDeadLetterCommand,
      {"--target", server_.target(), "deadletters", "replay", "latest"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("SEQ"));
  EXPECT_EQ(dead_letters_.calls, 0);
}

}  // namespace
}  // namespace mesh::cli
