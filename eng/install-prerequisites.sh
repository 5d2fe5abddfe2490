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

if ! command -v etcd >/dev/null 2>&1 && [ -z "${PGHA_ETCD_BIN:-}" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "etcd not found. Install it (Debian/Ubuntu: apt-get install etcd-server) or set PGHA_ETCD_BIN." >&2
    exit 1
  fi
  echo "Installing etcd..."
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own etcd on free ports: keep the package from starting a service on 2379.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
  apt-get update -qq
  apt-get install -y -qq etcd-server >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi

missing=()
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/sbin/pgpool ] || missing+=(pgpool2)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${missing[*]} (Debian/Ubuntu: apt-get install ${missing[*]})." >&2
    exit 1
  fi
  echo "Installing ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  # The benchmarks start their own proxies on free ports: keep the packages from starting services.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi
