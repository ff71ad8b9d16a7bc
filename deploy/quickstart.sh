#!/usr/bin/env bash
# From a fresh Debian 12 machine to a running node: install dependencies, build (Release), set up the
# embedded defaults in a data directory, start `lgsp serve` in the foreground. Ctrl-C stops it cleanly.
#   LGSP_DATA_DIR  data directory (default ./var, relative to where you run this)
#   LGSP_LISTEN    address to serve on (default 127.0.0.1:8080)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=$(realpath -m "${LGSP_DATA_DIR:-./var}")
listen=${LGSP_LISTEN:-127.0.0.1:8080}
build_dir="$root/build/release"

"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLGSP_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2 --target lgsp

mkdir -p "$data_dir"
# Simulated HSM slot and officials' USB tokens (SoftHSM2) with a test PKI: idempotent, kept across runs.
"$root/hsm-sim/setup.sh" "$data_dir/hsm" >/dev/null
cat <<MSG

LGSP node starting (data in $data_dir, Ctrl-C to stop).
Simulated tokens and test PKI: $data_dir/hsm (source $data_dir/hsm/env; see hsm-sim/README.md)
  http://$listen/healthz   liveness
  http://$listen/readyz    readiness (store open, schema version, HSM can sign)
  http://$listen/v1/messages, /v1/call/...  the bus (docs/bus.md; register with 'lgsp member|subsystem|service|acl|apikey')
  http://$listen/metrics   Prometheus metrics

MSG
# The node seals with the lgsp-node token: module, PIN and token config come from hsm-sim's env.
# shellcheck disable=SC1091
source "$data_dir/hsm/env"
export LGSP_SIGNING_CA_CHAIN="$data_dir/hsm/pki/issuing-ca.pem"
exec "$build_dir/apps/lgsp/lgsp" serve --data-dir "$data_dir" --listen "$listen"
