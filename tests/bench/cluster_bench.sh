#!/usr/bin/env bash
# Capacity of the bus in its three layouts, in one run on this machine, with the CPU each message costs split
# by process so that a bigger machine can be projected (docs/benchmarks.md, "Capacity"):
#   sqlite  : one `lgsp serve` on SQLite (the embedded default);
#   pg-1    : one node of the HA cluster (deploy/cluster/cluster.sh: PostgreSQL primary + synchronous standby
#             under Patroni, haproxy to the primary), addressed directly;
#   pg-3    : three nodes of that cluster behind its haproxy (only when LGSP_CLUSTER_NODES >= 3 works: several
#             nodes on one database).
# Each layout: the async exchange (POST /v1/messages, 1 KiB message, accepted = durable + sealed, delivered to
# a local receiver) and the sync proxy (/v1/call, validated both ways and sealed), driven by wrk for SECONDS
# with CLIENTS connections. CPU from /proc/PID/stat (utime + stime) of the lgsp processes, the PostgreSQL
# processes (both members, every backend) and haproxy, before and after each run.
#   tests/bench/cluster_bench.sh BUILD_DIR [SECONDS] [CLIENTS] [NODES]
# A benchmark, never a test: it asserts nothing about speed.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-10}
clients=${3:-32}
nodes=${4:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lgsp="$build/apps/lgsp/lgsp"
command -v wrk >/dev/null || { echo "cluster_bench: wrk is not installed (deploy/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/lgsp-cluster-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    for f in "$work"/cluster-up.log "$work"/sqlite.log "$work"/cluster/log/*.log; do
      [ -f "$f" ] && { echo "---- $f" >&2; tail -n 5 "$f" >&2; }
    done
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  "$root/deploy/cluster/cluster.sh" down "$work/cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$root/hsm-sim/setup.sh" "$work/hsm" >/dev/null
# shellcheck disable=SC1091
source "$work/hsm/env"
export LGSP_SIGNING_CA_CHAIN="$work/hsm/pki/issuing-ca.pem"

# The receiver of deliveries and provider of the proxied service: answers every POST at once.
provider_port=$(port)
python3 - "$provider_port" "$root/contracts/hotich.trichluc-result/v1/examples/valid-2-not-found.json" \
  >"$work/provider.log" 2>&1 <<'PY' &
import http.server, sys
answer = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = answer if self.path.startswith("/api/") else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)

member=000.00.13.H29
client=$member/MOTCUA
# The registry of every layout: a queued service (async) and a proxied one (sync); prints the API key.
registry() {
  "$lgsp" member add "$member" --name "UBND phường Bến Thành" "$@" >/dev/null
  "$lgsp" subsystem add "$client" "$@" >/dev/null
  "$lgsp" subsystem add "$member/HOTICH" "$@" >/dev/null
  "$lgsp" service add "$member/HOTICH/hoso/v1" --contract onestop.dossier-submission@v1 \
    --endpoint "http://127.0.0.1:$provider_port/in" "$@" >/dev/null
  "$lgsp" service add "$member/HOTICH/trichluc/v1" --contract hotich.trichluc-request@v1 \
    --response-contract hotich.trichluc-result@v1 --endpoint "http://127.0.0.1:$provider_port/api" "$@" >/dev/null
  "$lgsp" acl grant "$client" "$member/HOTICH/hoso/v1" "$@" >/dev/null
  "$lgsp" acl grant "$client" "$member/HOTICH/trichluc/v1" "$@" >/dev/null
  "$lgsp" apikey create "$client" "$@" 2>/dev/null | grep -o 'lgsp_[0-9a-f_]*' | head -n 1
}

cat >"$work/async.lua" <<'LUA'
-- A fresh LGSP-Message-Id per request (per wrk thread: its own prefix).
local counter = 1
function setup(thread) thread:set("prefix", "b" .. counter); counter = counter + 1 end
local n = 0
function request()
  n = n + 1
  wrk.headers["LGSP-Message-Id"] = prefix .. "-" .. n
  return wrk.format("POST", nil, nil, nil)
end
LUA

# CPU ticks of the processes in groups: lgsp=PIDS postgres=PIDS haproxy=PIDS, each with its children.
cpu() {
  python3 - "$@" <<'PY'
import os, sys
def stat(pid):
    try:
        f = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    rest = f[f.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[11]) + int(rest[12])  # ppid, utime + stime
procs = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        s = stat(p)
        if s:
            procs[int(p)] = s
out = []
for group in sys.argv[1:]:
    name, _, ids = group.partition("=")
    roots = {int(x) for x in ids.split(",") if x}
    members = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in procs.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    out.append(f"{name}={sum(procs[p][1] for p in members if p in procs)}")
print(" ".join(out))
PY
}

# run LABEL MODE PORT KEY GROUPS...: one wrk run, then its figures line.
run() {
  local label=$1 mode=$2 port=$3 key=$4
  shift 4
  local url script=() body hdr=()
  if [ "$mode" = async ]; then
    url="http://127.0.0.1:$port/v1/messages"
    body="$root/contracts/onestop.dossier-submission/v1/examples/valid-1-step-to-department.json"
    script=(-s "$work/async.lua")
    hdr=(-H "LGSP-Service: $member/HOTICH/hoso/v1")
  else
    url="http://127.0.0.1:$port/v1/call/$member/HOTICH/trichluc/v1/lookup"
    body="$root/contracts/hotich.trichluc-request/v1/examples/valid-1-birth-by-registration.json"
    hdr=()
  fi
  # wrk sends the body given in Lua; the same for every request here.
  local lua="$work/$label-$mode.lua"
  {
    printf 'wrk.method = "POST"\nwrk.body = [==[%s]==]\n' "$(cat "$body")"
    if [ ${#script[@]} -gt 0 ]; then cat "$work/async.lua"; fi
  } >"$lua"
  local before after out
  before=$(cpu "$@")
  local t0 t1
  t0=$(date +%s.%N)
  out=$(wrk -t 2 -c "$clients" -d "${seconds}s" --latency -s "$lua" -H "Authorization: Bearer $key" \
    -H "LGSP-Client: $client" -H "Content-Type: application/json" "${hdr[@]}" "$url")
  t1=$(date +%s.%N)
  after=$(cpu "$@")
  python3 - "$label" "$mode" "$t0" "$t1" "$before" "$after" "$(getconf CLK_TCK)" <<PY
import re, sys
label, mode, t0, t1, before, after, hz = sys.argv[1:]
out = """$out"""
total = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
ok = total - (int(bad.group(1)) if bad else 0)
p99 = re.search(r"99%\s+(\S+)", out).group(1)
b = dict(x.split("=") for x in before.split())
a = dict(x.split("=") for x in after.split())
secs = float(t1) - float(t0)
cpu = {k: (int(a[k]) - int(b[k])) / int(hz) for k in a}
per = {k: 1e3 * v / max(ok, 1) for k, v in cpu.items()}
tot = sum(per.values())
split = "  ".join(f"{k} {v:.2f}" for k, v in per.items())
print(f"{label:6} {mode:5}: {ok / secs:7.0f} msg/s ok ({total - ok} refused), p99 {p99:>8}, CPU ms/msg: {split}"
      f"  = {tot:.2f} -> {86400e3 / tot / 1e6 if tot else 0:.1f} M msg/day/core")
PY
}

# 1. SQLite, one node.
sq_port=$(port)
"$lgsp" serve --data-dir "$work/sqlite" --listen "127.0.0.1:$sq_port" >"$work/sqlite.log" 2>&1 &
sq_pid=$!
pids+=("$sq_pid")
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$sq_port/readyz" >/dev/null && break; sleep 0.1; done
key=$(registry --data-dir "$work/sqlite")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $clients connections, ${seconds}s per run"
run sqlite async "$sq_port" "$key" "lgsp=$sq_pid"
run sqlite proxy "$sq_port" "$key" "lgsp=$sq_pid"
kill -TERM "$sq_pid"
wait "$sq_pid" || true

# 2. and 3. The HA cluster.
cluster_base=$((20000 + RANDOM % 30000))
LGSP_BIN=$lgsp LGSP_CLUSTER_PORT_BASE=$cluster_base LGSP_CLUSTER_NODES=$nodes LGSP_CLUSTER_HSM_DIR=$work/hsm \
  "$root/deploy/cluster/cluster.sh" up "$work/cluster" 2>"$work/cluster-up.log"
# shellcheck disable=SC1091
source "$work/cluster/cluster.env"
key=$(registry --config "$work/cluster/lgsp.toml")
node_pids=$(cat "$work"/cluster/run/node-*.pid | paste -sd,)
pg_pids=$(for i in 0 1; do head -n 1 "$work/cluster/pg$i/data/postmaster.pid"; done | paste -sd,)
haproxy_pid=$(cat "$work/cluster/run/haproxy.pid")
groups=("lgsp=$node_pids" "postgres=$pg_pids" "haproxy=$haproxy_pid")
run pg-1 async "$NODE_PORT_BASE" "$key" "${groups[@]}"
run pg-1 proxy "$NODE_PORT_BASE" "$key" "${groups[@]}"
if [ "$NODES" -ge 3 ]; then
  run pg-3 async "$HTTP_PORT" "$key" "${groups[@]}"
  run pg-3 proxy "$HTTP_PORT" "$key" "${groups[@]}"
fi
