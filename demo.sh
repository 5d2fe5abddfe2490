#!/usr/bin/env bash
# Starts a throwaway 3-node PostgreSQL cluster on loopback, shows PgHa routing reads and writes, kills the
# primary, promotes a replica, and prints what the application saw. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")"
bash eng/install-prerequisites.sh
exec dotnet run -c Release --project samples/PgHa.Samples.Console -- "$@"
