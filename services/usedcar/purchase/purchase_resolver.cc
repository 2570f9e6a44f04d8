#include "services/usedcar/purchase/purchase_resolver.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/status/status.h"

namespace usedcar::purchase {
namespace {

using PaymentOr = absl::StatusOr<billing::v1::Payment>;

// The resolver has its own thread, so it may wait for billing's answer.
template <typename Start>
PaymentOr Await(Start start) {
  auto promise = std::make_shared<std::promise<PaymentOr>>();
  std::future<PaymentOr> answer = promise->get_future();
  start([promise](PaymentOr payment, bool) { promise->set_value(std::move(payment)); });
  return answer.get();
}

absl::Time UpdateTime(const Purchase& purchase) {
  return absl::FromUnixSeconds(purchase.update_time().seconds()) +
         absl::Nanoseconds(purchase.update_time().nanos());
}

}  // namespace

PurchaseResolver::PurchaseResolver(PurchaseRepository* repository, PaymentGateway* gateway,
                                   absl::Duration min_age)
    : repository_(repository), gateway_(gateway), settlement_(repository), min_age_(min_age) {}

PurchaseResolver::~PurchaseResolver() { Stop(); }

absl::StatusOr<bool> PurchaseResolver::Resolve(const Purchase& purchase) {
  const std::string& id = purchase.purchase_id();
  const std::string causation = absl::StrCat("resolver/", id);
  if (purchase.status() == v1::PURCHASE_STATUS_CANCELLING) {
    PaymentOr refund = Await([&](PaymentCallback done) {
      gateway_->Refund(purchase, nullptr, std::move(done));
    });
    RETURN_IF_ERROR(refund.status());
    RETURN_IF_ERROR(settlement_.ApplyRefund(id, *refund, causation).status());
    return true;
  }
  PaymentOr payment = Await([&](PaymentCallback done) { gateway_->Find(purchase, std::move(done)); });
  if (payment.status().code() == absl::StatusCode::kNotFound) {
    // Billing never saw the key. Void it first, so that a charge still in
    // flight from before the crash cannot land after we give up.
    payment = Await([&](PaymentCallback done) { gateway_->Void(purchase, std::move(done)); });
  }
  RETURN_IF_ERROR(payment.status());
  absl::StatusOr<Purchase> applied = settlement_.ApplyPayment(id, *payment, causation);
  if (!applied.ok() && applied.status().code() != absl::StatusCode::kAborted) {
    return applied.status();
  }
  return true;
}

int PurchaseResolver::RunOnce(absl::Time cutoff) {
  absl::StatusOr<std::vector<Purchase>> unsettled = repository_->ListUnsettled();
  if (!unsettled.ok()) {
    mesh::logging::Error("resolver cannot read purchases", {{"error", unsettled.status().ToString()}});
    return 0;
  }
  int settled = 0;
  for (const Purchase& purchase : *unsettled) {
    if (UpdateTime(purchase) >= cutoff) continue;
    mesh::logging::ScopedCorrelationId scope(Reference(purchase));
    absl::StatusOr<bool> resolved = Resolve(purchase);
    if (!resolved.ok()) {
      mesh::logging::Warn("purchase still unsettled", {{"purchase_id", purchase.purchase_id()},
                                                       {"error", resolved.status().ToString()}});
      continue;
    }
    if (*resolved) ++settled;
  }
  return settled;
}

void PurchaseResolver::Start(absl::Duration interval) {
  // Nothing written before start-up can have a call in flight any more.
  const absl::Time started = absl::Now();
  thread_ = std::thread([this, interval, started] {
    bool first = true;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      const int settled = RunOnce(first ? started : absl::Now() - min_age_);
      if (settled > 0) mesh::logging::Info("resolver settled purchases", {{"count", settled}});
      first = false;
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return stopping_; });
    }
  });
}

void PurchaseResolver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace usedcar::purchase
