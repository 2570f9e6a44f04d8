// The crash matrix's invariants (DESIGN §3 and §6: 0 events lost, 0 applied
// twice, 0 charges without a sale), each checked over the snapshot, the
// client's ledger and the fault log.
//
//   workload_completed        every client operation got a definite answer
//   processes_behaved         no process dies on its own; SIGTERM exits 0;
//                             drills fire with their code; every process
//                             comes back
//   purchases_settled         no purchase PENDING/CANCELLING; every accepted
//                             purchase exists, once per request id; a
//                             confirmed cancellation is CANCELLED
//   one_charge_per_sale       every sale has exactly one charge (refunded if
//                             cancelled); no charge lacks a sale
//   stream_exactly_once       every outbox event is in its stream exactly
//                             once by id, and every state change has its event
//   consign_once_per_sale     one consignment per Purchased, following its sale
//   stock_equals_fold         stock never negative and equal to the fold of
//                             the consign and stock streams; a car with one
//                             unit and two buyers goes to exactly one
//   dashboard_equals_fold     every view equals the fold of its events
//   notifications_once_per_rule  one notification per (event, rule) the
//                             rules give, no more, no less
//   no_dead_letters           no consumer gave up on an event
//
// The checks are pure functions of their evidence; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/e2e/crash_matrix/facts.h"
#include "tests/e2e/crash_matrix/faults.h"
#include "tests/e2e/crash_matrix/snapshot.h"
#include "tests/e2e/crash_matrix/workload.h"

namespace mesh::crash_matrix {

struct InvariantResult {
  std::string name;
  std::string promise;
  int64_t checked = 0;
  int64_t violations = 0;
  std::vector<std::string> examples;  // the first few violations
  // Legitimate but notable outcomes, e.g. how often a reordering was absorbed.
  std::vector<std::string> notes;

  // Counts one check; a false `ok` is a violation described by `example`.
  template <typename Describe>
  void Expect(bool ok, Describe&& example) {
    ++checked;
    if (!ok) Fail(example());
  }
  void Fail(std::string example);
  bool passed() const { return violations == 0; }
};

// Everything the invariants look at.
struct Evidence {
  const Snapshot& snapshot;
  const Facts& facts;
  const Plan& plan;
  const std::vector<OpOutcome>& outcomes;
  const std::vector<OpOutcome>& initial_outcomes;
  const std::vector<FaultRecord>& faults;
};

// Every invariant, in the order of the header comment.
std::vector<InvariantResult> CheckInvariants(const Evidence& evidence);

// The single invariants, in two files: sales (invariants_sales.cc) and
// consumers (invariants_consumers.cc).
InvariantResult CheckWorkloadCompleted(const Evidence& evidence);
InvariantResult CheckProcessesBehaved(const Evidence& evidence);
InvariantResult CheckPurchasesSettled(const Evidence& evidence);
InvariantResult CheckOneChargePerSale(const Evidence& evidence);
InvariantResult CheckStreamExactlyOnce(const Evidence& evidence);
InvariantResult CheckConsignOncePerSale(const Evidence& evidence);
InvariantResult CheckStockEqualsFold(const Evidence& evidence);
InvariantResult CheckDashboardEqualsFold(const Evidence& evidence);
InvariantResult CheckNotificationsOncePerRule(const Evidence& evidence);
InvariantResult CheckNoDeadLetters(const Evidence& evidence);

}  // namespace mesh::crash_matrix
