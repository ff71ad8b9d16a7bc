#!/usr/bin/env bash
# Lints the node's OpenAPI documents (docs/openapi.json: the public API, served at GET /v1/openapi.json;
# docs/openapi-admin.json: the admin API) with Redocly's recommended rules (redocly.yaml). Any error or warning
# fails. Run by deploy/test.sh; the validator is the @redocly/cli pinned in package-lock.json (deploy/install-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="$root/node_modules/.bin/redocly"
if [ ! -x "$cli" ]; then
  echo "lint-openapi: $cli is missing: run deploy/install-deps.sh (it runs npm ci)" >&2
  exit 2
fi
# No usage reports and no update checks: the lint needs nothing but the files.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
cd "$root"
status=0
out=$("$cli" lint --config redocly.yaml docs/openapi.json docs/openapi-admin.json 2>&1) || status=$?
echo "$out"
if [ "$status" -ne 0 ]; then
  echo "lint-openapi: FAILED (errors above)" >&2
  exit 1
fi
if grep -Eq "You have [0-9]+ warnings?" <<<"$out"; then
  echo "lint-openapi: FAILED (warnings count as failures: fix them, or turn the rule off in redocly.yaml with the reason)" >&2
  exit 1
fi
echo "lint-openapi: docs/openapi.json and docs/openapi-admin.json pass"
