#!/usr/bin/env bash
# The comparison point for sign_bench: one stock `xmlsec1` process per document (sign, then verify), on the
# same 10 KiB document, with hsm-sim's software key peer-signer (xmlsec1 cannot use the PKCS#11 tokens).
#   xmlsec1_cli_bench.sh HSM_DIR [N]      (HSM_DIR built by hsm-sim/setup.sh; N documents, default 200)
set -euo pipefail
dir=$1
n=${2:-200}
pki=$dir/pki
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The same document as sign_bench: rows of Vietnamese text up to 10 KiB, then a signature template.
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<KetQua xmlns="urn:lgsp:bench" Id="kq">'
  for i in $(seq 0 84); do
    echo "  <DongKetQua So=\"$i\"><HoTen>Nguyễn Văn An</HoTen><NoiDung>Trích lục khai sinh, bản sao</NoiDung></DongKetQua>"
  done
  echo '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
  echo '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
  echo '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
  echo '<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
  echo '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
  echo '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>'
  echo '<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></KetQua>'
} >"$work/template.xml"

rate() { # $1 = label, then the command run n times; prints documents/s
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s.%N)
  awk -v l="$label" -v n="$n" -v s="$start" -v e="$end" \
    'BEGIN { printf "%-32s %8.0f documents/s (%d processes, %.2f s)\n", l, n / (e - s), n, e - s }' 
}

echo "template: $(wc -c <"$work/template.xml") bytes"
xmlsec1 --sign --privkey-pem "$pki/peer-signer.key,$pki/peer-signer.pem,$pki/issuing-ca.pem" \
  --output "$work/signed.xml" "$work/template.xml"
rate "xmlsec1 --sign (RSA-2048)" xmlsec1 --sign --privkey-pem "$pki/peer-signer.key,$pki/peer-signer.pem,$pki/issuing-ca.pem" \
  --output "$work/out.xml" "$work/template.xml"
rate "xmlsec1 --verify" xmlsec1 --verify --trusted-pem "$pki/root-ca.pem" "$work/signed.xml"
