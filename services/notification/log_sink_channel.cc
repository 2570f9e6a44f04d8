#include "services/notification/log_sink_channel.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace notification {

absl::StatusOr<std::unique_ptr<LogSinkChannel>> LogSinkChannel::Open(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create directory ", parent.string(), ": ", error.message()));
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<LogSinkChannel>(new LogSinkChannel(path, fd));
}

LogSinkChannel::~LogSinkChannel() { ::close(fd_); }

absl::Status LogSinkChannel::Send(const v1::Notification& notification) {
  const std::string line = absl::StrCat(NotificationJson(notification), "\n");
  std::lock_guard<std::mutex> lock(mu_);
  struct stat before;
  if (::fstat(fd_, &before) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot stat ", path_, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      // A torn line followed by the retry's whole one would not parse.
      if (written > 0) (void)::ftruncate(fd_, before.st_size);
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path_, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace notification
