#include "libs/testing/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

extern char** environ;

namespace mesh::testing {
namespace {

// Everything the child needs, built before fork(): after fork() in a
// multi-threaded test only async-signal-safe calls are allowed, so no
// allocation happens in the child.
struct ChildPlan {
  pid_t parent_pid;
  const char* binary;
  std::vector<char*> argv;
  std::vector<char*> envp;
  int stdin_fd;
  int log_fd;  // -1: inherit stdout/stderr
  int error_fd;
  int max_fd;  // fallback bound when close_range() is unavailable
};

[[noreturn]] void FailChild(int error_fd) {
  int error = errno;
  ssize_t ignored = write(error_fd, &error, sizeof(error));
  (void)ignored;
  _exit(127);
}

void CloseFrom(int first, int last_inclusive, int max_fd) {
  if (first > last_inclusive) return;
  if (close_range(first, last_inclusive, 0) == 0) return;
  for (int fd = first; fd <= std::min(last_inclusive, max_fd); ++fd) close(fd);
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) FailChild(plan.error_fd);
  // The parent may have died before prctl() took effect; the signal would
  // then never come.
  if (getppid() != plan.parent_pid) _exit(127);

  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  // Ignored signals (gRPC ignores SIGPIPE) would survive exec.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &default_action, nullptr);
  }

  if (dup2(plan.stdin_fd, STDIN_FILENO) < 0) FailChild(plan.error_fd);
  if (plan.log_fd >= 0 &&
      (dup2(plan.log_fd, STDOUT_FILENO) < 0 || dup2(plan.log_fd, STDERR_FILENO) < 0)) {
    FailChild(plan.error_fd);
  }
  // The error pipe is close-on-exec, so it stays open only until exec.
  CloseFrom(3, plan.error_fd - 1, plan.max_fd);
  CloseFrom(plan.error_fd + 1, ~0U >> 1, plan.max_fd);

  execve(plan.binary, plan.argv.data(), plan.envp.data());
  FailChild(plan.error_fd);
}

std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    std::string key(kv.substr(0, kv.find('=')));
    if (!overrides.contains(key)) merged.emplace_back(kv);
  }
  for (const auto& [key, value] : overrides) {
    merged.push_back(absl::StrCat(key, "=", value));
  }
  return merged;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t WaitPidRetrying(pid_t pid, int* status, int flags) {
  pid_t result;
  do {
    result = waitpid(pid, status, flags);
  } while (result < 0 && errno == EINTR);
  return result;
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Start(ProcessOptions options) {
  if (options.binary.empty() || options.binary[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("binary must be an absolute path, got '", options.binary, "'"));
  }

  FdCloser stdin_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (stdin_fd.get() < 0) return absl::ErrnoToStatus(errno, "open /dev/null");
  FdCloser log_fd(options.log_path.empty() ? -1
                                           : open(options.log_path.c_str(),
                                                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!options.log_path.empty() && log_fd.get() < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("open ", options.log_path));
  }
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  FdCloser error_read(error_pipe[0]);
  FdCloser error_write(error_pipe[1]);

  std::vector<std::string> argv_storage;
  argv_storage.push_back(options.binary);
  argv_storage.insert(argv_storage.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_storage = MergedEnvironment(options.env);

  ChildPlan plan;
  plan.parent_pid = getpid();
  plan.binary = options.binary.c_str();
  for (std::string& arg : argv_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& entry : env_storage) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  plan.stdin_fd = stdin_fd.get();
  plan.log_fd = log_fd.get();
  plan.error_fd = error_write.get();
  rlimit limit{};
  plan.max_fd = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                    ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20))
                    : 1 << 16;

  pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) RunChild(plan);

  error_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(error_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    int status;
    WaitPidRetrying(pid, &status, 0);
    return absl::ErrnoToStatus(child_errno, absl::StrCat("exec ", options.binary));
  }

  // Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and so cannot
  // be linked from C++.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<Process>(new Process(std::move(options), pid, pidfd));
}

Process::Process(ProcessOptions options, pid_t pid, int pidfd)
    : options_(std::move(options)), pid_(pid), pidfd_(pidfd) {}

Process::~Process() {
  Kill();
  if (pidfd_ >= 0) close(pidfd_);
}

void Process::ReapIfExitedLocked() {
  if (exit_.has_value()) return;
  int status = 0;
  pid_t result = WaitPidRetrying(pid_, &status, WNOHANG);
  if (result == 0) return;
  if (result == pid_) {
    exit_ = DecodeWaitStatus(status);
  } else {
    exit_ = absl::InternalError(absl::StrCat("pid ", pid_, " was reaped by someone else: ",
                                             absl::ErrnoToStatus(errno, "waitpid").message()));
  }
}

void Process::SignalLocked(int signal) {
  // An unreaped child's pid cannot be recycled, so this hits only our child.
  if (pid_ <= 0 || exit_.has_value()) return;
  kill(pid_, signal);
}

bool Process::WaitUntil(absl::Time deadline) {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ReapIfExitedLocked();
      if (exit_.has_value()) return true;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    if (pidfd_ >= 0) {
      pollfd entry{pidfd_, POLLIN, 0};
      int timeout_ms = static_cast<int>(std::min<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1 << 30));
      poll(&entry, 1, timeout_ms);
    } else {
      absl::SleepFor(std::min(left, absl::Milliseconds(5)));
    }
  }
}

bool Process::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapIfExitedLocked();
  return !exit_.has_value();
}

absl::StatusOr<int> Process::Terminate(absl::Duration grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReapIfExitedLocked();
    if (exit_.has_value()) return *exit_;
    SignalLocked(SIGTERM);
  }
  WaitUntil(absl::Now() + grace);
  Kill();
  std::lock_guard<std::mutex> lock(mu_);
  return *exit_;
}

void Process::Kill() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapIfExitedLocked();
  if (exit_.has_value()) return;
  SignalLocked(SIGKILL);
  int status = 0;
  if (WaitPidRetrying(pid_, &status, 0) == pid_) {
    exit_ = DecodeWaitStatus(status);
  } else {
    exit_ = absl::InternalError(absl::StrCat("pid ", pid_, " was reaped by someone else"));
  }
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  if (!WaitUntil(absl::Now() + timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        options_.binary, " (pid ", pid_, ") still running after ", absl::FormatDuration(timeout)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  return *exit_;
}

std::string Process::ReadLog() const {
  if (options_.log_path.empty()) return "";
  std::ifstream in(options_.log_path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status WaitForServing(const std::string& target, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // The default reconnect backoff grows to seconds, which would make a
  // server that comes up a moment late look much slower to start.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<grpc::health::v1::Health::Stub> stub = grpc::health::v1::Health::NewStub(channel);

  std::string last = "no answer";
  while (true) {
    absl::Time now = absl::Now();
    if (now >= deadline) break;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(std::min(deadline, now + absl::Seconds(1))));
    context.set_wait_for_ready(true);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    last = status.ok()
               ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
               : absl::StrCat("rpc error ", status.error_code(), ": ", status.error_message());
    // wait_for_ready already paces unreachable targets; this paces a
    // reachable one that is not serving yet.
    absl::SleepFor(std::min(absl::Milliseconds(20), deadline - absl::Now()));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(target, " not SERVING after ", absl::FormatDuration(timeout), "; last: ", last));
}

}  // namespace mesh::testing
