#!/usr/bin/env bash
# A highly available LGSP on one machine, for trying it out and for the cluster test (docs/operations.md,
# "High availability (Patroni)"): etcd (one member), Patroni managing a PostgreSQL 15 primary and a
# synchronous standby, haproxy routing database connections to the current primary (Patroni's /primary),
# N `lgsp serve` nodes on that database and a second haproxy in front of them (HTTP, health by /readyz).
# Everything runs as unprivileged processes under DIR (as root: the `postgres` account, as the PostgreSQL
# test fixture does; the lgsp nodes run as the caller, who owns the HSM token).
#
#   deploy/cluster/cluster.sh up DIR       start everything (a new DIR is bootstrapped; an existing one reused)
#   deploy/cluster/cluster.sh down DIR     stop everything started by `up` (by the pids in DIR/run)
#   deploy/cluster/cluster.sh status DIR   patronictl list, haproxy's view of the nodes, the lgsp nodes' /readyz
#   deploy/cluster/cluster.sh env DIR      print the addresses (shell assignments) for scripts
#
# Environment (read by `up`; kept in DIR/cluster.env for the other commands):
#   LGSP_BIN                lgsp binary (default: build/test/apps/lgsp/lgsp, then build/release/...)
#   LGSP_CLUSTER_PORT_BASE  first port (default 15400); the layout is
#                             +0 etcd client, +1 etcd peer, +10/+11 PostgreSQL pg0/pg1,
#                             +20/+21 Patroni REST pg0/pg1, +30 haproxy -> primary, +31 haproxy stats page,
#                             +40 haproxy -> lgsp nodes (the address clients use), +41.. the nodes themselves
#   LGSP_CLUSTER_NODES      number of lgsp nodes (default 3)
#   LGSP_CLUSTER_HSM_DIR    an hsm-sim folder (hsm-sim/setup.sh) with the node's token; default DIR/hsm
#   LGSP_CLUSTER_FSYNC      PostgreSQL's fsync (default on)
#   LGSP_CLUSTER_LEASE_SECONDS  the nodes' [delivery] lease_seconds (unset: the node's default)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cmd=${1:-}
[ $# -eq 2 ] && [ -n "$2" ] || { echo "usage: $0 up|down|status|env DIR" >&2; exit 2; }
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)
pgbin=/usr/lib/postgresql/15/bin

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

# Starts "$@" in the background, detached from this shell (its own session, output to DIR/log/NAME.log),
# its pid in DIR/run/NAME.pid (the program's own pid: bash execs it).
spawn() {
  local name=$1 user=$2
  shift 2
  local pidfile="$dir/run/$name.pid" logfile="$dir/log/$name.log"
  local q
  q=$(printf '%q ' "$@")
  if [ "$user" = postgres ] && [ "$(id -u)" -eq 0 ]; then
    setsid runuser -u postgres -- bash -c "echo \$\$ >'$pidfile.tmp'; exec $q" </dev/null >>"$logfile" 2>&1 &
  else
    setsid bash -c "echo \$\$ >'$pidfile.tmp'; exec $q" </dev/null >>"$logfile" 2>&1 &
  fi
  for _ in $(seq 100); do [ -s "$pidfile.tmp" ] && break; sleep 0.02; done
  mv "$pidfile.tmp" "$pidfile"
}

# Waits until "$@" succeeds (up to $1 seconds); fails with the log named $2.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "$what did not come up in ${seconds}s; see $dir/log/"
    sleep 0.2
  done
}

