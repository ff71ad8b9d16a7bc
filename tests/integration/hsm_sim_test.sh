#!/usr/bin/env bash
# hsm-sim for real: tokens on SoftHSM2, keys that never leave them, the PKI, CRL and OCSP answers.
set -euo pipefail
root=$1
dir=$(mktemp -d)
trap '"$root/hsm-sim/ocsp.sh" "$dir" stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$root/hsm-sim/setup.sh" "$dir" >/dev/null
"$root/hsm-sim/setup.sh" "$dir" >/dev/null || fail "second run of setup.sh"
# shellcheck disable=SC1091
source "$dir/env"
[ "$LGSP_PIN" = 123456 ] || fail "LGSP_PIN"
tokens=$(pkcs11-tool --module "$LGSP_PKCS11_MODULE" -L 2>/dev/null)
for label in lgsp-node official-01 official-02 official-03 agency-seal; do
  grep -q "token label *: $label" <<<"$tokens" || fail "token $label missing"
done

objects=$(pkcs11-tool --module "$LGSP_PKCS11_MODULE" --token-label official-01 --login --pin "$LGSP_PIN" -O 2>/dev/null)
grep -q "never extractable" <<<"$objects" || fail "official-01 key is extractable"
grep -q "Certificate Object" <<<"$objects" || fail "official-01 has no certificate object"

# A signature made on the token verifies with the certificate's public key.
echo "Giấy khai sinh số 123" >"$dir/data"
pkcs11-tool --module "$LGSP_PKCS11_MODULE" --token-label official-01 --login --pin "$LGSP_PIN" \
  --sign -m SHA256-RSA-PKCS --id 01 -i "$dir/data" -o "$dir/sig" >/dev/null 2>&1 || fail "token signing"
openssl x509 -in "$dir/pki/official-01.pem" -pubkey -noout >"$dir/pub.pem"
openssl dgst -sha256 -verify "$dir/pub.pem" -signature "$dir/sig" "$dir/data" >/dev/null || fail "signature"

pki=$dir/pki
openssl verify -CAfile "$pki/root-ca.pem" -untrusted "$pki/issuing-ca.pem" "$pki/official-01.pem" >/dev/null \
  || fail "official-01 chain"
if openssl verify -crl_check -CRLfile "$pki/crl.pem" -CAfile "$pki/root-ca.pem" -untrusted "$pki/issuing-ca.pem" \
  "$pki/official-03.pem" >/dev/null 2>&1; then fail "official-03 should be revoked in the CRL"; fi
openssl x509 -in "$pki/official-01.pem" -noout -subject -nameopt utf8 | grep -q "Nguyễn" || fail "UTF-8 subject"
openssl verify -CAfile "$pki/root-ca.pem" -untrusted "$pki/issuing-ca.pem" "$pki/agency-seal.pem" >/dev/null \
  || fail "agency-seal chain"
openssl x509 -in "$pki/agency-seal.pem" -noout -subject -nameopt utf8 | grep -q "O=UBND phường Bến Thành" \
  || fail "agency-seal subject names the agency"

"$root/hsm-sim/ocsp.sh" "$dir" start >/dev/null
url=$(cat "$dir/ocsp.url")
ocsp() { openssl ocsp -issuer "$pki/issuing-ca.pem" -cert "$pki/$1.pem" -url "$url" -CAfile "$pki/chain.pem" 2>&1; }
ocsp official-01 | grep -q ": good" || fail "OCSP official-01 not good"
ocsp official-03 | grep -q ": revoked" || fail "OCSP official-03 not revoked"
"$root/hsm-sim/ocsp.sh" "$dir" stop >/dev/null
echo PASS
