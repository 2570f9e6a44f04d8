#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "libs/testing/in_process_server.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/paths.h"
#include "libs/testing/ports.h"
#include "libs/testing/process.h"
#include "mesh/admin/v1/dead_letter.grpc.pb.h"

namespace mesh::testing {
namespace {

using ::testing::HasSubstr;

ProcessOptions Shell(const std::string& script) {
  ProcessOptions options;
  options.binary = "/bin/sh";
  options.args = {"-c", script};
  return options;
}

// Real processes take real time; these bound how long a broken harness can
// hang a test, not how fast anything must be.
constexpr absl::Duration kPatience = absl::Seconds(10);

bool WaitForLog(const Process& process, const std::string& needle) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (absl::Now() < deadline) {
    if (process.ReadLog().find(needle) != std::string::npos) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

// True once `pid` is gone or a zombie nobody reaps (a container's pid 1 may
// never reap orphans).
bool IsDeadWithin(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string pid_field, comm, state;
    stat >> pid_field >> comm >> state;
    if (state == "Z" || state == "X") return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// The first protocol line a NATS server sends, or "" if none arrives.
std::string ReadNatsInfo(int port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fd);
  return line;
}

TEST(Process, Terminate_SleepingChild_ReportsSigterm) {
  ProcessOptions options;
  options.binary = "/bin/sleep";
  options.args = {"1000"};
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_TRUE((*process)->Running());

  absl::StatusOr<int> exit_status = (*process)->Terminate(kPatience);

  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_EQ(*exit_status, 128 + SIGTERM);
  EXPECT_FALSE((*process)->Running());
}

TEST(Process, Terminate_SigtermIgnored_KilledAfterGrace) {
  ProcessOptions options = Shell("trap '' TERM; echo ready; exec /bin/sleep 1000");
  TempDir dir;
  options.log_path = dir.path() + "/log";
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE(WaitForLog(**process, "ready"));

  absl::StatusOr<int> exit_status = (*process)->Terminate(absl::Milliseconds(100));

  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_EQ(*exit_status, 128 + SIGKILL);
}

TEST(Process, Wait_ChildExitsWithThree_ReturnsThree) {
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(Shell("exit 3"));
  ASSERT_TRUE(process.ok()) << process.status();

  absl::StatusOr<int> exit_status = (*process)->Wait(kPatience);

  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_EQ(*exit_status, 3);
  EXPECT_FALSE((*process)->Running());
}

TEST(Process, Wait_ChildStillRunning_DeadlineExceededAndLeftRunning) {
  ProcessOptions options;
  options.binary = "/bin/sleep";
  options.args = {"1000"};
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();

  absl::StatusOr<int> exit_status = (*process)->Wait(absl::Milliseconds(50));

  EXPECT_EQ(exit_status.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*process)->Running());
}

TEST(Process, Kill_RunningChild_ReportsSigkillAndReaps) {
  ProcessOptions options;
  options.binary = "/bin/sleep";
  options.args = {"1000"};
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  pid_t pid = (*process)->pid();

  (*process)->Kill();

  EXPECT_FALSE((*process)->Running());
  absl::StatusOr<int> exit_status = (*process)->Wait(absl::ZeroDuration());
  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_EQ(*exit_status, 128 + SIGKILL);
  int status;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Process, Destructor_RunningChild_KillsAndReaps) {
  ProcessOptions options;
  options.binary = "/bin/sleep";
  options.args = {"1000"};
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  pid_t pid = (*process)->pid();

  process->reset();

  int status;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Process, ReadLog_ChildWritesStdoutAndStderr_BothCaptured) {
  TempDir dir;
  ProcessOptions options = Shell("echo hi; echo oops >&2");
  options.log_path = dir.path() + "/child.log";
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->Wait(kPatience).ok());

  std::string log = (*process)->ReadLog();

  EXPECT_THAT(log, HasSubstr("hi\n"));
  EXPECT_THAT(log, HasSubstr("oops\n"));
}

TEST(Process, Start_EnvGiven_ChildSeesOverridesAndInheritedVariables) {
  TempDir dir;
  setenv("MESH_TESTING_INHERITED", "from-parent", 1);
  setenv("MESH_TESTING_OVERRIDDEN", "old", 1);
  ProcessOptions options =
      Shell("echo \"$MESH_TESTING_INHERITED $MESH_TESTING_OVERRIDDEN $MESH_TESTING_NEW\"");
  options.env = {{"MESH_TESTING_OVERRIDDEN", "new"}, {"MESH_TESTING_NEW", "added"}};
  options.log_path = dir.path() + "/child.log";
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->Wait(kPatience).ok());
  unsetenv("MESH_TESTING_INHERITED");
  unsetenv("MESH_TESTING_OVERRIDDEN");

