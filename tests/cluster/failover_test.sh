#!/usr/bin/env bash
# ctest cluster.failover: the cluster of deploy/cluster/cluster.sh brought up once, a steady load through its
# haproxy (tests/cluster/load.py), then faults while the load runs:
#   1. kill -9 of the PostgreSQL primary's postmaster: Patroni promotes the synchronous standby, the nodes
#      answer 503 + Retry-After meanwhile, reconnect by themselves and go on;
#   2. with several nodes: kill -9 of one lgsp node: the deliveries it had claimed are finished by the others
#      once its lease has run out.
# Then: every acknowledged message delivered (the receiver deduplicates by message id), per-conversation
# order held, no node but the killed one gone, and `lgsp log verify` passing on the database.
#   failover_test.sh SOURCE_DIR LGSP_BINARY   (LGSP_TEST_HSM_DIR: the hsm_sim fixture's folder)
# Exits 77 (ctest SKIP_RETURN_CODE) only when Patroni, etcd or haproxy is not installed.
set -euo pipefail
src=$1
lgsp=$2
for p in patroni etcd haproxy; do
  if ! command -v "$p" >/dev/null; then
    echo "SKIP: $p is not installed (deploy/install-deps.sh installs patroni, etcd-server and haproxy)"
    exit 77
  fi
done
hsm=${LGSP_TEST_HSM_DIR:?run with the hsm_sim ctest fixture}
nodes=${LGSP_CLUSTER_NODES:-3}

dir=$(mktemp -d /tmp/lgsp-cluster-XXXXXX)
chmod 755 "$dir"
cluster="$src/deploy/cluster/cluster.sh"
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    for f in "$dir"/log/*.log; do
      [ -f "$f" ] && { echo "---- $(basename "$f") (last lines)"; tail -n 15 "$f"; }
    done
  fi
  "$cluster" down "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A port range nobody listens on: 50 ports from a random base.
free_range() {
  for _ in $(seq 50); do
    local base=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768-) that free_port() and clients draw from
    if ! ss -Htln | awk '{print $4}' | grep -qE ":($(seq -s'|' "$base" $((base + 49))))\$"; then
      echo "$base"
      return
    fi
  done
  return 1
}
base=$(free_range)
t0=$SECONDS
# Several nodes: a short delivery lease, so that a killed node's claims are taken over within the test.
lease=""
[ "$nodes" -ge 3 ] && lease=5
LGSP_BIN=$lgsp LGSP_CLUSTER_PORT_BASE=$base LGSP_CLUSTER_NODES=$nodes LGSP_CLUSTER_HSM_DIR=$hsm \
  LGSP_CLUSTER_FSYNC=off LGSP_CLUSTER_LEASE_SECONDS=$lease "$cluster" up "$dir"
echo "cluster up in $((SECONDS - t0)) s"
# shellcheck disable=SC1091
source "$dir/cluster.env"

ward=000.00.13.H29
client=$ward/MOTCUA
service=$ward/HOTICH/hoso/v1
receiver_port=$((base + 49))
cli() { "$lgsp" "$@" --config "$dir/lgsp.toml" 2>>"$dir/log/cli.log"; }
cli member add "$ward" --name "UBND phường Bến Thành" >/dev/null
cli subsystem add "$client" >/dev/null
cli subsystem add "$ward/HOTICH" >/dev/null
cli service add "$service" --contract onestop.dossier-submission@v1 --endpoint "http://127.0.0.1:$receiver_port/in" \
  --initial-backoff-ms 50 --max-backoff-ms 500 >/dev/null
cli acl grant "$client" "$service" >/dev/null
key=$(cli apikey create "$client" | grep -o 'lgsp_[0-9a-f_]*' | head -n 1)

# The fault commands print what they did.
cat >"$dir/kill-primary.sh" <<EOF
for member in 0:$REST_PORT_0 1:$REST_PORT_1; do
  i=\${member%%:*}
  if curl -fs "http://127.0.0.1:\${member#*:}/primary" >/dev/null; then
    pid=\$(head -n 1 "$dir/pg\$i/data/postmaster.pid")
    kill -9 "\$pid" && echo "kill -9 of the primary's postmaster (pg\$i, pid \$pid)" && exit 0
  fi
done
echo "no primary found" >&2
exit 1
EOF
# Node 1 is killed while it holds delivery claims (the receiver takes 50 ms a delivery, so it soon does).
claims() {
  PGPASSWORD=$(cat "$dir/secrets/lgsp.password") /usr/lib/postgresql/15/bin/psql -X -At -h 127.0.0.1 -p "$DB_PORT" \
    -U lgsp -d lgsp -c "SELECT count(*) FROM message WHERE claimed_by = '$1'"
}
cat >"$dir/kill-node.sh" <<EOF
for _ in \$(seq 100); do
  n=\$(PGPASSWORD=\$(cat "$dir/secrets/lgsp.password") /usr/lib/postgresql/15/bin/psql -X -At -h 127.0.0.1 \\
    -p "$DB_PORT" -U lgsp -d lgsp -c "SELECT count(*) FROM message WHERE claimed_by = 'node-1'")
  if [ "\$n" != 0 ]; then
    pid=\$(cat "$dir/run/node-1.pid")
    kill -9 "\$pid" && echo "kill -9 of lgsp node 1 (pid \$pid) holding \$n claims" && exit 0
  fi
  sleep 0.05
done
echo "node 1 never held a delivery claim" >&2
exit 1
EOF
faults=(--fault "bash $dir/kill-primary.sh")
[ "$nodes" -ge 3 ] && faults+=(--fault "bash $dir/kill-node.sh")

python3 "$src/tests/cluster/load.py" --http-port "$HTTP_PORT" --receiver-port "$receiver_port" --key "$key" \
  --client "$client" --service "$service" \
  --body "$src/contracts/onestop.dossier-submission/v1/examples/valid-1-step-to-department.json" \
  --warmup 40 --after 40 --receiver-delay 0.05 "${faults[@]}"

# The dead node's claims were taken over by the others once its lease ran out (and delivered: load.py).
if [ "$nodes" -ge 3 ]; then
  left=$(claims node-1)
  [ "$left" = 0 ] || { echo "FAIL: $left messages still claimed by the killed node 1" >&2; exit 1; }
fi
# No node crashed (the one killed on purpose aside) and the cluster is whole again.
for ((n = 0; n < NODES; n++)); do
  [ "$n" = 1 ] && [ "$nodes" -ge 3 ] && continue
  kill -0 "$(cat "$dir/run/node-$n.pid")" || { echo "FAIL: lgsp node $n is gone" >&2; exit 1; }
done
"$cluster" status "$dir"

# The message log of every node on the shared database verifies.
cli log verify --trust "$hsm/pki/root-ca.pem" --node-cert "$hsm/pki/lgsp-node.pem"
echo "cluster.failover passed in $((SECONDS - t0)) s"
