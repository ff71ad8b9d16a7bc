#!/usr/bin/env bash
# The quick start as a newcomer runs it (deploy/quickstart.sh with a built lgsp, on a clean data folder and
# ports other than the defaults): the office is on the bus (an inter-agency step is handed over and the node
# accepts its message), its public links follow its listen port and are signed links the portal can fetch, what
# it signs verifies with `lgsp verify` (OCSP answered), and SIGTERM stops the node, the office and the responder.
set -euo pipefail
lgsp=$1
root=$2
work=$(mktemp -d)
qs=
cleanup() {
  if [ -n "$qs" ] && kill -0 "$qs" 2>/dev/null; then kill -TERM "$qs" 2>/dev/null || true; wait "$qs" 2>/dev/null || true; fi
  "$root/hsm-sim/ocsp.sh" "$work/var/hsm" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work/quickstart.log" "$work/var/serve.log" "$work/var/onestop/serve.log"; do
    echo "--- $f"
    tail -n 40 "$f" 2>/dev/null || true
  done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
node_port=$(free_port)
office_port=$(free_port)
admin_port=$(free_port)
office="http://127.0.0.1:$office_port"
export LGSP_ADMIN_LISTEN="127.0.0.1:$admin_port"

LGSP_BIN="$lgsp" LGSP_DATA_DIR="$work/var" LGSP_LISTEN="127.0.0.1:$node_port" \
  LGSP_ONESTOP_LISTEN="127.0.0.1:$office_port" bash "$root/deploy/quickstart.sh" >"$work/quickstart.log" 2>&1 &
qs=$!
for _ in $(seq 1 900); do
  curl -fsS "$office/readyz" >/dev/null 2>&1 && break
  kill -0 "$qs" 2>/dev/null || fail "the quick start ended before the office was ready"
  sleep 0.1
done
ready=$(curl -fsS "$office/readyz") || fail "the office is not ready"
grep -q "\"bus\":\"http://127.0.0.1:$node_port\"" <<<"$ready" || fail "the office has no bus link: $ready"

# The node's admin API answers the operator token the quick start wrote (mode 600), and nobody without it.
[ "$(stat -c %a "$work/var/admin-token.txt")" = 600 ] || fail "admin-token.txt is not mode 600"
admin_api="http://127.0.0.1:$admin_port/admin/v1/services"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$work/var/admin-token.txt")" "$admin_api")
[ "$code" = 200 ] || fail "the admin API refuses the quick start's operator token ($code)"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$admin_api")
[ "$code" = 401 ] || fail "the admin API answers without a token ($code)"

tok() { awk -v r="$1" '$1 == r {print $3}' "$work/var/onestop/tokens.txt"; }
[ "$(stat -c %a "$work/var/onestop/tokens.txt")" = 600 ] || fail "tokens.txt is not mode 600"
[ "$(stat -c %a "$work/var/onestop/bus.key")" = 600 ] || fail "bus.key is not mode 600"
desk=$(tok receiving)
clerk=$(tok processing)
leader=$(tok leader)
admin=$(tok admin)

# The web pages on the office's own address, and an official's password sign-in (passwords.txt, mode 600).
[ "$(stat -c %a "$work/var/onestop/passwords.txt")" = 600 ] || fail "passwords.txt is not mode 600"
curl -fsS "$office/" | grep -q '<html lang="vi"' || fail "the office does not serve its home page"
lan_password=$(awk '$1 == "lan" {print $2}' "$work/var/onestop/passwords.txt")
signin=$(curl -sS -i -X POST "$office/onestop/v1/session/signin" -H 'Content-Type: application/json' -H "Origin: $office" \
  --data-binary "{\"username\":\"lan\",\"password\":\"$lan_password\"}")
grep -qi '^set-cookie: lgsp_session=' <<<"$signin" || fail "the desk cannot sign in to the pages with passwords.txt: $signin"
api() { # METHOD PATH TOKEN [JSON]
  curl -sS -X "$1" "$office/onestop/v1$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
    ${4:+--data-binary "$4"}
}
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

profile=$(api POST /profiles "$desk" '{"full_name":"Nguyễn Thị Mai","id_number":"079195000123",
  "date_of_birth":"1995-03-14","gender":"female","hometown":"Phường Bến Thành, Thành phố Hồ Chí Minh",
  "ethnicity":"Kinh","nationality":"Việt Nam","permanent_address":"12 Lê Lợi, phường Bến Thành"}')
customer=$(json 'd["customer_code"]' <<<"$profile") || fail "no e-profile: $profile"
upload() {
  printf '%%PDF-1.4\n%% %s\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%%%EOF\n' "$1" |
    curl -sS -X POST "$office/onestop/v1/files" -H "Authorization: Bearer $desk" -H 'Content-Type: application/pdf' \
      --data-binary @- | json 'd["sha256"]'
}
tklt=$(upload "to khai lien thong")
gcs=$(upload "giay chung sinh")
# The sample inter-agency procedure: steps 4 and 5 are done by the police and the social insurance office.
dossier=$(api POST /dossiers "$desk" "{\"procedure_code\":\"1.012788\",\"customer_code\":\"$customer\",\"channel\":2,
  \"documents\":[{\"code\":\"TKLT\",\"sha256\":\"$tklt\"},{\"code\":\"GCS\",\"sha256\":\"$gcs\"}]}")
