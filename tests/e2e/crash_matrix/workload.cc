#include "tests/e2e/crash_matrix/workload.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "usedcar/purchase/v1/purchase.grpc.pb.h"
#include "usedcar/stock/v1/stock.grpc.pb.h"

namespace mesh::crash_matrix {
namespace {

namespace purchase_v1 = usedcar::purchase::v1;
namespace stock_v1 = usedcar::stock::v1;

// The codes after which a client with an idempotency key asks again: the
// request may or may not have been applied, and asking again is safe.
bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "OTHER";
  }
}

}  // namespace

const char* ResultName(OpOutcome::Result result) {
  switch (result) {
    case OpOutcome::Result::kAccepted:
      return "ACCEPTED";
    case OpOutcome::Result::kRejected:
      return "REJECTED";
    case OpOutcome::Result::kGaveUp:
      return "GAVE_UP";
    case OpOutcome::Result::kNotRun:
      return "NOT_RUN";
  }
  return "NOT_RUN";
}

Plan MakePlan(const WorkloadOptions& options) {
  std::mt19937_64 rng(options.seed);
  Plan plan;
  const std::string run = absl::StrCat("s", options.seed);
  for (int i = 0; i < std::max(options.buyers, 2); ++i) {
    plan.buyers.push_back(absl::StrFormat("buyer-%03d", i));
  }
  for (int i = 0; i < std::max(options.cars, 1); ++i) {
    plan.cars.push_back(absl::StrFormat("car-%03d", i));
  }
  const int conflicts = std::clamp(options.conflicts, 0, options.purchases / 2);
  for (int i = 0; i < conflicts; ++i) plan.conflict_cars.push_back(absl::StrFormat("duel-%03d", i));
  const int ordinary = options.purchases - 2 * conflicts;

  // Ordinary cars get most of their demand up front and the rest from the
  // stock-ins during the run; a car that runs short on the way exercises the
  // shortage saga, which the invariants cover as well.
  const double demand = static_cast<double>(ordinary) / plan.cars.size();
  const int64_t initial = std::max<int64_t>(1, std::llround(std::ceil(0.6 * demand)));
  for (const std::string& car : plan.cars) {
    plan.initial_stock.push_back(PlannedOp{.kind = OpKind::kStockIn,
                                           .key = absl::StrCat(run, "-init-", car),
                                           .car = car,
                                           .amount = initial});
  }
  for (const std::string& car : plan.conflict_cars) {
    plan.initial_stock.push_back(PlannedOp{.kind = OpKind::kStockIn,
                                           .key = absl::StrCat(run, "-init-", car),
                                           .car = car,
                                           .amount = 1});
  }

  auto pick = [&rng](const std::vector<std::string>& from) -> const std::string& {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  };
  std::bernoulli_distribution cancels(std::clamp(options.cancel_share, 0.0, 1.0));
  std::uniform_int_distribution<int64_t> price(1'000, 6'000);  // in units of 10,000 KRW
  std::vector<std::vector<PlannedOp>> blocks;
  for (int i = 0; i < ordinary; ++i) {
    PlannedOp op{.kind = OpKind::kPurchase, .customer = pick(plan.buyers), .car = pick(plan.cars)};
    op.amount = price(rng) * 10'000;
    op.cancel = cancels(rng);
    blocks.push_back({op});
  }
  const int stock_ins = std::max(options.stock_ins, 0);
  const int64_t extra = std::llround(std::ceil(0.6 * ordinary));
  for (int i = 0; i < stock_ins; ++i) {
    blocks.push_back({PlannedOp{.kind = OpKind::kStockIn,
                                .car = pick(plan.cars),
                                .amount = std::max<int64_t>(1, extra / std::max(stock_ins, 1))}});
  }
  for (const std::string& car : plan.conflict_cars) {
    // Two different buyers, one right after the other: with several client
    // threads they race; neither cancels, so exactly one must keep the car.
    const std::string first = pick(plan.buyers);
    std::string second = pick(plan.buyers);
    while (second == first) second = pick(plan.buyers);
    std::vector<PlannedOp> pair;
    for (const std::string* buyer : {&first, static_cast<const std::string*>(&second)}) {
      pair.push_back(PlannedOp{.kind = OpKind::kPurchase,
                               .customer = *buyer,
                               .car = car,
                               .amount = price(rng) * 10'000,
                               .conflict = true});
    }
    blocks.push_back(std::move(pair));
  }
  std::shuffle(blocks.begin(), blocks.end(), rng);
  int purchase_index = 0, stock_in_index = 0;
  for (std::vector<PlannedOp>& block : blocks) {
    for (PlannedOp& op : block) {
      op.key = op.kind == OpKind::kPurchase ? absl::StrCat(run, "-p", purchase_index++)
                                            : absl::StrCat(run, "-in", stock_in_index++);
      plan.ops.push_back(std::move(op));
    }
  }
  return plan;
}