  EXPECT_EQ((*process)->ReadLog(), "from-parent new added\n");
}

TEST(Process, Start_ParentHoldsInheritableFd_ChildDoesNotInheritIt) {
  TempDir dir;
  int leaked = open("/dev/null", O_RDONLY);  // deliberately not O_CLOEXEC
  ASSERT_GT(leaked, 2);
  ProcessOptions options = Shell(
      absl::StrCat("if [ -e /proc/self/fd/", leaked, " ]; then echo open; else echo closed; fi"));
  options.log_path = dir.path() + "/child.log";
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  close(leaked);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->Wait(kPatience).ok());

  EXPECT_EQ((*process)->ReadLog(), "closed\n");
}

TEST(Process, Start_MissingBinary_NotFound) {
  ProcessOptions options;
  options.binary = "/nonexistent/mesh-binary";

  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);

  EXPECT_EQ(process.status().code(), absl::StatusCode::kNotFound);
}

TEST(Process, Start_RelativeBinary_InvalidArgument) {
  ProcessOptions options;
  options.binary = "sleep";

  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);

  EXPECT_EQ(process.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Process, Start_StarterDies_ChildIsKilled) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t starter = fork();
  ASSERT_GE(starter, 0);
  if (starter == 0) {
    ProcessOptions options;
    options.binary = "/bin/sleep";
    options.args = {"1000"};
    absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
    pid_t pid = process.ok() ? (*process)->pid() : -1;
    ssize_t ignored = write(pipe_fds[1], &pid, sizeof(pid));
    (void)ignored;
    _exit(0);  // skips ~Process: only the death signal can end the child
  }
  close(pipe_fds[1]);
  pid_t orphan = -1;
  ASSERT_EQ(read(pipe_fds[0], &orphan, sizeof(orphan)), static_cast<ssize_t>(sizeof(orphan)));
  close(pipe_fds[0]);
  int status;
  ASSERT_EQ(waitpid(starter, &status, 0), starter);
  ASSERT_GT(orphan, 0);

  EXPECT_TRUE(IsDeadWithin(orphan, kPatience));
}

TEST(FreePort, ManyCalls_DistinctAndBindable) {
  std::set<int> ports;
  for (int i = 0; i < 20; ++i) {
    int port = FreePort();
    EXPECT_TRUE(ports.insert(port).second) << "port handed out twice: " << port;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << port;
    close(fd);
  }
}

TEST(TempDir, Destructor_DirectoryWithFiles_RemovesIt) {
  const char* keep = std::getenv("MESH_KEEP_TEST_DIRS");
  std::string saved = keep == nullptr ? "" : keep;
  unsetenv("MESH_KEEP_TEST_DIRS");
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    std::ofstream(path + "/file") << "data";
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_THAT(path, HasSubstr("TempDir.Destructor_DirectoryWithFiles_RemovesIt"));
  }
  if (keep != nullptr) setenv("MESH_KEEP_TEST_DIRS", saved.c_str(), 1);

  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, Constructor_TwoInOneTest_DistinctDirectories) {
  TempDir first;
  TempDir second;

  EXPECT_NE(first.path(), second.path());
}

TEST(Paths, BuildDirAndSourceDir_InsideCmakeBuild_PointAtRealTrees) {
  std::string build_dir = BuildDir();
  std::string source_dir = SourceDir();

  EXPECT_TRUE(std::filesystem::exists(build_dir + "/CMakeCache.txt")) << build_dir;
  EXPECT_TRUE(std::filesystem::exists(source_dir + "/libs/testing/process.h")) << source_dir;
}

TEST(WaitForServing, HealthyServer_Ok) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  // The default health service needs some callback or sync service beside it.
  grpc::CallbackGenericService unknown_methods;
  builder.RegisterCallbackGenericService(&unknown_methods);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  absl::Status status = WaitForServing(absl::StrCat("127.0.0.1:", port), kPatience);

  EXPECT_TRUE(status.ok()) << status;
  server->Shutdown();
}

TEST(WaitForServing, NotServingServer_DeadlineExceededNamingStatus) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  // The default health service needs some callback or sync service beside it.
  grpc::CallbackGenericService unknown_methods;
  builder.RegisterCallbackGenericService(&unknown_methods);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  server->GetHealthCheckService()->SetServingStatus(false);

  absl::Status status = WaitForServing(absl::StrCat("127.0.0.1:", port), absl::Milliseconds(300));

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(status.message(), HasSubstr("NOT_SERVING"));
  server->Shutdown();
}

