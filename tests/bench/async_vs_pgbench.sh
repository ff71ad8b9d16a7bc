#!/usr/bin/env bash
# The async exchange end to end next to PostgreSQL's own durable-insert rate, in one run on this machine.
#   tests/bench/async_vs_pgbench.sh BUILD_DIR [CLIENTS] [SECONDS] [MESSAGES]
# Both sides get the same 1 KiB payload (bus_bench's default message) and the same number of clients:
#   - pgbench: one INSERT of the payload per transaction, synchronous_commit=on, fsync=on, prepared statements,
#     over loopback TCP, against a PostgreSQL 15 started here in a temporary folder (Debian's postgresql-15);
#   - bus_bench --mode async: accepted (202, durable, sealed) and delivered end to end.
# Prints both rates, the bus's p99 accept latency and the ratios. The aim (issue 17): end to end >= 35 % of
# pgbench. A benchmark, never a test: it asserts nothing about speed.
set -euo pipefail
build=$(cd "$1" && pwd)
clients=${2:-64}
seconds=${3:-10}
messages=${4:-20000}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
payload_file="$root/contracts/onestop.dossier-submission/v1/examples/valid-2-whole-dossier-minimal.json"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

work=$(mktemp -d)
chmod 755 "$work"
# initdb and postgres refuse to run as root: run them as the postgres account the package created.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

as_pg "$pgbin/initdb" -D "$work/pg" -U bench --auth=trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
  -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c max_connections=$((clients + 20))
      -c synchronous_commit=on -c fsync=on -c shared_buffers=256MB" >/dev/null 2>&1
psql() { "$pgbin/psql" -X -q -h 127.0.0.1 -p "$port" -U bench -d postgres "$@"; }
psql -c "CREATE TABLE message (seq bigserial PRIMARY KEY, id uuid NOT NULL, payload text NOT NULL)"
cat >"$work/insert.sql" <<'SQL'
INSERT INTO message (id, payload) VALUES (gen_random_uuid(), :payload);
SQL

threads=$(nproc)
[ "$threads" -gt "$clients" ] && threads=$clients
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "payload: $(wc -c <"$payload_file") bytes ($(basename "$payload_file")), $clients clients"
pg_out=$("$pgbin/pgbench" -n -h 127.0.0.1 -p "$port" -U bench -M prepared -c "$clients" -j "$threads" \
  -T "$seconds" -D "payload=$(cat "$payload_file")" -f "$work/insert.sql" postgres 2>&1)
pg_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$pg_out" | head -n 1)
pg_lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$pg_out")
rows=$(psql -At -c "SELECT count(*) FROM message")
printf 'pgbench  : %8.0f inserts/s (one INSERT per transaction, synchronous_commit=on), latency average %s ms, %s rows\n' \
  "$pg_tps" "$pg_lat" "$rows"
as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1

bus_out=$("$build/tests/bench/bus_bench" --mode async --clients "$clients" --messages "$messages" \
  --seconds "$seconds" --message "$payload_file")
echo "$bus_out"
accepted=$(sed -n 's/.*accepted  : .* = \([0-9]*\)\/s.*/\1/p' <<<"$bus_out")
delivered=$(sed -n 's/.*delivered : .* = \([0-9]*\)\/s end to end/\1/p' <<<"$bus_out")
p99=$(sed -n 's/.*accept latency p50 .* p99 \([0-9.]*\) ms/\1/p' <<<"$bus_out")
python3 - "$pg_tps" "$accepted" "$delivered" "$p99" <<'PY'
import sys
pg, acc, dlv, p99 = (float(x) for x in sys.argv[1:])
print(f"ratio    : accepted {acc / pg:.1%} of pgbench, end to end {dlv / pg:.1%} of pgbench "
      f"(aim >= 35 %), p99 accept {p99:.1f} ms")
PY
