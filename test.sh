#!/usr/bin/env bash
# Runs every test of the default suite (unit, harness and real-cluster integration tests) and prints
# "N passed, N failed". The fault-injection suite is separate: ./fault-test.sh.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter Routing]
set -euo pipefail
cd "$(dirname "$0")"
bash eng/install-prerequisites.sh

results=TestResults
rm -rf "$results"
status=0
filter=(--filter "Category!=Fault")
for argument in "$@"; do [ "$argument" = "--filter" ] && filter=(); done
# -m:1: one test assembly at a time, so the real-cluster timing tests do not compete with each other for CPU.
dotnet test PgHa.Client.sln -c Release -m:1 --logger "trx" --results-directory "$results" "${filter[@]}" "$@" || status=$?

bash eng/count-trx.sh "$results" || { [ "$status" -ne 0 ] || status=1; }
exit "$status"
