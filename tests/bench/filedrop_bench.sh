#!/usr/bin/env bash
# Files per second through the file-drop adapter (issue 22): `lgsp adapter run` watching an inbox, sending each
# file to a real `lgsp serve` that seals with hsm-sim's lgsp-node token and delivers to a small receiver, until
# every file is in done/ with its receipt. One run with ~1 KB files (edxml-status XML) and one with ~1 MB files
# (edxml XML, a base64 attachment), each dropped all at once by renaming them into the inbox.
#   tests/bench/filedrop_bench.sh BUILD_DIR [FILES_1KB] [FILES_1MB] [PARALLEL]
# A benchmark, never a test: it asserts nothing about speed (it fails only when a file is lost or fails).
set -euo pipefail
build=$(cd "$1" && pwd)
small=${2:-2000}
large=${3:-100}
parallel=${4:-4}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lgsp="$build/apps/lgsp/lgsp"
ward=000.00.13.H29

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # URL: until it answers at all
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "no answer from $1" >&2
  return 1
}

"$root/hsm-sim/setup.sh" "$work/hsm" >/dev/null
mapfile -t hsm_env < <(sed -n 's/^export \([A-Z0-9_]*=.*\)$/\1/p' "$work/hsm/env")

# The receiver: answers 200 to every delivery and counts distinct LGSP-Message-Ids.
receiver_port=$(free_port)
python3 - "$receiver_port" "$work/received" <<'PY' &
import http.server, sys, threading
ids, lock = set(), threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            ids.add(self.headers.get("LGSP-Message-Id"))
            open(sys.argv[2], "w").write(str(len(ids)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)

node_dir="$work/node"
"$lgsp" member add "$ward" --name "UBND phường Bến Thành" --data-dir "$node_dir" --init >/dev/null
for s in FILEDROP VANTHU; do "$lgsp" subsystem add "$ward/$s" --data-dir "$node_dir" >/dev/null; done
"$lgsp" service add "$ward/VANTHU/trangthai/v1" --contract edxml-status@v1 \
  --endpoint "http://127.0.0.1:$receiver_port/in" --data-dir "$node_dir" >/dev/null
"$lgsp" service add "$ward/VANTHU/vanban/v1" --contract edxml@v1 \
  --endpoint "http://127.0.0.1:$receiver_port/in" --data-dir "$node_dir" >/dev/null
"$lgsp" acl grant "$ward/FILEDROP" "$ward/VANTHU/trangthai/v1" --data-dir "$node_dir" >/dev/null
"$lgsp" acl grant "$ward/FILEDROP" "$ward/VANTHU/vanban/v1" --data-dir "$node_dir" >/dev/null
"$lgsp" apikey create "$ward/FILEDROP" --data-dir "$node_dir" >"$work/filedrop.key"

node_port=$(free_port)
env "${hsm_env[@]}" "$lgsp" serve --listen "127.0.0.1:$node_port" --data-dir "$node_dir" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$node_port/readyz")" = 200 ] && break
  sleep 0.05
done

mkdir -p "$work/in-1kb" "$work/in-1mb" "$work/stage-1kb" "$work/stage-1mb"
runner_port=$(free_port)
cat >"$work/adapters.toml" <<TOML
[runner]
listen = "127.0.0.1:$runner_port"
state_dir = "$work/state"

[node]
url = "http://127.0.0.1:$node_port"
contracts_dir = "$root/contracts"

[[adapter]]
name = "bench-1kb"
kind = "filedrop"
client = "$ward/FILEDROP"
api_key_file = "$work/filedrop.key"
inbox = "$work/in-1kb"
service = "$ward/VANTHU/trangthai/v1"
format = "xml"
read_lock = "rename"
parallel = $parallel

[[adapter]]
name = "bench-1mb"
kind = "filedrop"
client = "$ward/FILEDROP"
api_key_file = "$work/filedrop.key"
inbox = "$work/in-1mb"
service = "$ward/VANTHU/vanban/v1"
format = "xml"
read_lock = "rename"
parallel = $parallel
TOML
"$lgsp" adapter run --config "$work/adapters.toml" >"$work/runner.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$runner_port/healthz"

# The files, each different (a counter in the text; random attachment bytes), written before the clock starts.
python3 - "$root/contracts" "$work" "$small" "$large" <<'PY'
import base64, os, sys
contracts, work, small, large = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
status = open(f"{contracts}/edxml-status/v1/examples/valid-2-refused-minimal.xml", encoding="utf-8").read()
marker = "Từ chối tiếp nhận"
for i in range(small):
    with open(f"{work}/stage-1kb/status-{i:06d}.xml", "w", encoding="utf-8") as f:
        f.write(status.replace(marker, f"{marker} (bản {i})"))
doc = open(f"{contracts}/edxml/v1/examples/valid-1-new-document-signed.xml", encoding="utf-8").read()
start = doc.index("<edXML:ContentTransferEncoded>") + len("<edXML:ContentTransferEncoded>")
end = doc.index("</edXML:ContentTransferEncoded>")
for i in range(large):
    data = base64.encodebytes(os.urandom(760 * 1024)).decode()
    with open(f"{work}/stage-1mb/vanban-{i:05d}.xml", "w", encoding="utf-8") as f:
        f.write(doc[:start] + data + doc[end:])
PY

count() { find "$1" -maxdepth 1 -type f ! -name '*.receipt.json' ! -name '*.reason.txt' ! -name '.*' | wc -l; }
run() {  # NAME COUNT
  local name=$1 n=$2 bytes t0 t1
  bytes=$(du -sb "$work/stage-$name" | cut -f1)
  t0=$(date +%s.%N)
  find "$work/stage-$name" -maxdepth 1 -type f -exec mv -t "$work/in-$name" {} +
  mkdir -p "$work/in-$name/done" "$work/in-$name/failed"
  until [ $(( $(count "$work/in-$name/done") + $(count "$work/in-$name/failed") )) -ge "$n" ]; do sleep 0.02; done
  t1=$(date +%s.%N)
  local failed
  failed=$(count "$work/in-$name/failed")
  python3 - "$name" "$n" "$bytes" "$t0" "$t1" "$failed" "$parallel" <<'PY'
import sys
name, n, size, t0, t1, failed, parallel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
s = t1 - t0
print(f"{name:>4} files: {n} files ({size / n / 1024:.1f} KiB average) in {s:.2f} s = {n / s:.1f} files/s, "
      f"{size / s / 1048576:.2f} MiB/s (parallel = {parallel}){'' if not failed else f', {failed} FAILED'}")
PY
  if [ "$failed" -ne 0 ]; then head -n 20 "$work/in-$name/failed/"*.reason.txt >&2; return 1; fi
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
run 1kb "$small"
run 1mb "$large"
sleep 1
echo "receiver: $(cat "$work/received") distinct messages (expected $((small + large)))"
