// The default sink: appends each notification as one JSON object per line to
// a file (the seed's KakaoTalk alert, written down instead of sent). Lines
// are flushed to the OS on every send, not fsynced.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "services/notification/channel.h"

namespace notification {

class LogSinkChannel final : public Channel {
 public:
  // Opens `path` for appending, creating the file and its directory.
  // UNAVAILABLE when it cannot.
  static absl::StatusOr<std::unique_ptr<LogSinkChannel>> Open(const std::string& path);
  ~LogSinkChannel() override;

  const std::string& name() const override { return name_; }
  // UNAVAILABLE when the line cannot be written whole; a partial line is
  // cut off again, so the file stays one valid JSON object per line.
  // Thread-safe.
  absl::Status Send(const v1::Notification& notification) override;

 private:
  LogSinkChannel(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string name_ = "log";
  std::string path_;
  std::mutex mu_;
  int fd_;
};

}  // namespace notification
