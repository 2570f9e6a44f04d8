#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mesh::testing {

struct ProcessOptions {
  // Absolute path of the executable; it is also passed as argv[0].
  std::string binary;
  std::vector<std::string> args;
  // Added to (and overriding) the environment inherited from the test.
  std::map<std::string, std::string> env;
  // stdout and stderr are appended to this file, which is created if needed.
  // Empty: the child shares the test's stdout and stderr.
  std::string log_path;
};

// A child process started by a test, e.g. a service binary or nats-server.
//
// The child gets SIGKILL when the thread that started it exits (Linux
// PR_SET_PDEATHSIG), so a crashed or killed test leaves no strays behind;
// start processes from the test's main thread or from a thread that outlives
// them. The child reads stdin from /dev/null, inherits no file descriptor
// above 2, and starts with an empty signal mask and default dispositions.
//
// Only the exact pid that was started is ever signalled, and only while it is
// not yet reaped, so a recycled pid is never hit. Exit statuses are reported
// shell-style: the exit code, or 128 + the signal number.
//
// Thread-safe: any method may be called from any thread; waits do not block
// Kill() or Terminate() from another thread.
class Process {
 public:
  // Forks and execs options.binary. Errors: INVALID_ARGUMENT if the binary is
  // not an absolute path; the errno-derived status (e.g. NOT_FOUND,
  // PERMISSION_DENIED) if the log file cannot be opened or exec fails.
  static absl::StatusOr<std::unique_ptr<Process>> Start(ProcessOptions options);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Process();

  pid_t pid() const { return pid_; }

  // True while the child has not exited. Reaps it if it has.
  bool Running();

  // Sends SIGTERM, waits up to `grace` for the child to exit, then sends
  // SIGKILL. Returns the exit status (137 means it had to be killed). If the
  // child had already exited, returns that status without signalling.
  // INTERNAL if the child was reaped by someone else (e.g. waitpid(-1)).
  absl::StatusOr<int> Terminate(absl::Duration grace = absl::Seconds(10));

  // Sends SIGKILL and reaps: a crash as the rest of the system sees it.
  // No-op if the child has already exited.
  void Kill();

  // Waits up to `timeout` for the child to exit on its own and returns its
  // exit status. DEADLINE_EXCEEDED if it is still running (it is left
  // running); INTERNAL as for Terminate().
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // The current contents of options.log_path; empty if there is no log or
  // it cannot be read.
  std::string ReadLog() const;

  const ProcessOptions& options() const { return options_; }

 private:
  Process(ProcessOptions options, pid_t pid, int pidfd);

  // Reaps the child without blocking if it has exited. Requires mu_.
  void ReapIfExitedLocked();
  // Blocks until the child has exited or `deadline` passes, without holding
  // mu_ while blocked. Returns whether it has exited.
  bool WaitUntil(absl::Time deadline);
  // Sends `signal` if the child is not reaped yet. Requires mu_.
  void SignalLocked(int signal);

  const ProcessOptions options_;
  const pid_t pid_;
  // A pidfd for poll()-ing the child's exit; -1 if the kernel lacks pidfds,
  // in which case waits poll waitpid() on a short interval.
  const int pidfd_;

  mutable std::mutex mu_;
  // Set once the child has been reaped.
  std::optional<absl::StatusOr<int>> exit_;
};

// Polls grpc.health.v1.Health/Check (service "") on `target`, e.g.
// "127.0.0.1:5005", until it answers SERVING. Returns OK then, or
// DEADLINE_EXCEEDED once `timeout` has passed, with the last answer or RPC
// error in the message. Thread-safe.
absl::Status WaitForServing(const std::string& target, absl::Duration timeout);

}  // namespace mesh::testing
