#!/usr/bin/env bash
# Prints "N passed, N failed" summed over every TRX file in the given result directories.
# Exit status: 1 if nothing passed at all (a run that ran nothing proves nothing), else 0.
set -euo pipefail
passed=0; failed=0
for dir in "$@"; do
  for trx in "$dir"/*.trx; do
    [ -f "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  done
done
echo "${passed} passed, ${failed} failed"
[ "$passed" -gt 0 ]
