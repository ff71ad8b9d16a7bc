#!/usr/bin/env bash
# SOAP calls/s through the soap adapter (expose) and the bus, next to the same call on /v1/call directly, in
# one run on this machine:
#   tests/bench/soap_bench.sh BUILD_DIR [CLIENTS] [SECONDS]
# One `lgsp serve` sealing with hsm-sim's lgsp-node token (BUILD_DIR/tests/integration/signing/hsm-sim, made
# by the hsm_sim CTest fixture or hsm-sim/setup.sh), one `lgsp adapter run` with an expose adapter, and nginx
# as the provider answering a fixed XML element (so that the provider costs the same in both runs). wrk is the
# client. A benchmark, never a test: it asserts nothing about speed.
set -euo pipefail
build=$(cd "$1" && pwd)
clients=${2:-16}
seconds=${3:-8}
here=$(cd "$(dirname "$0")/../adapters/soap" && pwd)
lgsp=$build/apps/lgsp/lgsp
hsm=$build/tests/integration/signing/hsm-sim
[[ -f $hsm/env ]] || hsm-sim/setup.sh "$hsm" >/dev/null
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no answer at $1" >&2; return 1; }
provider=$(free_port)
node=$(free_port)
runner=$(free_port)

# The provider: nginx answering every POST with the response element.
mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $work/body;
  server {
    listen 127.0.0.1:$provider;
    location / {
      default_type application/xml;
      return 200 '<TraCuuKhaiSinhResponse xmlns="urn:hotich:tracuu:v1"><TraCuuKhaiSinhResult><soDangKy>KS-2012/15</soDangKy><hoTen>Nguyen Van An</hoTen><ngaySinh>2012-03-04</ngaySinh></TraCuuKhaiSinhResult></TraCuuKhaiSinhResponse>';
    }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"

# The node, its registry and the client's key.
set -a; source "$hsm/env"; set +a
export LGSP_SIGNING_CA_CHAIN=$hsm/pki/issuing-ca.pem LGSP_CONTRACTS_DIR=$here/contracts
"$lgsp" serve --listen "127.0.0.1:$node" --data-dir "$work/node" >"$work/node.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$node/readyz"
reg() { "$lgsp" "$@" --data-dir "$work/node" >/dev/null; }
reg member add 000.00.00.H29 --name "Sở Tư pháp"
reg subsystem add 000.00.00.H29/MOTCUA
reg subsystem add 000.00.00.H29/HOTICH
reg service add 000.00.00.H29/HOTICH/tracuu/v1 --contract hotich.tracuu-request@v1 \
  --response-contract hotich.tracuu-result@v1 --endpoint "http://127.0.0.1:$provider/soap"
reg acl grant 000.00.00.H29/MOTCUA 000.00.00.H29/HOTICH/tracuu/v1
key=$("$lgsp" apikey create 000.00.00.H29/MOTCUA --data-dir "$work/node" | grep -Eo '[A-Za-z0-9_-]{20,}' | head -1)
echo "$key" >"$work/motcua.key"

# The runner with the expose adapter.
cat >"$work/adapters.toml" <<TOML
[runner]
listen = "127.0.0.1:$runner"
state_dir = "state"
worker_threads = $clients
[node]
url = "http://127.0.0.1:$node"
contracts_dir = "$here/contracts"
[[adapter]]
name = "hotich-soap"
kind = "soap"
mode = "expose"
client = "000.00.00.H29/MOTCUA"
api_key_file = "motcua.key"
  [[adapter.operation]]
  name = "TraCuuKhaiSinh"
  service = "000.00.00.H29/HOTICH/tracuu/v1"
  request_contract = "hotich.tracuu-request@v1"
  response_contract = "hotich.tracuu-result@v1"
TOML
"$lgsp" adapter run --config "$work/adapters.toml" >"$work/runner.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$runner/healthz"

payload='<TraCuuKhaiSinh xmlns="urn:hotich:tracuu:v1"><soDangKy>KS-2012/15</soDangKy></TraCuuKhaiSinh>'
cat >"$work/soap.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"TraCuuKhaiSinh"'
wrk.body = '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>$payload</s:Body></s:Envelope>'
LUA
cat >"$work/call.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/xml"
wrk.headers["Authorization"] = "Bearer $key"
wrk.headers["LGSP-Client"] = "000.00.00.H29/MOTCUA"
wrk.body = '$payload'
LUA
# Both must answer 200 before they are measured.
curl -fs -X POST -H 'Content-Type: text/xml' -H 'SOAPAction: "TraCuuKhaiSinh"' \
  --data-binary "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/soap.lua")" "http://127.0.0.1:$runner/adapters/hotich-soap" | grep -q KS-2012/15
curl -fs -X POST -H 'Content-Type: application/xml' -H "Authorization: Bearer $key" -H 'LGSP-Client: 000.00.00.H29/MOTCUA' \
  --data-binary "$payload" "http://127.0.0.1:$node/v1/call/000.00.00.H29/HOTICH/tracuu/v1" | grep -q KS-2012/15

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$1"; }
errors() { grep -E 'Non-2xx|Socket errors' <<<"$1" || true; }
direct=$(wrk -t2 -c"$clients" -d"${seconds}s" -s "$work/call.lua" "http://127.0.0.1:$node/v1/call/000.00.00.H29/HOTICH/tracuu/v1")
soap=$(wrk -t2 -c"$clients" -d"${seconds}s" -s "$work/soap.lua" "http://127.0.0.1:$runner/adapters/hotich-soap")
printf 'direct /v1/call          : %8.0f calls/s  %s\n' "$(rate "$direct")" "$(errors "$direct")"
printf 'SOAP via adapter + bus   : %8.0f calls/s  %s\n' "$(rate "$soap")" "$(errors "$soap")"
python3 -c 'import sys; d, s = map(float, sys.argv[1:]); print(f"ratio                    : SOAP at {s / d:.1%} of the direct call")' \
  "$(rate "$direct")" "$(rate "$soap")"