int64_t Dispatcher::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return next_ < hold_ || next_ >= size_; });
  if (next_ >= size_) return -1;
  const int64_t index = next_++;
  cv_.notify_all();
  return index;
}

void Dispatcher::HoldAt(int64_t point) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = point;
  }
  cv_.notify_all();
}

bool Dispatcher::WaitUntilHeld(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [this] { return next_ >= std::min(hold_, size_); });
}

int64_t Dispatcher::handed_out() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

struct Workload::Client {
  std::mt19937_64 rng;
  std::unique_ptr<purchase_v1::PurchaseService::Stub> purchase;
  std::unique_ptr<stock_v1::StockService::Stub> stock;
  // Cancellations the buyer will ask for a little later: (due, op index).
  std::deque<std::pair<absl::Time, int64_t>> cancels;

  // Calls `call` until it succeeds, fails for good, or the budget runs out.
  // Returns the last status; `attempts` counts the calls.
  grpc::Status Retry(Workload& workload,
                     const std::function<grpc::Status(grpc::ClientContext&)>& call, int& attempts) {
    const absl::Time give_up = absl::Now() + workload.options_.give_up_after;
    absl::Duration backoff = absl::Milliseconds(50);
    for (;;) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + workload.options_.call_timeout));
      ++attempts;
      grpc::Status status = call(context);
      if (status.ok() || !Retryable(status.error_code()) || absl::Now() >= give_up) {
        return status;
      }
      workload.CountRetry(status.error_code());
      const double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
      absl::SleepFor(backoff * jitter);
      backoff = std::min(backoff * 2, absl::Seconds(1));
    }
  }
};

Workload::Workload(const Plan& plan, const WorkloadOptions& options,
                   std::shared_ptr<grpc::Channel> purchase, std::shared_ptr<grpc::Channel> stock)
    : plan_(plan),
      options_(options),
      purchase_(std::move(purchase)),
      stock_(std::move(stock)),
      outcomes_(plan.ops.size()),
      initial_outcomes_(plan.initial_stock.size()) {}

Workload::~Workload() { Join(); }

void Workload::CountRetry(grpc::StatusCode code) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.retries_by_code[CodeName(code)];
}

CallStats Workload::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

absl::Status Workload::StockInitial() {
  Client client{.rng = std::mt19937_64(options_.seed),
                .purchase = purchase_v1::PurchaseService::NewStub(purchase_),
                .stock = stock_v1::StockService::NewStub(stock_)};
  for (size_t i = 0; i < plan_.initial_stock.size(); ++i) {
    RunOp(client, plan_.initial_stock[i], initial_outcomes_[i]);
    if (initial_outcomes_[i].result != OpOutcome::Result::kAccepted) {
      return absl::UnavailableError(absl::StrCat("initial stock-in of ", plan_.initial_stock[i].car,
                                                 " failed: ", initial_outcomes_[i].last_error));
    }
  }
  return absl::OkStatus();
}

void Workload::Start(Dispatcher* dispatcher) {
  for (int i = 0; i < std::max(options_.clients, 1); ++i) {
    threads_.emplace_back([this, i, dispatcher] { RunClient(i, dispatcher); });
  }
}