TEST(WaitForServing, ClosedPort_FailsWithinTimeout) {
  const absl::Duration timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();

  absl::Status status = WaitForServing(absl::StrCat("127.0.0.1:", FreePort()), timeout);

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_LT(absl::Now() - start, timeout + absl::Seconds(2));
}

// Answers ListDeadLetters with one dead letter whose event id is `tag`, so a
// test can tell which service instance answered.
class TaggedDeadLetters : public admin::v1::DeadLetterService::CallbackService {
 public:
  explicit TaggedDeadLetters(std::string tag) : tag_(std::move(tag)) {}

  grpc::ServerUnaryReactor* ListDeadLetters(grpc::CallbackServerContext* context,
                                            const admin::v1::ListDeadLettersRequest*,
                                            admin::v1::ListDeadLettersResponse* response) override {
    response->add_dead_letters()->set_event_id(tag_);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::string tag_;
};

// The event id of the one dead letter the server answers with, or the error.
absl::StatusOr<std::string> AskTag(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kPatience));
  admin::v1::ListDeadLettersResponse response;
  grpc::Status status = admin::v1::DeadLetterService::NewStub(channel)->ListDeadLetters(
      &context, admin::v1::ListDeadLettersRequest(), &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  if (response.dead_letters_size() != 1) return absl::InternalError("not one dead letter");
  return response.dead_letters(0).event_id();
}

TEST(InProcessServer, Start_ServiceGiven_AnswersThroughNewChannelOnLoopback) {
  TaggedDeadLetters service("first");
  InProcessServer server;

  absl::Status started = server.Start({&service});

  ASSERT_TRUE(started.ok()) << started;
  EXPECT_GT(server.port(), 0);
  absl::StatusOr<std::string> tag = AskTag(server.NewChannel());
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(*tag, "first");
}

TEST(InProcessServer, StartAfterShutdown_OtherService_ServesIt) {
  TaggedDeadLetters first("first");
  TaggedDeadLetters second("second");
  InProcessServer server;
  ASSERT_TRUE(server.Start({&first}).ok());
  const int first_port = server.port();

  server.Shutdown();
  const int fd = ConnectLoopback(first_port);
  if (fd >= 0) close(fd);
  ASSERT_LT(fd, 0) << "still listening after Shutdown";
  absl::Status restarted = server.Start({&second});

  ASSERT_TRUE(restarted.ok()) << restarted;
  absl::StatusOr<std::string> tag = AskTag(server.NewChannel());
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(*tag, "second");
}

TEST(NatsServer, Start_FreshStore_AcceptsClientsWithJetStream) {
  TempDir dir;

  absl::StatusOr<std::unique_ptr<NatsServer>> nats = NatsServer::Start(dir.path() + "/nats");

  ASSERT_TRUE(nats.ok()) << nats.status();
  EXPECT_EQ((*nats)->url(), absl::StrCat("nats://127.0.0.1:", (*nats)->port()));
  std::string info = ReadNatsInfo((*nats)->port());
  EXPECT_THAT(info, HasSubstr("INFO "));
  EXPECT_THAT(info, HasSubstr("\"jetstream\":true"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/nats/jetstream"));
}

TEST(NatsServer, StopThenRestart_SamePortAndStore_AcceptsClientsAgain) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<NatsServer>> nats = NatsServer::Start(dir.path() + "/nats");
  ASSERT_TRUE(nats.ok()) << nats.status();
  const int port = (*nats)->port();

  absl::Status stopped = (*nats)->Stop();

  EXPECT_TRUE(stopped.ok()) << stopped;
  EXPECT_FALSE((*nats)->Running());
  EXPECT_EQ(ConnectLoopback(port), -1);

  absl::Status restarted = (*nats)->Restart();

  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ((*nats)->port(), port);
  EXPECT_THAT(ReadNatsInfo(port), HasSubstr("\"jetstream\":true"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/nats/jetstream"));
}

TEST(NatsServer, KillThenRestart_CrashedBroker_ComesBack) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<NatsServer>> nats = NatsServer::Start(dir.path() + "/nats");
  ASSERT_TRUE(nats.ok()) << nats.status();

  (*nats)->Kill();
  EXPECT_FALSE((*nats)->Running());
  absl::Status restarted = (*nats)->Restart();

  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_THAT(ReadNatsInfo((*nats)->port()), HasSubstr("INFO "));
}

TEST(NatsServer, Start_PortTaken_UnavailableWithLog) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<NatsServer>> first = NatsServer::Start(dir.path() + "/a");
  ASSERT_TRUE(first.ok()) << first.status();

  absl::StatusOr<std::unique_ptr<NatsServer>> second =
      NatsServer::Start(dir.path() + "/b", (*first)->port());

  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("address already in use"));
}

}  // namespace
}  // namespace mesh::testing