write_env() {
  local base=${LGSP_CLUSTER_PORT_BASE:-15400}
  local lgsp=${LGSP_BIN:-}
  if [ -z "$lgsp" ]; then
    for c in "$root/build/test/apps/lgsp/lgsp" "$root/build/release/apps/lgsp/lgsp" "$root/build/quickstart/apps/lgsp/lgsp"; do
      [ -x "$c" ] && { lgsp=$c; break; }
    done
  fi
  [ -n "$lgsp" ] && [ -x "$lgsp" ] || die "no lgsp binary: build it or set LGSP_BIN"
  cat >"$dir/cluster.env" <<EOF
LGSP_BIN=$(realpath "$lgsp")
NODES=${LGSP_CLUSTER_NODES:-3}
HSM_DIR=$(realpath -m "${LGSP_CLUSTER_HSM_DIR:-$dir/hsm}")
FSYNC=${LGSP_CLUSTER_FSYNC:-on}
LEASE_SECONDS=${LGSP_CLUSTER_LEASE_SECONDS:-}
ETCD_PORT=$base
ETCD_PEER_PORT=$((base + 1))
PG_PORT_0=$((base + 10))
PG_PORT_1=$((base + 11))
REST_PORT_0=$((base + 20))
REST_PORT_1=$((base + 21))
DB_PORT=$((base + 30))
STATS_PORT=$((base + 31))
HTTP_PORT=$((base + 40))
NODE_PORT_BASE=$((base + 41))
EOF
}

load_env() {
  [ -f "$dir/cluster.env" ] || die "$dir is not a cluster folder (no cluster.env); run: $0 up $dir"
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
}

patroni_config() {
  local i=$1 port rest peer_port
  port=$(eval echo "\$PG_PORT_$i")
  rest=$(eval echo "\$REST_PORT_$i")
  # fsync off (tests): initdb and the base backup need not wait for the disk either.
  local nosync=""
  [ "$FSYNC" = off ] && nosync=$'\n    - no-sync'
  cat <<EOF
scope: lgsp
namespace: /lgsp-cluster/
name: pg$i
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    # A crashed primary is failed over at once rather than restarted in place (primary_start_timeout: 0);
    # ttl/loop_wait small so that takes seconds, not tens of seconds.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    maximum_lag_on_failover: 1048576
    # A commit returns only once the synchronous standby has it; with strict mode also when no standby is
    # there (writes wait rather than go on unreplicated), so a promoted standby never lacks an acknowledged commit.
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        max_connections: 200
        fsync: "$FSYNC"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8$nosync
postgresql:
  # The standby's copy starts from a checkpoint made at once rather than at the primary's next one.
  basebackup:
    - checkpoint: fast$nosync
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $dir/pg$i/data
  bin_dir: $pgbin
  pgpass: $dir/pg$i/pgpass
  use_unix_socket: true
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: "$(cat "$dir/secrets/postgres.password")"
    replication:
      username: replicator
      password: "$(cat "$dir/secrets/replicator.password")"
  parameters:
    unix_socket_directories: $dir/pg$i
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
EOF
}

haproxy_config() {
  cat <<EOF
global
  maxconn 4000
defaults
  timeout connect 1s
  timeout check 1s
  timeout queue 5s
listen postgres
  # Database connections go to whichever member Patroni's REST API says is the primary; when it changes,
  # the sessions to the old one are cut (the nodes reconnect, through here, to the new one).
  mode tcp
  bind 127.0.0.1:$DB_PORT
  timeout client 30m
  timeout server 30m
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg0 127.0.0.1:$PG_PORT_0 check port $REST_PORT_0
  server pg1 127.0.0.1:$PG_PORT_1 check port $REST_PORT_1
listen lgsp
  mode http
  bind 127.0.0.1:$HTTP_PORT
  timeout client 60s
  timeout server 60s
  # A connection that could not be made is retried on another node (the request was not sent).
  retries 2
  option redispatch
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fastinter 250ms fall 2 rise 1
  # No node ready (all of them lost the database at once): the nodes' own answer, 503 + Retry-After.
  errorfile 503 $dir/haproxy/503.http
EOF
  for ((n = 0; n < NODES; n++)); do
    echo "  server node$n 127.0.0.1:$((NODE_PORT_BASE + n)) check"
  done
  cat <<EOF
listen stats
  mode http
  bind 127.0.0.1:$STATS_PORT
  timeout client 10s
  stats enable
  stats uri /
EOF
}

