#!/usr/bin/env bash
# edXML through the bus: 100 KB packages validated (edxml@v1 + manifest), routed by organ id, sealed, stored and
# delivered to the addressee's system, per second, on this machine.
#   tests/bench/edxml_bench.sh BUILD_DIR HSM_DIR [PACKAGES] [CLIENTS]
# HSM_DIR: an hsm-sim folder (hsm-sim/setup.sh DIR, or the test fixture's BUILD_DIR/tests/integration/signing/hsm-sim
# after `ctest -R signing.hsm_sim.up`). Starts `lgsp serve` on a fresh store and a receiver that answers 200 at once,
# sends PACKAGES distinct packages from CLIENTS threads to POST /v1/edxml/messages, waits for every delivery and
# prints accepted/s and delivered/s. A benchmark, never a test: it asserts nothing about speed.
set -euo pipefail
build=$(cd "$1" && pwd)
hsm=$(cd "$2" && pwd)
packages=${3:-300}
clients=${4:-8}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lgsp=$build/apps/lgsp/lgsp
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$hsm/env"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
node_port=$(free_port)
recv_port=$(free_port)
data=$work/var

# The package: the example's header with one ~75 KB attachment (100 KB of edXML once base64-encoded).
"$lgsp" edxml unpack "$root/contracts/edxml/v1/examples/valid-1-new-document-signed.xml" --out "$work/sample" >/dev/null
python3 - "$work/sample/header.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
h["MessageHeader"].pop("Signature", None)
json.dump(h, open(sys.argv[1], "w"), ensure_ascii=False)
PY
head -c 76000 /dev/urandom >"$work/scan.pdf"
"$lgsp" edxml pack --header "$work/sample/header.json" --attach "$work/scan.pdf" --out "$work/doc.edxml" >/dev/null
echo "package: $(wc -c <"$work/doc.edxml") bytes, $packages packages, $clients clients, $(nproc) cores"

ward=000.12.31.H41
justice=000.00.21.H41
cli() { "$lgsp" "$@" --data-dir "$data" >/dev/null; }
cli member add "$ward" --name "UBND phường Trường Vinh" --init
cli member add "$justice" --name "Sở Tư pháp"
cli subsystem add "$ward/QLVB"
cli subsystem add "$justice/QLVB"
cli service add "$justice/QLVB/edxml-document/v1" --contract edxml@v1 --endpoint "http://127.0.0.1:$recv_port/in"
cli acl grant "$ward/QLVB" "$justice/QLVB/edxml-document/v1"
cli edxml organ add "$ward" "$ward/QLVB"
cli edxml organ add "$justice" "$justice/QLVB"
key=$("$lgsp" apikey create "$ward/QLVB" --data-dir "$data" | grep -o 'lgsp_[A-Za-z0-9_-]*' | head -n 1)

# The receiver: counts deliveries.
python3 - "$recv_port" "$work/received" <<'PY' &
import http.server, sys, threading
count = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            count += 1
            open(sys.argv[2], "w").write(str(count))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
"$lgsp" serve --listen "127.0.0.1:$node_port" --data-dir "$data" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$node_port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

python3 - "$node_port" "$key" "$work/doc.edxml" "$packages" "$clients" "$work/received" <<'PY'
import http.client, sys, threading, time, os
port, key, path, n, clients, received = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
base = open(path, encoding="utf-8").read()
marker = "<edXML:Subject>"
bodies = [base.replace(marker, marker + "#%d " % i, 1).encode() for i in range(n)]
lat, errors, lock = [], [], threading.Lock()
def worker(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(k, n, clients):
        t = time.perf_counter()
        c.request("POST", "/v1/edxml/messages", body=bodies[i], headers={"Authorization": "Bearer " + key,
                  "LGSP-Client": "000.12.31.H41/QLVB", "Content-Type": "application/xml"})
        r = c.getresponse(); r.read()
        with lock:
            lat.append(time.perf_counter() - t)
            if r.status != 202: errors.append(r.status)
start = time.perf_counter()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
[t.start() for t in ts]; [t.join() for t in ts]
accepted = time.perf_counter() - start
def got():
    try: return int(open(received).read() or 0)
    except FileNotFoundError: return 0
deadline = time.time() + 120
while got() < n - len(errors) and time.time() < deadline: time.sleep(0.05)
delivered = time.perf_counter() - start
lat.sort()
print("accepted  : %d packages in %.2f s = %.0f/s (%.1f MB/s), %d refused" % (n - len(errors), accepted, (n - len(errors)) / accepted, len(base) * n / accepted / 1e6, len(errors)))
print("delivered : %d in %.2f s = %.0f/s end to end" % (got(), delivered, got() / delivered))
print("accept latency p50 %.1f ms p99 %.1f ms" % (lat[len(lat)//2] * 1000, lat[int(len(lat)*0.99)-1] * 1000))
PY
