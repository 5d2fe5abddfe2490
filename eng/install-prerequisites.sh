#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build PgHa and run its real-cluster tests and demo:
# PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, pg_rewind), etcd (for the agent's tests), and
# HAProxy, pgpool-II and iproute2 (the proxies the benchmarks compare against; network namespaces for the fault suite).
# Idempotent; quiet when all is there.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK 10 is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

if ! have_postgres; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries not found. Install them (Debian/Ubuntu: apt-get install postgresql-15) or set PGHA_PG_BIN." >&2
    exit 1
  fi
  echo "Installing PostgreSQL server binaries..."
  # The tests run their own throwaway clusters: don't let the package create and start a 'main' cluster.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/pgha-no-main-cluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql-15 >/dev/null || apt-get install -y -qq postgresql >/dev/null
fi

# Installs Debian packages without letting them start services: the tests and benchmarks start their own etcd and
# proxies on free ports.
install_without_services() {
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
}

missing=()
if ! command -v etcd >/dev/null 2>&1 && [ -z "${PGHA_ETCD_BIN:-}" ]; then missing+=(etcd-server); fi
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/sbin/pgpool ] || missing+=(pgpool2)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${missing[*]}. Install them (Debian/Ubuntu: apt-get install ${missing[*]}); etcd may also be given as PGHA_ETCD_BIN." >&2
    exit 1
  fi
  echo "Installing ${missing[*]}..."
  install_without_services "${missing[@]}"
fi
