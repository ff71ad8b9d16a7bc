#!/usr/bin/env bash
# Copies the npm libraries the web pages ship (pinned in package.json / package-lock.json) into
# onestop/web/assets/vendor/. The copies are committed, so the office needs no Node.js or npm at run time;
# run this after `npm ci` when a pinned version changes, and commit the result. `--check` only compares.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/onestop/web/assets/vendor"
files=("node_modules/qrcode-generator/dist/qrcode.mjs:qrcode.mjs")
status=0
for pair in "${files[@]}"; do
  src="$root/${pair%%:*}" dst="$vendor/${pair##*:}"
  if [[ ! -f "$src" ]]; then echo "web-vendor: $src missing: run npm ci first" >&2; exit 2; fi
  if [[ "${1:-}" == "--check" ]]; then
    cmp -s "$src" "$dst" || { echo "web-vendor: $dst differs from $src" >&2; status=1; }
  else
    install -D -m 644 "$src" "$dst"
  fi
done
exit $status
