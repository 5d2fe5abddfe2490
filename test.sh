#!/usr/bin/env bash
# Runs every test (unit, harness and real-cluster integration tests) and prints "N passed, N failed".
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter Routing]
set -euo pipefail
cd "$(dirname "$0")"
bash eng/install-prerequisites.sh

results=TestResults
rm -rf "$results"
status=0
# -m:1: one test assembly at a time, so the real-cluster timing tests do not compete with each other for CPU.
dotnet test PgHa.Client.sln -c Release -m:1 --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "${passed} passed, ${failed} failed"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then status=1; fi
exit "$status"
