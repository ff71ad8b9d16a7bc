#!/usr/bin/env bash
# From a fresh Debian 12 machine to a running node: install dependencies, build (Release), set up the
# embedded defaults in a data directory, start `lgsp serve` in the foreground. Ctrl-C stops it cleanly.
#   LGSP_DATA_DIR  data directory (default ./var, relative to where you run this)
#   LGSP_LISTEN    address to serve on (default 127.0.0.1:8080)
#   LGSP_ONESTOP_LISTEN  address of the one-stop office started beside it (default 127.0.0.1:8090; "off": none)
#   LGSP_ADMIN_LISTEN    address of the node's admin API (default 127.0.0.1:8081, loopback only)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=$(realpath -m "${LGSP_DATA_DIR:-./var}")
listen=${LGSP_LISTEN:-127.0.0.1:8080}
onestop_listen=${LGSP_ONESTOP_LISTEN:-127.0.0.1:8090}
export LGSP_ADMIN_LISTEN=${LGSP_ADMIN_LISTEN:-127.0.0.1:8081}
# Its own build folder: build/release is configured with the tests and benchmarks (docs/benchmarks.md).
build_dir="$root/build/quickstart"

"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLGSP_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2 --target lgsp

mkdir -p "$data_dir"
# Simulated HSM slot and officials' USB tokens (SoftHSM2) with a test PKI: idempotent, kept across runs.
"$root/hsm-sim/setup.sh" "$data_dir/hsm" >/dev/null
lgsp="$build_dir/apps/lgsp/lgsp"
# The node seals with the lgsp-node token: module, PIN and token config come from hsm-sim's env.
# shellcheck disable=SC1091
source "$data_dir/hsm/env"
export LGSP_SIGNING_CA_CHAIN="$data_dir/hsm/pki/issuing-ca.pem"

# The admin API needs a token: on the first run one operator token (role registry-admin) is made, with the
# node's store, and written once to $data_dir/admin-token.txt (mode 600); only its hash is kept in the store.
if [ ! -s "$data_dir/admin-token.txt" ]; then
  (umask 077 && "$lgsp" admin token create --role registry-admin --name operator --data-dir "$data_dir" --init \
    >"$data_dir/admin-token.txt")
fi

# The one-stop office (docs/onestop.md) beside the node, on its own store: the sample procedures, and on the
# first run one account per role, whose tokens are written once to $data_dir/onestop/tokens.txt (mode 600).
onestop_pid=
if [ "$onestop_listen" != off ]; then
  od="$data_dir/onestop"
  mkdir -p "$od"
  "$lgsp" onestop procedure import "$root/onestop/samples/procedures.json" --data-dir "$od" >/dev/null
  if [ ! -s "$od/tokens.txt" ]; then
    umask 077
    {
      for r in receiving:lan:"Trần Thị Lan" processing:hung:"Lê Văn Hùng" leader:minh:"Đỗ Quang Minh" admin:admin:"Quản trị"; do
        IFS=: read -r role user name <<<"$r"
        echo "$role $user $("$lgsp" onestop user add "$user" --role "$role" --name "$name" --data-dir "$od")"
      done
    } >"$od/tokens.txt"
    umask 022
  fi
  LGSP_ONESTOP_SIGNING_CA_CHAIN="$data_dir/hsm/pki/issuing-ca.pem" \
    "$lgsp" onestop serve --data-dir "$od" --listen "$onestop_listen" >>"$od/serve.log" 2>&1 &
  onestop_pid=$!
  trap '[ -n "$onestop_pid" ] && kill "$onestop_pid" 2>/dev/null; wait 2>/dev/null' EXIT
fi

cat <<MSG

LGSP node starting (data in $data_dir, Ctrl-C to stop).
Simulated tokens and test PKI: $data_dir/hsm (source $data_dir/hsm/env; see hsm-sim/README.md)
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
  accounts and their bearer tokens: $data_dir/onestop/tokens.txt
  e.g. curl http://$onestop_listen/onestop/v1/procedures
MSG
echo
"$lgsp" serve --data-dir "$data_dir" --listen "$listen"
