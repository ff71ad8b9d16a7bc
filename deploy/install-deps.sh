#!/usr/bin/env bash
# Installs every Debian 12 package LGSP needs to build, run and test. Idempotent: packages
# already present are left alone, and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git ca-certificates clang-format
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
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev curl wrk procps python3
  # the sync proxy benchmark compares with nginx proxy_pass (tests/bench/proxy_vs_nginx.sh)
  nginx
  # the async exchange benchmark compares with PostgreSQL's own durable-insert rate measured by pgbench
  # (tests/bench/async_vs_pgbench.sh starts its own server in a temporary folder)
  postgresql-15 postgresql-client-15
  # fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
  clang-16 libfuzzer-16-dev libclang-rt-16-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
