#!/usr/bin/env bash
# Remakes the fuzz PKI (tests/fuzz/data/root-ca.pem, valid for 100 years) and the signed seeds of
# xmldsig_verify, cades_verify and seal_verify. Needs a build tree with the target fuzz_make_seeds (either the
# fuzz tree or the ordinary one): tests/fuzz/tools/make_signed_seeds.sh [BUILD_DIR]. The private keys live in a
# temporary folder and are deleted: nothing but the root certificate and the signed files is committed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fuzz=$(cd "$here/.." && pwd)
root=$(cd "$fuzz/../.." && pwd)
build_dir=$(cd "${1:-$root/build/fuzz}" && pwd)
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT

cat >"$pki/ext.cnf" <<'CNF'
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
default_md         = sha256
[ req_dn ]
[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_issuing ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF
days=36500
cd "$pki"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root-ca-key.pem 2>/dev/null
openssl req -new -x509 -key root-ca-key.pem -days $days -subj "/C=VN/O=LGSP fuzz/CN=LGSP fuzz root CA" \
  -config ext.cnf -extensions v3_root -out root-ca.pem
issue() {  # issue NAME SUBJECT EXTENSION KEYSPEC ISSUER
  local name=$1 subject=$2 ext=$3 issuer=$5
  # shellcheck disable=SC2086
  openssl genpkey $4 -out "$name-key.pem" 2>/dev/null
  openssl req -new -key "$name-key.pem" -subj "$subject" -config ext.cnf -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer-key.pem" -CAcreateserial -days $days \
    -sha256 -extfile ext.cnf -extensions "$ext" -out "$name.pem" 2>/dev/null
}
issue issuing-ca "/C=VN/O=LGSP fuzz/CN=LGSP fuzz issuing CA" v3_issuing "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" root-ca
issue official "/C=VN/O=UBND phường Bến Thành/CN=Nguyễn Văn An" v3_signer "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" issuing-ca
issue node "/C=VN/O=LGSP fuzz/CN=lgsp-node 000.00.13.H29" v3_signer "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" issuing-ca
openssl verify -CAfile root-ca.pem -untrusted issuing-ca.pem official.pem node.pem

cmake --build "$build_dir" --target fuzz_make_seeds
cp root-ca.pem "$fuzz/data/root-ca.pem"
program=$(find "$build_dir" -name fuzz_make_seeds -type f -perm -u+x | head -1)
"$program" "$pki" "$fuzz/corpus"
