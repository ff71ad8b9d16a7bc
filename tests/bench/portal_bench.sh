#!/usr/bin/env bash
# The DVCQG sync job's throughput against the portal stand-in with 50 ms latency per call, and how it scales
# with batch size: records/s for `lgsp portal sync --once` over the same outbox, a fresh checkpoint each time.
# Usage: tests/bench/portal_bench.sh [BUILD_DIR] [DOSSIERS] [BATCH_SIZES...]   (records = 2 x DOSSIERS)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build/test}
DOSSIERS=${2:-100}
BATCHES=(1 10 100)
if [ "$#" -gt 2 ]; then BATCHES=("${@:3}"); fi
LGSP=$BUILD/apps/lgsp/lgsp
LATENCY_MS=${LATENCY_MS:-50}
WORK=$(mktemp -d /tmp/lgsp-portal-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

OFFICE_PORT=$(free_port)
mkdir -p "$WORK/office"
cat > "$WORK/office/onestop.toml" <<TOML
[server]
listen = "127.0.0.1:$OFFICE_PORT"
[store]
data_dir = "data"
[agency]
code = "000.00.13.H29"
name = "UBND phường Bến Thành"
parent_name = "UBND Quận 1"
place = "Thành phố Hồ Chí Minh"
public_url = "http://127.0.0.1:$OFFICE_PORT"
TOML
cd "$WORK/office"
"$LGSP" onestop procedure import "$SRC/onestop/samples/procedures.json" --config onestop.toml >/dev/null
DESK=$("$LGSP" onestop user add lan --role receiving --name "Trần Thị Lan" --config onestop.toml)
"$LGSP" onestop user add admin --role admin --name "Quản trị" --config onestop.toml > "$WORK/office.token"
"$LGSP" onestop serve --config onestop.toml > "$WORK/office.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$OFFICE_PORT/readyz" >/dev/null && break; sleep 0.05; done

python3 "$SRC/tests/portal/portal_standin.py" --port-file "$WORK/standin.port" --username bench --password bench \
  > "$WORK/standin.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$WORK/standin.port" ] && break; sleep 0.05; done
PORTAL="http://127.0.0.1:$(cat "$WORK/standin.port")"
echo bench > "$WORK/portal.password"

# Fill the outbox: DOSSIERS birth registrations at the counter (two records each).
python3 - "$OFFICE_PORT" "$DESK" "$DOSSIERS" <<'PY'
import json, sys, urllib.request
port, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = f"http://127.0.0.1:{port}/onestop/v1"
def call(method, path, body, ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
cc = call("POST", "/profiles", {"full_name": "Nguyễn Thị Mai", "id_number": "079195000123", "date_of_birth": "1995-03-14",
          "gender": "female", "hometown": "Nam Định", "ethnicity": "Kinh", "nationality": "Việt Nam",
          "permanent_address": "12 Lê Lợi", "phone": "0912345678"})["customer_code"]
docs = [call("POST", "/files", f"%PDF-1.4\n% {t}\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".encode(),
             "application/pdf")["sha256"] for t in ("a", "b", "c")]
for _ in range(n):
    call("POST", "/dossiers", {"procedure_code": "1.001193", "customer_code": cc, "channel": 1,
         "documents": [{"code": c, "sha256": s} for c, s in zip(("TK", "GCS", "GTTT"), docs)]})
PY

echo "portal sync: $((DOSSIERS * 2)) records, stand-in latency ${LATENCY_MS} ms per call"
printf '%-12s %-10s %-10s %s\n' batch_size seconds records/s portal_calls
for b in "${BATCHES[@]}"; do
  curl -sf -X POST "$PORTAL/_control" -d "{\"reset\": true, \"latency_ms\": $LATENCY_MS}" >/dev/null
  cat > "$WORK/portal-$b.toml" <<TOML
[office]
url = "http://127.0.0.1:$OFFICE_PORT"
token_file = "$WORK/office.token"
[portal]
url = "$PORTAL"
username = "bench"
password_file = "$WORK/portal.password"
madonvi = "000.00.13.H29"
[sync]
state_dir = "$WORK/state-$b"
batch_size = $b
TOML
  start=$(date +%s.%N)
  "$LGSP" portal sync --once --config "$WORK/portal-$b.toml" 2>"$WORK/sync-$b.log"
  end=$(date +%s.%N)
  calls=$(curl -sf "$PORTAL/_state" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["calls"].values()))')
  python3 -c "import sys; s=$end-$start; print(f'{$b:<12} {s:<10.2f} {$DOSSIERS*2/s:<10.1f} $calls')"
done
