// Settles purchases whose payment or refund outcome is unknown (DESIGN §3.5):
// after a crash, a timeout or a billing outage. It asks billing with the same
// idempotency key the purchase used:
//   PENDING: a captured payment marks it paid; no payment voids the key (so a
//            late charge can never land) and removes the purchase;
//   CANCELLING: the refund is asked again with its own key.
// Thread-safe; runs on its own thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "services/usedcar/purchase/billing_client.h"
#include "services/usedcar/purchase/purchase_settlement.h"

namespace usedcar::purchase {

class PurchaseResolver {
 public:
  // min_age: purchases changed more recently than this may still have a call
  // in flight in this process, so they are left alone (except on the first
  // pass, which settles everything written before Start).
  PurchaseResolver(PurchaseRepository* repository, PaymentGateway* gateway,
                   absl::Duration min_age);
  ~PurchaseResolver();

  // One pass over the unsettled purchases last changed before cutoff;
  // returns how many settled.
  int RunOnce(absl::Time cutoff);
  // Call before the server accepts calls: runs a pass over everything written
  // before now, then one every interval, until Stop().
  void Start(absl::Duration interval);
  void Stop();

 private:
  absl::StatusOr<bool> Resolve(const Purchase& purchase);

  PurchaseRepository* repository_;
  PaymentGateway* gateway_;
  Settlement settlement_;
  absl::Duration min_age_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace usedcar::purchase
