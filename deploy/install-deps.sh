#!/usr/bin/env bash
# Installs every Debian 12 package LGSP needs to build, run and test, then the npm tools the tests use
# (package-lock.json). Idempotent: packages already present are left alone, apt-get update runs only when
# something is missing, npm ci only when the lock file changed.
#   --no-npm   Debian packages only (deploy/quickstart.sh: running a node needs no npm tool)
set -euo pipefail
with_npm=1
for arg in "$@"; do
  case "$arg" in
    --no-npm) with_npm=0 ;;
    *) echo "install-deps: unknown option $arg (known: --no-npm)" >&2; exit 2 ;;
  esac
done

packages=(
  # toolchain
  build-essential cmake pkg-config git ca-certificates clang-format
  # faster builds (docs/development.md, "Build time"): the lld linker, the Ninja generator deploy/test.sh uses
  lld ninja-build
  # networking, crypto, storage, serialisation
  libboost-dev libssl-dev openssl libsqlite3-dev sqlite3 nlohmann-json3-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev
  # XML, schemas, signatures, tokens
  libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1 libvalijson-dev rapidjson-dev
  libpkcs11-helper1-dev softhsm2 opensc
  # the lgsp program's allocator (cmake/Dependencies.cmake, LGSP_TCMALLOC)
  libtcmalloc-minimal4
  # hsm-sim/setup.sh finds free ports with ss
  iproute2
  # one-stop forms: PDF (libharu), QR codes, a TrueType font with every Vietnamese letter (DejaVu);
  # poppler-utils (pdftotext, pdfinfo) checks the rendered text in tests
  libhpdf-dev libqrencode-dev fonts-dejavu-core poppler-utils
  # one-stop web sign-in and notifications: Argon2id password hashes, SMTP and the SMS gateway over libcurl;
  # the notification tests receive e-mail with a real SMTP server (python3 -m aiosmtpd)
  libargon2-dev libcurl4-openssl-dev python3-aiosmtpd
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev curl wrk procps python3
  # the sync proxy benchmark compares with nginx proxy_pass (tests/bench/proxy_vs_nginx.sh)
  nginx
  # the async exchange benchmark compares with PostgreSQL's own durable-insert rate measured by pgbench
  # (tests/bench/async_vs_pgbench.sh starts its own server in a temporary folder)
  postgresql-15 postgresql-client-15
  # the soap adapter's tests: zeep is the legacy SOAP client, spyne the legacy SOAP service (tests/adapters/soap)
  python3-zeep python3-spyne
  # libpq: the node's PostgreSQL store ([store] backend = "postgresql", bus/src/store/pg_store.cpp) and the
  # db-outbox adapter (adapters/db_outbox); their tests start a real postgresql-15 server in a temporary folder
  # (tests/support/postgres_server.hpp) as the benchmark does
  libpq-dev
  # high availability (deploy/cluster/cluster.sh, test cluster.failover, tests/bench/cluster_bench.sh): Patroni
  # manages a PostgreSQL primary and a synchronous standby, etcd is its consensus store (etcdctl to inspect
  # it), haproxy routes to the current primary and spreads clients over the lgsp nodes. The cluster script
  # runs them as its own processes: the services these packages install are stopped and disabled below.
  patroni etcd-server etcd-client haproxy
  # PAdES (signing/src/pades_*.cpp): PoDoFo reads PDFs and writes the signature's incremental update; the tests
  # check signed PDFs with poppler's pdfsig against an NSS database (certutil, pk12util) and edit PDFs with qpdf
  libpodofo-dev libnss3-tools qpdf
  # lgsp agent: the browser test (agent.chromium) drives Debian's Chromium through playwright-core (npm)
  chromium
  # the one-stop web pages: text assets served gzip-compressed (onestop/src/web_assets.cpp)
  zlib1g-dev
  # fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
  clang-16 libfuzzer-16-dev libclang-rt-16-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# etcd-server's package starts a system etcd on 127.0.0.1:2379 (and patroni's and haproxy's theirs where
# systemd runs): deploy/cluster/ starts its own, on its own ports and data folders; none is left running.
for service in etcd patroni haproxy; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$service" ]; then
    # Only a service the init script started (its pid file): never a cluster's own process of that name.
    if [ -s "/run/$service.pid" ]; then $SUDO "/etc/init.d/$service" stop >/dev/null 2>&1 || true; fi
    $SUDO update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done

# npm tools (package.json, pinned with their integrity hashes in package-lock.json): the OpenAPI validator
# @redocly/cli that deploy/lint-openapi.sh runs. Node.js and npm come from Debian when the machine has none
# (checked by command, not by package: a machine may have a Node.js of its own with npm inside); Debian 12's
# nodejs 18 runs the pinned @redocly/cli 1.x. `npm ci` only when the lock file changed since the last install.
[ "$with_npm" = 1 ] || exit 0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stamp="$root/node_modules/.lgsp-package-lock.sha256"
want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "install-deps: npm ci (package-lock.json)"
  # --ignore-scripts: the tools need no install scripts, and none from a dependency runs here.
  (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund)
  echo "$want" >"$stamp"
else
  echo "install-deps: npm packages present (package-lock.json unchanged)"
fi
