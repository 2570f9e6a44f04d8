#include "tests/e2e/crash_matrix/report.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mesh::crash_matrix {
namespace {

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d)); }

void AppendWorkload(const RunReport& report, std::string& out) {
  int64_t purchases = 0, conflicts = 0, stock_ins = 0, cancels_planned = 0;
  std::map<std::string, int64_t> results;
  int64_t cancels_asked = 0, cancels_confirmed = 0, attempts = 0;
  for (size_t i = 0; i < report.plan->ops.size(); ++i) {
    const PlannedOp& op = report.plan->ops[i];
    const OpOutcome& outcome = (*report.outcomes)[i];
    attempts += outcome.attempts + outcome.cancel_attempts;
    ++results[ResultName(outcome.result)];
    if (op.kind == OpKind::kStockIn) {
      ++stock_ins;
      continue;
    }
    ++purchases;
    conflicts += op.conflict;
    cancels_planned += op.cancel;
    cancels_asked += outcome.cancel_result != OpOutcome::Result::kNotRun;
    cancels_confirmed += outcome.cancel_result == OpOutcome::Result::kAccepted;
  }
  const WorkloadOptions& w = report.workload;
  absl::StrAppend(&out, "WORKLOAD\n");
  absl::StrAppendFormat(&out,
                        "  %d purchases (%d in %d double-buyer conflicts), %d stock-ins, "
                        "%d buyers, %d cars, %d client threads, cancel share %.2f\n",
                        purchases, conflicts, conflicts / 2, stock_ins, w.buyers, w.cars, w.clients,
                        w.cancel_share);
  std::vector<std::string> by_result;
  for (const auto& [name, count] : results) by_result.push_back(absl::StrCat(name, " ", count));
  absl::StrAppend(&out, "  operations: ", absl::StrJoin(by_result, ", "),
                  "; cancellations: ", cancels_planned, " planned, ", cancels_asked,
                  " asked (of paid ones), ", cancels_confirmed, " confirmed\n");
  std::vector<std::string> retries;
  int64_t retry_total = 0;
  for (const auto& [code, count] : report.calls.retries_by_code) {
    retries.push_back(absl::StrCat(code, " ", count));
    retry_total += count;
  }
  absl::StrAppend(
      &out, "  calls: ", attempts, " attempts, ", retry_total, " retries with the same key",
      retries.empty() ? "" : absl::StrCat(" (", absl::StrJoin(retries, ", "), ")"), "\n");
  absl::StrAppendFormat(&out, "  took %s (%.1f purchases/s with faults)\n",
                        Seconds(report.workload_time),
                        purchases / std::max(1e-9, absl::ToDoubleSeconds(report.workload_time)));
}

void AppendFaults(const RunReport& report, std::string& out) {
  absl::StrAppend(&out, "FAULTS (", report.faults.size(), " injected; times since the start)\n");
  std::map<std::string, std::map<std::string, int>> matrix;
  for (const FaultRecord& record : report.faults) {
    const Fault& fault = record.fault;
    ++matrix[fault.target][FaultName(fault.kind)];
    absl::StrAppendFormat(
        &out, "  +%-7s %-18s %-12s at op %-6d down %-6s %-34s back +%s%s\n",
        Seconds(record.injected_at), FaultName(fault.kind), fault.target, record.handed_out,
        absl::FormatDuration(fault.downtime), record.outcome, Seconds(record.recovered_at),
        record.problem.empty() ? "" : absl::StrCat("  PROBLEM: ", record.problem));
  }
  absl::StrAppend(&out, "  per process:");
  for (const auto& [target, kinds] : matrix) {
    std::vector<std::string> parts;
    for (const auto& [kind, count] : kinds) parts.push_back(absl::StrCat(kind, " x", count));
    absl::StrAppend(&out, "\n    ", target, ": ", absl::StrJoin(parts, ", "));
  }
  absl::StrAppend(&out, "\n");
}

}  // namespace

bool Passed(const RunReport& report) {
  if (report.results.empty()) return false;
  for (const InvariantResult& result : report.results) {
    if (!result.passed()) return false;
  }
  return true;
}

std::string FormatReport(const RunReport& report) {
  std::string out = "CRASH MATRIX\n";
  absl::StrAppend(&out, "  settings: ", report.settings, "\n");
  absl::StrAppend(&out, "  work dir: ", report.work_dir, "\n");
  if (report.plan != nullptr && report.outcomes != nullptr) AppendWorkload(report, out);
  AppendFaults(report, out);
  absl::StrAppend(&out, "CONVERGENCE\n  ", report.convergence, "\n");
  std::vector<std::string> streams;
  for (const auto& [name, count] : report.stream_events) {
    streams.push_back(absl::StrCat(name, " ", count));
  }
  absl::StrAppend(&out, "  events in the streams: ", absl::StrJoin(streams, ", "), "\n");
  absl::StrAppend(&out, "INVARIANTS\n");
  std::vector<std::string> failed;
  for (const InvariantResult& result : report.results) {
    absl::StrAppendFormat(&out, "  %s %-28s %8d checked, %d violations: %s\n",
                          result.passed() ? "PASS" : "FAIL", result.name, result.checked,
                          result.violations, result.promise);
    for (const std::string& example : result.examples) {
      absl::StrAppend(&out, "         e.g. ", example, "\n");
    }
    for (const std::string& note : result.notes) {
      absl::StrAppend(&out, "         note: ", note, "\n");
    }
    if (!result.passed()) failed.push_back(result.name);
  }
  absl::StrAppend(&out, "TOTAL TIME ", Seconds(report.total_time), "\n");
  if (Passed(report)) {
    absl::StrAppend(&out, "RESULT: PASS\n");
  } else {
    absl::StrAppend(&out, "RESULT: FAIL (",
                    failed.empty() ? "nothing was checked" : absl::StrJoin(failed, ", "), ")\n");
  }
  return out;
}

}  // namespace mesh::crash_matrix
