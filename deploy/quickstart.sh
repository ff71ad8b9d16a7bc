#!/usr/bin/env bash
# From a fresh Debian 12 machine to a running node with its one-stop office wired to it: install dependencies,
# build (Release), set up the embedded defaults in a data directory, start `lgsp serve` and `lgsp onestop serve`
# and hsm-sim's OCSP responder. Ctrl-C (or SIGTERM) stops all three cleanly.
#   LGSP_DATA_DIR        data directory (default ./var, relative to where you run this)
#   LGSP_LISTEN          address of the node (default 127.0.0.1:8080)
#   LGSP_ONESTOP_LISTEN  address of the one-stop office started beside it (default 127.0.0.1:8090; "off": none)
#   LGSP_BIN             an lgsp binary already built: skip installing and building (the end-to-end test)
#   LGSP_ADMIN_LISTEN    address of the node's admin API (default 127.0.0.1:8081, loopback only)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=$(realpath -m "${LGSP_DATA_DIR:-./var}")
listen=${LGSP_LISTEN:-127.0.0.1:8080}
onestop_listen=${LGSP_ONESTOP_LISTEN:-127.0.0.1:8090}
export LGSP_ADMIN_LISTEN=${LGSP_ADMIN_LISTEN:-127.0.0.1:8081}

if [ -n "${LGSP_BIN:-}" ]; then
  lgsp=$(realpath "$LGSP_BIN")
else
  # Its own build folder: build/release is configured with the tests and benchmarks (docs/benchmarks.md).
  build_dir="$root/build/quickstart"
  "$root/deploy/install-deps.sh" --no-npm  # the npm tools are for tests only
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLGSP_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j2 --target lgsp
  lgsp="$build_dir/apps/lgsp/lgsp"
fi

mkdir -p "$data_dir"
hsm="$data_dir/hsm"
pki="$hsm/pki"
# Simulated HSM slot and officials' USB tokens (SoftHSM2) with a test PKI: idempotent, kept across runs.
"$root/hsm-sim/setup.sh" "$hsm" >/dev/null
# The node seals with the lgsp-node token: module, PIN and token config come from hsm-sim's env.
# shellcheck disable=SC1091
source "$hsm/env"
export LGSP_SIGNING_CA_CHAIN="$pki/issuing-ca.pem"

# The admin API needs a token: on the first run one operator token (role registry-admin) is made, with the
# node's store, and written once to $data_dir/admin-token.txt (mode 600); only its hash is kept in the store.
if [ ! -s "$data_dir/admin-token.txt" ]; then
  (umask 077 && "$lgsp" admin token create --role registry-admin --name operator --data-dir "$data_dir" --init \
    >"$data_dir/admin-token.txt")
fi

# Everything started here is stopped on the way out, whatever the way (Ctrl-C, SIGTERM, a failed step).
node_pid=
onestop_pid=
ocsp_started=
# shellcheck disable=SC2317 # run by the traps
stop_all() {
  trap - EXIT INT TERM
  set +e
  for pid in $onestop_pid $node_pid; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $onestop_pid $node_pid; do wait "$pid" 2>/dev/null; done
  if [ -n "$ocsp_started" ]; then "$root/hsm-sim/ocsp.sh" "$hsm" stop >/dev/null 2>&1; fi
}
trap 'stop_all' EXIT
trap 'stop_all; exit 0' INT TERM

# The CA's OCSP responder, which every test certificate's AIA names: `lgsp verify` asks it whether the signer's
# certificate is revoked, and without it reports every signature made here as unverifiable.
"$root/hsm-sim/ocsp.sh" "$hsm" start >/dev/null
ocsp_started=1

"$lgsp" serve --data-dir "$data_dir" --listen "$listen" >>"$data_dir/serve.log" 2>&1 &
node_pid=$!
# The store exists once the node is ready; the registry commands below edit it (the running node sees them).
for _ in $(seq 1 300); do
  curl -fsS "http://$listen/readyz" >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { tail -n 20 "$data_dir/serve.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://$listen/readyz" >/dev/null || { echo "quickstart: the node is not ready; see $data_dir/serve.log" >&2; exit 1; }

if [ "$onestop_listen" != off ]; then
  # shellcheck source=deploy/quickstart-office.sh
  source "$root/deploy/quickstart-office.sh"
  wire_office
fi

cat <<MSG

LGSP node running (data in $data_dir, log $data_dir/serve.log; Ctrl-C to stop).
Simulated tokens and test PKI: $hsm (source $hsm/env; see hsm-sim/README.md); OCSP responder: $(cat "$hsm/ocsp.url")
  http://$listen/healthz   liveness
  http://$listen/readyz    readiness (store open, schema version, HSM can sign)
  http://$listen/v1/messages, /v1/call/...  the bus (docs/bus.md; register with 'lgsp member|subsystem|service|acl|apikey')
  http://$listen/metrics   Prometheus metrics
  http://$LGSP_ADMIN_LISTEN/admin/v1/...  the admin API (docs/operations.md), with the operator token in
    $data_dir/admin-token.txt: curl -H "Authorization: Bearer \$(cat $data_dir/admin-token.txt)" \\
      http://$LGSP_ADMIN_LISTEN/admin/v1/services
MSG
[ -n "$onestop_pid" ] && cat <<MSG
One-stop office (docs/onestop.md): http://$onestop_listen/onestop/v1/...  log: $data_dir/onestop/serve.log
  on the bus as $office_client (key in $data_dir/onestop/bus.key); config: $data_dir/onestop/onestop.toml
  accounts and their bearer tokens: $data_dir/onestop/tokens.txt
  e.g. curl http://$onestop_listen/onestop/v1/procedures
MSG
echo
# Either process ending ends the quick start (and stops the other).
status=0
wait -n ${node_pid:+"$node_pid"} ${onestop_pid:+"$onestop_pid"} || status=$?
exit "$status"