void Workload::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void Workload::RunClient(int index, Dispatcher* dispatcher) {
  Client client{.rng = std::mt19937_64(options_.seed * 1'000'003 + index + 1),
                .purchase = purchase_v1::PurchaseService::NewStub(purchase_),
                .stock = stock_v1::StockService::NewStub(stock_)};
  auto run_due_cancels = [&](bool all) {
    while (!client.cancels.empty() && (all || client.cancels.front().first <= absl::Now())) {
      const auto [due, op] = client.cancels.front();
      client.cancels.pop_front();
      if (due > absl::Now()) absl::SleepFor(due - absl::Now());
      RunCancel(client, outcomes_[op]);
    }
  };
  for (;;) {
    run_due_cancels(false);
    const int64_t op = dispatcher->Next();
    if (op < 0) break;
    RunOp(client, plan_.ops[op], outcomes_[op]);
    const OpOutcome& outcome = outcomes_[op];
    if (plan_.ops[op].cancel && outcome.result == OpOutcome::Result::kAccepted &&
        outcome.status == purchase_v1::PURCHASE_STATUS_PAID) {
      // Later, so that consign and stock have usually acted on the sale.
      const absl::Duration delay =
          absl::Milliseconds(std::uniform_int_distribution<int>(0, 1'000)(client.rng));
      client.cancels.emplace_back(absl::Now() + delay, op);
    }
    finished_.fetch_add(1);
  }
  run_due_cancels(true);
}

void Workload::RunOp(Client& client, const PlannedOp& op, OpOutcome& outcome) {
  grpc::Status status;
  if (op.kind == OpKind::kStockIn) {
    stock_v1::StockInRequest request;
    request.set_car_id(op.car);
    request.set_quantity(op.amount);
    request.set_idempotency_key(op.key);
    status = client.Retry(
        *this,
        [&](grpc::ClientContext& context) {
          stock_v1::StockInResponse response;
          return client.stock->StockIn(&context, request, &response);
        },
        outcome.attempts);
  } else {
    purchase_v1::RequestPurchaseRequest request;
    request.set_request_id(op.key);
    request.set_customer_id(op.customer);
    request.set_car_id(op.car);
    request.mutable_price()->set_currency_code("KRW");
    request.mutable_price()->set_amount_minor(op.amount);
    status = client.Retry(
        *this,
        [&](grpc::ClientContext& context) {
          purchase_v1::RequestPurchaseResponse response;
          grpc::Status answer = client.purchase->RequestPurchase(&context, request, &response);
          if (answer.ok()) {
            outcome.purchase_id = response.purchase().purchase_id();
            outcome.status = response.purchase().status();
          }
          return answer;
        },
        outcome.attempts);
  }
  outcome.last_code = status.error_code();
  outcome.last_error = status.error_message();
  if (status.ok()) {
    outcome.result = OpOutcome::Result::kAccepted;
  } else {
    outcome.result =
        Retryable(status.error_code()) ? OpOutcome::Result::kGaveUp : OpOutcome::Result::kRejected;
  }
}

void Workload::RunCancel(Client& client, OpOutcome& outcome) {
  purchase_v1::CancelPurchaseRequest request;
  request.set_purchase_id(outcome.purchase_id);
  request.set_reason("changed my mind");
  grpc::Status status = client.Retry(
      *this,
      [&](grpc::ClientContext& context) {
        purchase_v1::CancelPurchaseResponse response;
        grpc::Status answer = client.purchase->CancelPurchase(&context, request, &response);
        if (answer.ok()) outcome.status_after_cancel = response.purchase().status();
        return answer;
      },
      outcome.cancel_attempts);
  if (status.ok()) {
    outcome.cancel_result = OpOutcome::Result::kAccepted;
  } else {
    outcome.cancel_error = absl::StrCat(status.error_code(), ": ", status.error_message());
    outcome.cancel_result =
        Retryable(status.error_code()) ? OpOutcome::Result::kGaveUp : OpOutcome::Result::kRejected;
  }
}

}  // namespace mesh::crash_matrix
