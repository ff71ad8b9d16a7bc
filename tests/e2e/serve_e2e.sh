#!/usr/bin/env bash
# End to end, as an operator would: the example config, environment overrides, curl, SIGTERM.
set -euo pipefail
lgsp=$1
example=$2
hsm=$3  # hsm-sim built by the CTest fixture: the node signs with its lgsp-node token
# shellcheck disable=SC1091
source "$hsm/env"
work=$(mktemp -d)
trap 'kill -9 "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- log"; cat "$work/serve.log" || true; exit 1; }

cp "$example" "$work/lgsp.toml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LGSP_SERVER_LISTEN="127.0.0.1:$port" "$lgsp" serve --config "$work/lgsp.toml" >"$work/serve.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
ready=$(curl -sS "http://127.0.0.1:$port/readyz") || fail "readyz unreachable"
echo "$ready" | grep -q '"status":"ready"' || fail "not ready: $ready"
echo "$ready" | grep -Eq '"schema_version":[0-9]+' || fail "no schema version: $ready"
echo "$ready" | grep -q '"signing":{"state":"ready"' || fail "the node cannot sign: $ready"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] || fail "healthz"
# Captured first: `curl | grep -q` fails under pipefail when grep stops reading early.
metrics=$(curl -sS "http://127.0.0.1:$port/metrics") || fail "metrics unreachable"
grep -q '^lgsp_http_requests_total{route="/readyz",status="200"}' <<<"$metrics" || fail "metrics lack request counts"
code=$(curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port/nothing-here")
[ "$code" = 404 ] && grep -q LGSP-404-ROUTE "$work/body" || fail "404 expected, got $code"
# The data dir comes from the example config ("var" next to the config file).
[ -f "$work/var/lgsp.db" ] || fail "database not in the config folder's var/"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
grep -q '"event":"server.stopped"' "$work/serve.log" || fail "no clean stop logged"
echo "PASS"
