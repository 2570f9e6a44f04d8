// The used-car domain with billing and notification in one process, for the
// event contract tests. Each context runs its real aggregate, repository and
// policy code on its own RocksDB store; commands are issued the way each
// service's RPC issues them. A broker with no latency hands every event
// committed to a producer's outbox to every consumer's
// EventConsumer::Apply (inbox check, handler, commit), in commit order,
// before the command returns. The events are therefore the producers'
// golden events, and every delivery's outcome is recorded.
//
// Thread-compatible: one thread drives it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "billing/v1/billing.pb.h"
#include "common/v1/event.pb.h"
#include "usedcar/consign/v1/consign.pb.h"
#include "usedcar/purchase/v1/purchase.pb.h"
#include "usedcar/stock/v1/stock.pb.h"

namespace billing {
class PaymentRepository;
}
namespace notification {
class NotificationRepository;
}
namespace usedcar::consign {
class ConsignmentRepository;
}
namespace usedcar::dashboard {
class DashboardRepository;
}
namespace usedcar::purchase {
class PurchaseRepository;
}
namespace usedcar::stock {
class StockRepository;
}

namespace mesh::contract {

// The consuming contexts, by the names of their durable consumers.
inline constexpr char kPurchaseConsumer[] = "usedcar.purchase";
inline constexpr char kConsignConsumer[] = "usedcar.consign";
inline constexpr char kStockConsumer[] = "usedcar.stock";
inline constexpr char kDashboardConsumer[] = "usedcar.dashboard";
inline constexpr char kNotificationConsumer[] = "notification";

class InProcessMesh {
 public:
  // Opens every context's store under `dir`. Errors from Store::Open.
  static absl::StatusOr<std::unique_ptr<InProcessMesh>> Create(const std::string& dir);
  ~InProcessMesh();

  InProcessMesh(const InProcessMesh&) = delete;
  InProcessMesh& operator=(const InProcessMesh&) = delete;

  // What one consumer did with one event.
  struct Delivery {
    std::string consumer;
    // Whether the consumer registered a handler for the event's producer and type.
    bool handled = false;
    // EventConsumer::Apply's answer.
    absl::Status status;
  };
  struct Record {
    common::v1::EventEnvelope event;
    std::vector<Delivery> deliveries;
  };

  // Commands. Each returns once every event it caused, directly or through
  // other contexts' policies, has been delivered. Errors are the command's
  // own (validation, state machine, store).
  absl::StatusOr<usedcar::stock::v1::Stock> StockIn(const std::string& car_id, int64_t quantity,
                                                    const std::string& idempotency_key);
  // RequestPurchase, paid through billing in process.
  absl::StatusOr<usedcar::purchase::v1::Purchase> Buy(const std::string& purchase_id,
                                                      const std::string& customer_id,
                                                      const std::string& car_id,
                                                      int64_t amount_krw);
  // CancelPurchase, refunded through billing in process.
  absl::StatusOr<usedcar::purchase::v1::Purchase> Cancel(const std::string& purchase_id,
                                                         const std::string& reason);
  // MarkDelivered on the purchase's consignment.
  absl::StatusOr<usedcar::consign::v1::Consignment> Deliver(const std::string& purchase_id);
  // Billing's Authorize, then Cancel on the same key (a released authorisation).
  absl::StatusOr<billing::v1::Payment> AuthorizeAndRelease(const std::string& idempotency_key,
                                                           const std::string& merchant,
                                                           const std::string& payer_id,
                                                           int64_t amount_minor);

  // Every event produced so far, in the order the broker delivered it.
  const std::vector<Record>& records() const { return records_; }

  billing::PaymentRepository& payments();
  usedcar::purchase::PurchaseRepository& purchases();
  usedcar::consign::ConsignmentRepository& consignments();
  usedcar::stock::StockRepository& stocks();
  usedcar::dashboard::DashboardRepository& views();
  notification::NotificationRepository& notifications();

 private:
  struct Contexts;
  InProcessMesh();

  // Delivers every event not delivered yet, and the events those cause,
  // until every outbox is drained.
  void Pump();

  std::unique_ptr<Contexts> contexts_;
  std::vector<Record> records_;
};

}  // namespace mesh::contract
