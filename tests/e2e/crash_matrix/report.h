// The crash matrix's report: the workload, the faults with their times, the
// convergence, and PASS or FAIL per invariant with examples of violations.
// Pure formatting; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/e2e/crash_matrix/faults.h"
#include "tests/e2e/crash_matrix/invariants.h"
#include "tests/e2e/crash_matrix/workload.h"

namespace mesh::crash_matrix {

struct RunReport {
  std::string settings;  // the flags, name=value
  WorkloadOptions workload;
  const Plan* plan = nullptr;
  const std::vector<OpOutcome>* outcomes = nullptr;
  CallStats calls;
  absl::Duration workload_time;
  std::vector<FaultRecord> faults;
  std::string convergence;
  std::map<std::string, size_t> stream_events;  // by stream
  std::vector<InvariantResult> results;
  absl::Duration total_time;
  std::string work_dir;
};

// Whether every invariant held (and there was at least one).
bool Passed(const RunReport& report);

// The report as plain text; ends with "RESULT: PASS" or "RESULT: FAIL (<the
// violated invariants>)".
std::string FormatReport(const RunReport& report);

}  // namespace mesh::crash_matrix
