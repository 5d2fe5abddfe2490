#!/usr/bin/env bash
# The fault-injection suite: a real 3-node agent cluster, each node in its own network namespace, an application
# writing and reading through PgHa while nodes are killed, frozen, cut off, switched over and etcd is paused; then
# the checker (nothing acknowledged lost, nothing duplicated, no outcome left unknown, no stale read, no two writable
# primaries, no writer stalled past the cluster's own time to writable + 1 s).
# Needs root (network namespaces). Prints the report and "N passed, N failed".
# Usage: ./fault-test.sh [short|long]   short (the default, about 2 min) is what CI runs; long runs 20 min of random
#        faults and writes benchmarks/results/fault-injection-long.md. PGHA_FAULT_SEED=<n> replays a run,
#        PGHA_FAULT_DURATION=45m sets the long run's length, PGHA_FAULT_REPLICATION=async tests asynchronous mode.
set -euo pipefail
cd "$(dirname "$0")"
bash eng/install-prerequisites.sh

profile=${1:-short}
case "$profile" in short|long) ;; *) echo "usage: ./fault-test.sh [short|long]" >&2; exit 2;; esac
results=TestResults-faults
rm -rf "$results"
mkdir -p "$results"
export PGHA_FAULT_PROFILE=$profile
if [ "$profile" = long ]; then
  export PGHA_FAULT_REPORT=${PGHA_FAULT_REPORT:-$PWD/benchmarks/results/fault-injection-long.md}
else
  export PGHA_FAULT_REPORT=${PGHA_FAULT_REPORT:-$PWD/$results/fault-report.md}
fi
status=0
dotnet test tests/PgHa.FaultTests -c Release --logger "trx" --results-directory "$results" --filter "Category=Fault" || status=$?
[ -f "$PGHA_FAULT_REPORT" ] && cat "$PGHA_FAULT_REPORT"
bash eng/count-trx.sh "$results" || { [ "$status" -ne 0 ] || status=1; }
exit "$status"
