#!/usr/bin/env bash
# Runs the crash matrix with a guarantee switched off, and passes only when
# the harness fails the run (exit 1, a violation) and its report names the
# expected invariant as violated.
#
# usage: expect_violation.sh INVARIANT REPORT_FILE CRASH_MATRIX_BINARY [FLAGS...]
set -uo pipefail

invariant=$1
report=$2
binary=$3
shift 3

rm -f "$report"
"$binary" --report="$report" "$@"
rc=$?
if ((rc != 1)); then
  echo "expect_violation: the crash matrix exited $rc; expected 1 (an invariant violated)" >&2
  exit 1
fi
if ! grep -Eq "^  FAIL ${invariant} " "$report"; then
  echo "expect_violation: the report does not name ${invariant} as violated" >&2
  exit 1
fi
echo "expect_violation: the crash matrix caught the fault (${invariant} violated), as it must"
