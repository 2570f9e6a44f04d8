// Everything the crash matrix checks, read after the run: each service's own
// state through its gRPC API, and the streams through JetStream. The
// functions are thread-safe; they only read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "billing/v1/billing.pb.h"
#include "libs/messaging/nats_client.h"
#include "notification/v1/notification.pb.h"
#include "tests/e2e/crash_matrix/cluster.h"
#include "tests/e2e/crash_matrix/streams.h"
#include "usedcar/consign/v1/consign.pb.h"
#include "usedcar/dashboard/v1/dashboard.pb.h"
#include "usedcar/purchase/v1/purchase.pb.h"
#include "usedcar/stock/v1/stock.pb.h"

namespace mesh::crash_matrix {

struct Snapshot {
  std::vector<usedcar::purchase::v1::Purchase> purchases;
  std::vector<billing::v1::Payment> payments;  // merchant "usedcar"
  std::vector<usedcar::consign::v1::Consignment> consignments;
  std::vector<usedcar::stock::v1::Stock> stocks;
  std::vector<usedcar::dashboard::v1::PurchaseView> views;    // of every buyer
  std::vector<notification::v1::Notification> notifications;  // of every buyer
  std::map<std::string, StreamContents> streams;              // by stream name
  std::map<std::string, uint64_t> dead_letters;               // by service
};

// Reads everything. `buyers` are the customers whose views and
// notifications are listed. Each call is retried while the service or the
// broker is briefly away; the first lasting error is returned.
absl::StatusOr<Snapshot> TakeSnapshot(const Cluster& cluster, messaging::NatsClient& nats,
                                      const std::vector<std::string>& buyers);

// The cheap signs of a system at rest: no purchase PENDING or CANCELLING,
// and no durable consumer with a backlog. Returns a description of what is
// still moving, or "" when nothing is.
absl::StatusOr<std::string> StillMoving(const Cluster& cluster, messaging::NatsClient& nats);

}  // namespace mesh::crash_matrix