node_config() {
  cat <<EOF
# Written by deploy/cluster/cluster.sh: every node of the cluster reads this file (each gets its own
# --listen and --data-dir); the CLI uses it too: lgsp member list --config $dir/lgsp.toml
[store]
backend = "postgresql"
postgresql_url = "host=127.0.0.1 port=$DB_PORT user=lgsp dbname=lgsp connect_timeout=2"
postgresql_password_file = "$dir/secrets/lgsp.password"
pool_size = 4
data_dir = "$dir/node-cli"

[log]
level = "info"
EOF
  if [ -n "${LEASE_SECONDS:-}" ]; then printf '\n[delivery]\nlease_seconds = %s\n' "$LEASE_SECONDS"; fi
}

up() {
  for p in patroni etcd haproxy; do
    command -v "$p" >/dev/null || die "$p is not installed (deploy/install-deps.sh installs it)"
  done
  [ -x "$pgbin/postgres" ] || die "PostgreSQL 15 is not installed (deploy/install-deps.sh)"
  if [ -f "$dir/cluster.env" ]; then load_env; else write_env && load_env; fi
  mkdir -p "$dir"/{run,log,secrets,haproxy,etcd,pg0,pg1}
  chmod 755 "$dir"
  for s in postgres replicator lgsp; do
    [ -s "$dir/secrets/$s.password" ] || (umask 077 && openssl rand -hex 24 >"$dir/secrets/$s.password")
  done
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"/{run,log,etcd,pg0,pg1,haproxy}
    chown postgres "$dir/secrets/postgres.password" "$dir/secrets/replicator.password"
  fi
  chmod 700 "$dir"/{etcd,pg0,pg1}
  chmod 755 "$dir/run" "$dir/log"
  [ -f "$HSM_DIR/env" ] || "$root/hsm-sim/setup.sh" "$HSM_DIR" >"$dir/log/hsm-sim.log"

  log "etcd on 127.0.0.1:$ETCD_PORT"
  spawn etcd postgres etcd --name e0 --data-dir "$dir/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "e0=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --enable-v2=true --log-level warn
  wait_for 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  for i in 0 1; do
    (umask 077 && patroni_config "$i" >"$dir/pg$i/patroni.yml")
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/pg$i/patroni.yml"; fi
  done
  log "Patroni pg0 (PostgreSQL 127.0.0.1:$PG_PORT_0, REST $REST_PORT_0) and pg1 (127.0.0.1:$PG_PORT_1, REST $REST_PORT_1)"
  local fresh=1
  [ -d "$dir/pg0/data" ] && fresh=0
  spawn patroni-pg0 postgres patroni "$dir/pg0/patroni.yml"
  # On a new folder pg1 starts once pg0 holds the leader key: it then clones pg0 (pg_basebackup) rather
  # than race it to initialise.
  if [ $fresh = 1 ]; then wait_for 90 "a primary" any_primary; fi
  spawn patroni-pg1 postgres patroni "$dir/pg1/patroni.yml"
  wait_for 90 "a primary" any_primary
  wait_for 120 "a synchronous standby" sync_standby_ready

  haproxy_config >"$dir/haproxy/haproxy.cfg"
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{"type":"urn:lgsp:error:LGSP-503-NOT-READY","code":"LGSP-503-NOT-READY","title":"Node not ready","title_vi":"Nút chưa sẵn sàng","status":503,"detail":"no node is ready (the database is failing over); try again"}\n' \
    >"$dir/haproxy/503.http"
  haproxy -c -q -f "$dir/haproxy/haproxy.cfg" || die "haproxy rejects $dir/haproxy/haproxy.cfg"
  log "haproxy: database 127.0.0.1:$DB_PORT, lgsp 127.0.0.1:$HTTP_PORT, stats http://127.0.0.1:$STATS_PORT/"
  spawn haproxy postgres haproxy -db -f "$dir/haproxy/haproxy.cfg"

  bootstrap_database
  node_config >"$dir/lgsp.toml"

  # shellcheck disable=SC1091
  source "$HSM_DIR/env"
  export LGSP_SIGNING_CA_CHAIN="$HSM_DIR/pki/issuing-ca.pem"
  for ((n = 0; n < NODES; n++)); do
    local port=$((NODE_PORT_BASE + n))
    mkdir -p "$dir/node-$n"
    log "lgsp node $n on 127.0.0.1:$port"
    # Its [node] id names its delivery claims in the database.
    spawn "node-$n" "$(id -un)" env "LGSP_NODE_ID=node-$n" "$LGSP_BIN" serve --config "$dir/lgsp.toml" --listen "127.0.0.1:$port" \
      --data-dir "$dir/node-$n"
  done
  for ((n = 0; n < NODES; n++)); do
    wait_for 60 "lgsp node $n" curl -fsS "http://127.0.0.1:$((NODE_PORT_BASE + n))/readyz"
  done
  wait_for 20 "haproxy in front of the nodes" curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz"
  log "up: clients use http://127.0.0.1:$HTTP_PORT ; the CLI: $LGSP_BIN ... --config $dir/lgsp.toml"
}

