#!/usr/bin/env bash
# PAdES-B-T signing rate of a 1 MB PDF on a SoftHSM2 key, next to the token's raw C_Sign rate in the same run.
#   tests/bench/pades_bench.sh LGSP_BINARY HSM_DIR [N] [SIGN_BENCH]
# HSM_DIR: built by hsm-sim/setup.sh. N: documents (default 50). Starts hsm-sim's TSA on a free port for the run.
# Three figures:
#   lgsp sign --format pades --tsa   one process per document (startup, PIN login, 1 MB in and out, TSA round trip)
#   pkcs11-tool --sign               one process per signature (startup, login, one C_Sign): the same per-process
#                                    cost without PDF or TSA, i.e. the ceiling for the line above
#   raw C_Sign in process            from tests/bench/signing/sign_bench, when SIGN_BENCH is given
set -euo pipefail
lgsp=$1
dir=$(cd "$2" && pwd)
n=${3:-50}
sign_bench=${4:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
tsa_pid=
cleanup() {
  [[ -n $tsa_pid ]] && kill "$tsa_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$dir/env"

# A 1 MB PDF: a one-page document (qpdf fixes the cross-reference table) with 1 MB of random data attached.
printf '%%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n' >"$work/raw.pdf"
head -c 1000000 /dev/urandom >"$work/annex.bin"
qpdf --warning-exit-0 "$work/raw.pdf" "$work/page.pdf" 2>/dev/null
qpdf --warning-exit-0 "$work/page.pdf" --add-attachment "$work/annex.bin" --key=annex -- "$work/in.pdf" 2>/dev/null
echo "input: $(stat -c %s "$work/in.pdf") bytes"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$here/hsm-sim/tsa_server.py" "$dir" "$port" >/dev/null 2>&1 &
tsa_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

rate() { # label, then a command run n times ({} -> iteration number); prints per second
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  for i in $(seq "$n"); do "${@//\{\}/$i}" >/dev/null 2>&1; done
  end=$(date +%s.%N)
  awk -v l="$label" -v n="$n" -v s="$start" -v e="$end" \
    'BEGIN { printf "%-36s %8.1f /s (%d runs, %.2f s)\n", l, n / (e - s), n, e - s }'
}

rate "lgsp sign --format pades (B-T)" "$lgsp" sign --format pades --token official-01 --in "$work/in.pdf" \
  --out "$work/out-{}.pdf" --chain "$dir/pki/issuing-ca.pem" --tsa "http://127.0.0.1:$port"
pdfsig "$work/out-1.pdf" | grep -q 'Signature is Valid' || { echo "pades_bench: output not valid" >&2; exit 1; }
printf 'x%.0s' $(seq 32) >"$work/digest.bin"
rate "pkcs11-tool --sign (RSA-2048)" pkcs11-tool --module "$LGSP_PKCS11_MODULE" --token-label official-01 \
  --login --pin "$LGSP_PIN" --id 01 --sign --mechanism SHA256-RSA-PKCS --input-file "$work/digest.bin" \
  --output-file "$work/sig.bin"
if [[ -n $sign_bench ]]; then
  "$sign_bench" --seconds 2 --hsm-dir "$dir" | grep -E '^(key|official-01)' || true
fi
