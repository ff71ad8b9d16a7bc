#!/usr/bin/env bash
# CTest fixture for the signing tests: `up DIR` builds a fresh hsm-sim in DIR and starts its OCSP responder,
# `down DIR` stops the responder and removes DIR.
set -euo pipefail
action=$1
dir=$2
sim=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../hsm-sim" && pwd)
case $action in
  up)
    if [[ -d $dir ]]; then "$sim/ocsp.sh" "$dir" stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    "$sim/setup.sh" "$dir"
    "$sim/ocsp.sh" "$dir" start
    ;;
  down)
    if [[ -d $dir ]]; then "$sim/ocsp.sh" "$dir" stop || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 up|down DIR" >&2
    exit 2
    ;;
esac
