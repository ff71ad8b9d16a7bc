#!/usr/bin/env bash
# An edXML package end to end with the signing core: pack -> sign on a SoftHSM2 token (hsm-sim) ->
# verify with lgsp and with the stock xmlsec1 -> still a valid edxml@v1 package -> unpack gives the
# same attachments -> a modified package fails verification.
# usage: edxml_signing_test.sh LGSP_BINARY SOURCE_DIR HSM_DIR
set -euo pipefail
lgsp=$1
src=$2
hsm=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck disable=SC1091
source "$hsm/env"
pki=$hsm/pki
cd "$work"

"$lgsp" edxml unpack "$src/contracts/edxml/v1/examples/valid-2-replace-two-attachments.xml" --out sample >/dev/null
"$lgsp" edxml pack --header sample/header.json --attach sample/*.pdf --out doc.edxml >/dev/null

"$lgsp" sign --format xmldsig --token official-01 --in doc.edxml --out signed.edxml --chain "$pki/issuing-ca.pem" \
  >/dev/null || fail "sign"
# The signature sits in edXMLHeader (QCVN 102), not after the attachments.
xmllint --xpath 'count(/*[local-name()="edXML"]/*[local-name()="edXMLEnvelope"]/*[local-name()="edXMLHeader"]/*[local-name()="Signature"])' \
  signed.edxml | grep -qx 1 || fail "ds:Signature is not in edXMLHeader"

"$lgsp" verify --in signed.edxml --trust "$pki/root-ca.pem" --revocation crl --crl "$pki/crl.pem" >verify.out \
  || fail "lgsp verify: $(cat verify.out)"
grep -q "^valid: XML-DSig rsa-sha256" verify.out || fail "unexpected verify output: $(cat verify.out)"
xmlsec1 --verify --trusted-pem "$pki/root-ca.pem" --untrusted-pem "$pki/issuing-ca.pem" signed.edxml >xmlsec.out 2>&1 \
  || fail "xmlsec1 --verify: $(cat xmlsec.out)"

"$lgsp" validate --contract edxml@v1 signed.edxml >/dev/null || fail "signed package is not valid edxml@v1"
"$lgsp" edxml unpack signed.edxml --out out >/dev/null || fail "unpack of the signed package"
for f in sample/*.pdf; do cmp -s "$f" "out/$(basename "$f")" || fail "attachment $(basename "$f") differs"; done

sed 's/<edXML:Subject>/<edXML:Subject>SỬA /' signed.edxml >tampered.edxml
cmp -s signed.edxml tampered.edxml && fail "tampering did not change the file"
set +e
"$lgsp" verify --in tampered.edxml --trust "$pki/root-ca.pem" --revocation none 2>verify.err
rc=$?
set -e
[ "$rc" = 1 ] || fail "tampered package: exit $rc, expected 1"
grep -q "LGSP-VERIFY-MODIFIED" verify.err || fail "tampered package: $(cat verify.err)"
echo "PASS"
