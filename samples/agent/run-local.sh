#!/usr/bin/env bash
# Three pgha-agents and a one-member etcd on loopback, in a throwaway directory. Ctrl+C stops and removes everything.
#   samples/agent/run-local.sh            # PostgreSQL on 5441-5443, REST on 8041-8043, etcd on 2391
# Then, in another shell:
#   curl -s localhost:8041/cluster | python3 -m json.tool
#   dotnet src/PgHa.Agent/bin/Release/net10.0/pgha-agent.dll ctl list --PgHa:Agent:Scope=local --PgHa:Agent:EtcdEndpoints=http://127.0.0.1:2391
set -euo pipefail
cd "$(dirname "$0")/../.."
bash eng/install-prerequisites.sh
dotnet build src/PgHa.Agent -c Release -v quiet -nologo >/dev/null
agent=src/PgHa.Agent/bin/Release/net10.0/pgha-agent.dll
bin=/usr/lib/postgresql/15/bin
root=$(mktemp -d /tmp/pgha-local.XXXX)
chmod 755 "$root"
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true   # agents stop their servers and hand the leader key over
  wait 2>/dev/null || true
  for d in "$root"/n*/data; do [ -f "$d/postmaster.pid" ] && runuser -u postgres -- "$bin/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1 || true; done
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

etcd --name local --data-dir "$root/etcd" --listen-client-urls http://127.0.0.1:2391 --advertise-client-urls http://127.0.0.1:2391 \
     --listen-peer-urls http://127.0.0.1:2392 --initial-advertise-peer-urls http://127.0.0.1:2392 \
     --initial-cluster local=http://127.0.0.1:2392 >"$root/etcd.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
  mkdir -p "$root/n$i"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$root/n$i"
  dotnet "$agent" --PgHa:Agent:Name=n$i --PgHa:Agent:Scope=local --PgHa:Agent:DataDirectory="$root/n$i/data" \
    --PgHa:Agent:BinDirectory=$bin --PgHa:Agent:Listen=127.0.0.1:544$i --PgHa:Agent:RestListen=127.0.0.1:804$i \
    --PgHa:Agent:EtcdEndpoints=http://127.0.0.1:2391 >"$root/n$i/agent.log" 2>&1 &
  pids+=($!)
done
echo "agents starting; logs in $root/n*/agent.log"
for _ in $(seq 60); do
  if dotnet "$agent" ctl list --PgHa:Agent:Scope=local --PgHa:Agent:EtcdEndpoints=http://127.0.0.1:2391 2>/dev/null | grep -c streaming | grep -q 2; then break; fi
  sleep 1
done
dotnet "$agent" ctl list --PgHa:Agent:Scope=local --PgHa:Agent:EtcdEndpoints=http://127.0.0.1:2391
echo "Ctrl+C to stop and remove everything."
wait
