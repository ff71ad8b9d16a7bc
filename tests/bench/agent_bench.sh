#!/usr/bin/env bash
# Benchmark of `lgsp agent` (not a test): 100 documents signed with one PIN entry (total time), and the round
# trips of POST /v1/sign with one document and of GET /v1/certificates (p50/p99), on a SoftHSM2 copy of an
# hsm-sim token, with the scripted pinentry answering at once (so the figures are the agent's and the token's,
# not a person's typing).
#   tests/bench/agent_bench.sh LGSP_BINARY [HSM_SIM_DIR] [ROUNDS]
# Without HSM_SIM_DIR, a fresh hsm-sim is built in a temporary folder.
set -euo pipefail
lgsp=${1:?usage: agent_bench.sh LGSP_BINARY [HSM_SIM_DIR] [ROUNDS]}
hsm=${2:-}
rounds=${3:-100}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
agent_pid=
cleanup() {
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z $hsm ]]; then
  hsm=$work/hsm
  "$root/hsm-sim/setup.sh" "$hsm" >/dev/null
fi
module=$(sed -n 's/^export LGSP_PKCS11_MODULE=//p' "$hsm/env")
mkdir -p "$work/tokens" "$work/pinentry"
cp -r "$hsm"/tokens/* "$work/tokens/"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
origin=https://motcua.bench.example
SOFTHSM2_CONF=$work/softhsm2.conf SCRIPTED_PINENTRY_DIR=$work/pinentry \
  "$lgsp" agent --listen "127.0.0.1:$port" --allow-origin "$origin" --module "$module" \
  --pinentry "$root/tests/support/scripted-pinentry" >"$work/agent.log" 2>&1 &
agent_pid=$!
fingerprint=$(openssl x509 -in "$hsm/pki/official-01.pem" -outform DER | sha256sum | cut -c1-64)

python3 - "$port" "$origin" "$fingerprint" "$rounds" "$work/pinentry/record" <<'PY'
import base64, http.client, json, os, statistics, sys, time
port, origin, fp, rounds, record = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
for _ in range(100):
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect(); break
    except OSError:
        time.sleep(0.05)
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def call(method, path, body=None):
    headers = {"Origin": origin}
    if body is not None: headers["Content-Type"] = "application/json"
    t = time.perf_counter()
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse(); data = r.read()
    return r.status, data, time.perf_counter() - t
def items(n):
    return [{"digest": base64.b64encode(os.urandom(32)).decode(), "title": f"Giấy khai sinh {i+1}"} for i in range(n)]
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
status, _, _ = call("GET", "/v1/certificates"); assert status == 200, status
batch = []
for _ in range(5):
    status, data, dt = call("POST", "/v1/sign", {"certificate": fp, "items": items(100)})
    assert status == 200, data
    assert len(json.loads(data)["signatures"]) == 100
    batch.append(dt)
one, lst = [], []
for _ in range(rounds):
    status, data, dt = call("POST", "/v1/sign", {"certificate": fp, "items": items(1)}); assert status == 200, data
    one.append(dt)
    status, data, dt = call("GET", "/v1/certificates"); assert status == 200
    lst.append(dt)
pins = open(record).read().count("=== pinentry")
print(f"100 documents, one PIN entry (RSA-2048, SoftHSM2): median {statistics.median(batch)*1000:.0f} ms "
      f"(min {min(batch)*1000:.0f}, max {max(batch)*1000:.0f}; 5 batches)")
print(f"POST /v1/sign, 1 document (pinentry + login + sign): p50 {pct(one,50)*1000:.1f} ms, p99 {pct(one,99)*1000:.1f} ms ({rounds} requests)")
print(f"GET /v1/certificates (module loaded afresh): p50 {pct(lst,50)*1000:.1f} ms, p99 {pct(lst,99)*1000:.1f} ms ({rounds} requests)")
print(f"pinentry runs: {pins} for {5 + rounds} batches")
PY
