#!/usr/bin/env bash
# The sync proxy next to nginx proxy_pass in front of the same provider, in one run on this machine.
#   tests/bench/proxy_vs_nginx.sh BUILD_DIR [CLIENTS] [SECONDS]
# Prints both rates and the ratio. The aim (issue 17): the proxy (request and response validated, sealed,
# recorded) >= 40 % of nginx proxy_pass. A benchmark, never a test: it asserts nothing about speed.
# nginx comes from deploy/install-deps.sh. It runs as this user from a temporary folder.
set -euo pipefail
build=$1
clients=${2:-16}
seconds=${3:-8}
work=$(mktemp -d)
trap 'nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
provider=$(free_port)
front=$(free_port)
mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  upstream provider { server 127.0.0.1:$provider; keepalive 64; }
  server {
    listen 127.0.0.1:$front;
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
out=$("$build/tests/bench/bus_bench" --mode proxy --clients "$clients" --seconds "$seconds" \
  --provider-port "$provider" --compare-port "$front")
echo "$out"
ours=$(sed -n 's/.*through the proxy  : *\([0-9]*\) calls\/s.*/\1/p' <<<"$out")
theirs=$(sed -n 's/.*reverse proxy :[0-9 ]*: *\([0-9]*\) calls\/s.*/\1/p' <<<"$out")
python3 -c 'import sys; o, t = map(float, sys.argv[1:]); print(f"ratio    : the proxy at {o / t:.1%} of nginx proxy_pass (aim >= 40 %)")' \
  "$ours" "$theirs"