any_primary() {
  curl -fsS "http://127.0.0.1:$REST_PORT_0/primary" -o /dev/null || curl -fsS "http://127.0.0.1:$REST_PORT_1/primary" -o /dev/null
}

# The standby is streaming and named synchronous by Patroni (its /sync answers 200).
sync_standby_ready() {
  curl -fsS "http://127.0.0.1:$REST_PORT_0/sync" -o /dev/null || curl -fsS "http://127.0.0.1:$REST_PORT_1/sync" -o /dev/null
}

# The lgsp role (its password from DIR/secrets/lgsp.password) and database, created once, through haproxy
# (so on whichever member is the primary), as the superuser Patroni made.
bootstrap_database() {
  local primary=pg0
  if curl -fsS "http://127.0.0.1:$REST_PORT_1/primary" >/dev/null 2>&1; then primary=pg1; fi
  local port
  port=$(eval echo "\$PG_PORT_${primary#pg}")
  local psql=("$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$dir/$primary" -p "$port" -U postgres -d postgres)
  as_pg "${psql[@]}" -v pw="$(cat "$dir/secrets/lgsp.password")" >/dev/null <<'SQL'
SELECT format('CREATE ROLE lgsp LOGIN PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lgsp')
\gexec
SELECT format('ALTER ROLE lgsp PASSWORD %L', :'pw')
\gexec
SELECT 'CREATE DATABASE lgsp OWNER lgsp' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'lgsp')
\gexec
SQL
  wait_for 20 "haproxy to the primary" env PGPASSWORD="$(cat "$dir/secrets/lgsp.password")" \
    "$pgbin/psql" -X -At -h 127.0.0.1 -p "$DB_PORT" -U lgsp -d lgsp -c "SELECT 1"
}

stop_pid() {
  local name=$1 sig=${2:-TERM} wait_s=${3:-20}
  local pidfile="$dir/run/$name.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq $((wait_s * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

down() {
  load_env
  for pidfile in "$dir"/run/node-*.pid; do
    if [ -e "$pidfile" ]; then stop_pid "$(basename "$pidfile" .pid)" TERM 15; fi
  done
  stop_pid haproxy TERM 5
  # Patroni stops its PostgreSQL on SIGTERM; the immediate stops below catch one it left behind.
  stop_pid patroni-pg1 TERM 20
  stop_pid patroni-pg0 TERM 20
  for i in 0 1; do
    if [ -f "$dir/pg$i/data/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$dir/pg$i/data" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  stop_pid etcd TERM 10
  log "down ($dir kept: remove it to start afresh)"
}

status() {
  load_env
  as_pg patronictl -c "$dir/pg0/patroni.yml" list || true
  echo "haproxy (lgsp nodes):"
  curl -fsS "http://127.0.0.1:$STATS_PORT/;csv" 2>/dev/null | awk -F, '$1=="lgsp" || $1=="postgres" {print "  " $1 "/" $2 ": " $18}'
  for ((n = 0; n < NODES; n++)); do
    printf '  node %d (127.0.0.1:%d) /readyz: %s\n' "$n" "$((NODE_PORT_BASE + n))" \
      "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((NODE_PORT_BASE + n))/readyz" || true)"
  done
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) load_env && cat "$dir/cluster.env" ;;
  *) echo "usage: $0 up|down|status|env DIR" >&2; exit 2 ;;
esac