code=$(json 'd["code"]' <<<"$dossier") || fail "dossier not filed: $dossier"
case $code in LGSP-*) fail "dossier not filed: $dossier" ;; esac
for who in "$desk" "$clerk" "$leader"; do
  out=$(api POST "/dossiers/$code/handover" "$who" '{}')
  grep -q '"code":"LGSP-' <<<"$out" && fail "hand-over refused: $out"
done
[ "$(json 'd["current_unit"]' <<<"$out")" = 000.00.21.H29 ] || fail "step 4 not at the police: $out"

# The node accepted the submission (API key, ACL, contract): the office's bus outbox marks it sent.
sent=
for _ in $(seq 1 200); do
  outbox=$(api GET /bus-outbox "$admin")
  sent=$(json '[m["sent_at"] for m in d["messages"] if m["service"] == "000.00.21.H29/MOTCUA/onestop.submission/v1"]' <<<"$outbox")
  grep -q "'20" <<<"$sent" && break
  sleep 0.1
done
grep -q "'20" <<<"$sent" || fail "the submission never reached the bus: $outbox"

# public_url follows the listen port: the portal record's file links are the office's, signed, and fetchable.
records=$(api GET '/outbox?limit=1000' "$admin")
link=$(json "[f['DuongDanTaiTepTin'] for r in d['records'] if r['dossier_code'] == '$code' and r['service'] == 'DongBoHoSoMC' for f in r['record']['data'][0]['TaiLieuNop']][-1]" <<<"$records")
case $link in "$office/onestop/v1/public/files/"*"?expires="*"&sig="*) ;; *) fail "portal link $link is not a signed link on port $office_port" ;; esac
curl -fsS -o "$work/fetched.pdf" "$link" || fail "the portal cannot fetch $link"
grep -q '^%PDF-' "$work/fetched.pdf" || fail "the link did not serve the document"

# A signature made by the office verifies: form 01 sealed with the agency seal (PAdES, in the PDF), checked online
# (OCSP).
sealed=$(api POST "/dossiers/$code/forms/01/seal" "$desk" '{}')
pdf_sha=$(json 'd["sha256"]' <<<"$sealed") || fail "form 01 not sealed: $sealed"
[[ $(json 'd["signature_format"]' <<<"$sealed") == pades ]] || fail "form 01 not sealed as PAdES: $sealed"
curl -fsS -o "$work/form01.pdf" -H "Authorization: Bearer $desk" "$office/onestop/v1/files/$pdf_sha"
"$lgsp" verify --in "$work/form01.pdf" --trust "$work/var/hsm/pki/root-ca.pem" \
  >"$work/verify.out" 2>&1 || fail "lgsp verify refuses the office's seal: $(cat "$work/verify.out")"

# SIGTERM (as Ctrl-C) stops everything the quick start started.
kill -TERM "$qs"
status=0
wait "$qs" || status=$?
qs=
[ "$status" = 0 ] || fail "the quick start exited $status"
curl -fsS "$office/healthz" >/dev/null 2>&1 && fail "the office still answers"
curl -fsS "http://127.0.0.1:$node_port/healthz" >/dev/null 2>&1 && fail "the node still answers"
ocsp=0
"$root/hsm-sim/ocsp.sh" "$work/var/hsm" status >/dev/null 2>&1 || ocsp=$?
[ "$ocsp" = 3 ] || fail "the OCSP responder is still running (status $ocsp)"

# A second run on the same folder keeps the key, the accounts and the registry, and the office is on the bus again.
key=$(cat "$work/var/onestop/bus.key")
LGSP_BIN="$lgsp" LGSP_DATA_DIR="$work/var" LGSP_LISTEN="127.0.0.1:$node_port" \
  LGSP_ONESTOP_LISTEN="127.0.0.1:$office_port" bash "$root/deploy/quickstart.sh" >"$work/quickstart.log" 2>&1 &
qs=$!
for _ in $(seq 1 600); do
  curl -fsS "$office/readyz" >/dev/null 2>&1 && break
  kill -0 "$qs" 2>/dev/null || fail "the second run ended before the office was ready"
  sleep 0.1
done
[ "$(cat "$work/var/onestop/bus.key")" = "$key" ] || fail "the second run made a new API key"
[ "$(tok admin)" = "$admin" ] || fail "the second run made new accounts"
grep -qi "warning\|error" "$work/quickstart.log" && fail "the second run complained: $(cat "$work/quickstart.log")"
[ "$(api GET /me "$admin" | json 'd["username"]')" = admin ] || fail "the admin token no longer works"
kill -TERM "$qs"
status=0
wait "$qs" || status=$?
qs=
[ "$status" = 0 ] || fail "the second run exited $status"
echo "PASS"
