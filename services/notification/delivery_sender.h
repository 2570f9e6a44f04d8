// The background sender: hands stored notifications to the channels, after
// they were committed, so that a slow or dead sink never holds up the event
// consumer. It reads the due deliveries earliest first, sends each, and
// records the outcome (SENT, a retry due after the backoff, or FAILED after
// the policy's last try) in one commit per try.
//
// Delivery is at-least-once: a crash between a send and its commit sends that
// notification again after the restart.
//
// Thread-safe. It is the only writer of a notification after the policy
// created it.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/resilience/clock.h"
#include "services/notification/channel.h"
#include "services/notification/notification.h"
#include "services/notification/notification_repository.h"

namespace mesh::metrics {
class Registry;
}

namespace notification {

struct SenderOptions {
  RetryPolicy retry;
  // Deliveries read per scan.
  int batch_size = 64;
  // How long the thread sleeps when nothing is due and nobody wakes it.
  absl::Duration idle_poll = absl::Seconds(1);
};

class DeliverySender {
 public:
  // Channels are not owned and must outlive the sender; `registry` may be null.
  DeliverySender(NotificationRepository* repository, std::vector<Channel*> channels,
                 const mesh::resilience::Clock& clock, SenderOptions options,
                 mesh::metrics::Registry* registry);
  ~DeliverySender();

  // Sends the due deliveries by clock time; returns how many it tried.
  // A delivery to a sink no channel serves fails for good. Errors are the
  // store's. Call from one thread at a time (the sender thread, or a test).
  absl::StatusOr<int> SendDue();

  // Starts the thread, which calls SendDue whenever something is due.
  void Start();
  // Lets a send in progress finish (bounded by the channel's timeout) and
  // stops the thread. Idempotent.
  void Stop();
  // Wakes the thread: new notifications were committed.
  void Wake();

 private:
  void Run();
  // One try of one delivery.
  absl::Status SendOne(const NotificationRepository::Due& due);

  NotificationRepository* repository_;
  std::map<std::string, Channel*, std::less<>> channels_;
  const mesh::resilience::Clock& clock_;
  SenderOptions options_;
  mesh::metrics::Registry* registry_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::optional<absl::Time> next_due_;
};

}  // namespace notification
