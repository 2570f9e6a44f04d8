// The crash matrix's seeded workload and the client that drives it.
//
// The plan is a sequence of operations made from the seed alone: purchases by
// several buyers (a share of which the buyer cancels later), stock-ins, and
// double-buyer conflicts (two buyers one right after the other for a car
// with exactly one unit). A few client threads take operations in plan order
// and behave like a real client with an idempotency key: on UNAVAILABLE,
// DEADLINE_EXCEEDED, CANCELLED, ABORTED, UNKNOWN, RESOURCE_EXHAUSTED,
// INTERNAL or a lost connection they retry the SAME request (same
// request_id, same stock-in key) with jittered backoff, so that the ledger
// knows every purchase the system accepted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "usedcar/purchase/v1/purchase.pb.h"

namespace mesh::crash_matrix {

struct WorkloadOptions {
  uint64_t seed = 1;
  int purchases = 2000;  // conflict purchases included
  int buyers = 16;
  int cars = 40;
  double cancel_share = 0.15;
  int conflicts = 20;  // pairs of buyers racing for a one-unit car
  int stock_ins = 80;  // stock-ins during the run (initial stock is extra)
  int clients = 4;
  absl::Duration call_timeout = absl::Seconds(5);
  // A client gives up on an operation after retrying it this long.
  absl::Duration give_up_after = absl::Seconds(120);
};

enum class OpKind { kPurchase, kStockIn };

struct PlannedOp {
  OpKind kind = OpKind::kPurchase;
  // request_id of a purchase, idempotency key of a stock-in.
  std::string key;
  std::string customer;  // purchases only
  std::string car;
  int64_t amount = 0;   // purchase price (KRW) or stock-in quantity
  bool cancel = false;  // the buyer cancels it once it is paid
  bool conflict = false;
};

struct Plan {
  std::vector<std::string> buyers;
  std::vector<std::string> cars;           // ordinary cars
  std::vector<std::string> conflict_cars;  // one unit each, two buyers each
  std::vector<PlannedOp> initial_stock;    // before the run and its faults
  std::vector<PlannedOp> ops;
};

// Deterministic in options (the seed included). The ops hold exactly
// options.purchases purchases.
Plan MakePlan(const WorkloadOptions& options);

// What the client learned about one operation.
struct OpOutcome {
  enum class Result { kNotRun, kAccepted, kRejected, kGaveUp };
  Result result = Result::kNotRun;
  int attempts = 0;
  grpc::StatusCode last_code = grpc::StatusCode::OK;
  std::string last_error;
  // Purchases: the purchase the system accepted, as the OK answer showed it.
  std::string purchase_id;
  usedcar::purchase::v1::PurchaseStatus status = usedcar::purchase::v1::PURCHASE_STATUS_UNSPECIFIED;
  // The buyer's cancellation, when the plan asked for one.
  Result cancel_result = Result::kNotRun;
  int cancel_attempts = 0;
  std::string cancel_error;
  usedcar::purchase::v1::PurchaseStatus status_after_cancel =
      usedcar::purchase::v1::PURCHASE_STATUS_UNSPECIFIED;
};

// Hands out the plan's operations in order, and lets the fault injector hold
// the clients at an exact operation: a client that would start operation
// `point` or later waits until the hold moves on. Thread-safe.
class Dispatcher {
 public:
  explicit Dispatcher(int64_t size) : size_(size) {}

  // The index of the next operation to run, or -1 when none is left.
  // Blocks while the next index is at or past the hold.
  int64_t Next();
  // Moves the hold to `point` (a later point releases the clients).
  void HoldAt(int64_t point);
  // Blocks until every operation before the hold has been handed out, or
  // `timeout` passes. Returns whether it got there.
  bool WaitUntilHeld(absl::Duration timeout);
  void Release() { HoldAt(INT64_MAX); }
  int64_t handed_out() const;

 private:
  const int64_t size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t next_ = 0;
  int64_t hold_ = INT64_MAX;
};

// Retries by the status code that caused them, for the report.
struct CallStats {
  std::map<std::string, int64_t> retries_by_code;
};

// Runs the plan against purchase and stock. Thread-safe; outcomes are read
// after Join().
class Workload {
 public:
  Workload(const Plan& plan, const WorkloadOptions& options,
           std::shared_ptr<grpc::Channel> purchase, std::shared_ptr<grpc::Channel> stock);
  ~Workload();

  // Stocks the cars in; returns the first error after retries.
  absl::Status StockInitial();
  // Starts the client threads over `dispatcher`.
  void Start(Dispatcher* dispatcher);
  void Join();

  const std::vector<OpOutcome>& outcomes() const { return outcomes_; }
  const std::vector<OpOutcome>& initial_outcomes() const { return initial_outcomes_; }
  CallStats stats() const;
  int64_t finished() const { return finished_.load(); }

 private:
  struct Client;
  void RunClient(int index, Dispatcher* dispatcher);
  void RunOp(Client& client, const PlannedOp& op, OpOutcome& outcome);
  void RunCancel(Client& client, OpOutcome& outcome);
  void CountRetry(grpc::StatusCode code);

  const Plan& plan_;
  const WorkloadOptions options_;
  std::shared_ptr<grpc::Channel> purchase_;
  std::shared_ptr<grpc::Channel> stock_;
  std::vector<OpOutcome> outcomes_;
  std::vector<OpOutcome> initial_outcomes_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> finished_{0};
  mutable std::mutex stats_mu_;
  CallStats stats_;
};

// "ACCEPTED", "REJECTED", "GAVE_UP" or "NOT_RUN".
const char* ResultName(OpOutcome::Result result);

}  // namespace mesh::crash_matrix
