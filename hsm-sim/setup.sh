#!/usr/bin/env bash
# hsm-sim/setup.sh DIR
#
# Builds the simulated signing tokens (real PKCS#11 via SoftHSM2) and the test PKI
# (real X.509 via openssl) used by LGSP tests and local development. See README.md.
#
# Tools used: softhsm2-util, pkcs11-tool (OpenSC), openssl 3, ss, flock.
# Idempotent: a complete, still-valid DIR (same script version) is left untouched;
# otherwise the generated contents are wiped and rebuilt. DIR/ocsp.port is kept.
set -euo pipefail

readonly VERSION=3           # 2: token agency-seal; 3: every name in the one sample story (Bến Thành)
readonly USER_PIN=123456
readonly SO_PIN=12345678
readonly KEY_ID=01            # CKA_ID (hex) of the key pair and certificate on every token
readonly KEY_LABEL=signing    # CKA_LABEL of the private key, public key and certificate
readonly CA_DAYS=3650
readonly EE_DAYS=730
readonly CRL_DAYS=30
readonly OFFICIALS=(official-01 official-02 official-03)
readonly TOKENS=(lgsp-node "${OFFICIALS[@]}" agency-seal)   # agency-seal: the agency's seal (con dấu)
readonly REVOKED=official-03

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[[ $# -eq 1 && -n $1 ]] || usage

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mkdir -p "$1"
DIR=$(cd "$1" && pwd -P)
PKI=$DIR/pki
WORK=$DIR/.work
LOG=$DIR/setup.log
STAMP="lgsp-hsm-sim version=$VERSION"

for tool in softhsm2-util pkcs11-tool openssl ss flock; do
  command -v "$tool" >/dev/null || {
    echo "setup.sh: '$tool' not found (apt-get install -y softhsm2 opensc openssl iproute2 util-linux)" >&2
    exit 1
  }
done

MODULE=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so \
         /usr/local/lib/softhsm/libsofthsm2.so; do
  if [[ -f $m ]]; then MODULE=$m; break; fi
done
[[ -n $MODULE ]] || { echo "setup.sh: libsofthsm2.so not found (apt-get install -y softhsm2)" >&2; exit 1; }

export SOFTHSM2_CONF=$DIR/softhsm2.conf
# Only our own openssl configs are used below; keep the caller's environment out of it.
unset OPENSSL_CONF

# Serialise concurrent runs on the same DIR (e.g. parallel test fixtures).
exec 9>"$DIR/.lock"
flock 9

# ---------------------------------------------------------------------------
# Fast path: a complete set built by this version whose CRLs/certs are still fresh.
# ---------------------------------------------------------------------------
REQUIRED=(softhsm2.conf env ocsp.port
  pki/root-ca.pem pki/root-ca.key pki/issuing-ca.pem pki/issuing-ca.key pki/chain.pem
  pki/crl.pem pki/root-crl.pem pki/ocsp-responder.pem pki/ocsp-responder.key
  pki/peer-signer.pem pki/peer-signer.key pki/expired-signer.pem pki/expired-signer.key
  pki/untrusted-root.pem pki/untrusted-signer.pem pki/untrusted-signer.key pki/ca/index.txt
  pki/tls-node-a.pem pki/tls-node-a.key pki/tls-node-b.pem pki/tls-node-b.key pki/tls-client.pem pki/tls-client.key
  pki/tsa.pem pki/tsa.key pki/tsa.cnf)
for t in "${TOKENS[@]}"; do REQUIRED+=("pki/$t.pem"); done

crl_fresh() { # CRL nextUpdate more than one day ahead
  local nu
  nu=$(openssl crl -in "$1" -noout -nextupdate 2>/dev/null | sed 's/^nextUpdate=//') || return 1
  [[ -n $nu ]] && (( $(date -d "$nu" +%s) > $(date +%s) + 86400 ))
}

is_complete() {
  [[ -f $DIR/.complete && $(<"$DIR/.complete") == "$STAMP" ]] || return 1
  local f
  for f in "${REQUIRED[@]}"; do [[ -s $DIR/$f ]] || return 1; done
  grep -qF "$MODULE" "$DIR/env" || return 1
  crl_fresh "$PKI/crl.pem" && crl_fresh "$PKI/root-crl.pem" || return 1
  for f in "${TOKENS[@]}" peer-signer ocsp-responder; do
    openssl x509 -in "$PKI/$f.pem" -noout -checkend 86400 >/dev/null || return 1
  done
  local slots
  slots=$(pkcs11-tool --module "$MODULE" -L 2>/dev/null) || return 1
  for f in "${TOKENS[@]}"; do
    grep -qE "token label +: $f\$" <<<"$slots" || return 1
  done
}

if is_complete; then
  echo "hsm-sim: $DIR is up to date (version $VERSION); nothing to do."
  echo "hsm-sim: source $DIR/env"
  exit 0
fi

# ---------------------------------------------------------------------------
# Rebuild from scratch.
# ---------------------------------------------------------------------------
START=$(date +%s)

# A responder started by ocsp.sh on the old PKI would sign with a stale key: stop it
# now and restart it at the end.
RESTART_OCSP=0
if [[ -f $DIR/ocsp.pid ]]; then
  if "$SCRIPT_DIR/ocsp.sh" "$DIR" status >/dev/null 2>&1; then RESTART_OCSP=1; fi
  "$SCRIPT_DIR/ocsp.sh" "$DIR" stop >/dev/null 2>&1 || true
fi

rm -rf "$DIR/tokens" "$PKI" "$WORK"
rm -f "$DIR/softhsm2.conf" "$DIR/env" "$DIR/.complete" "$DIR/ocsp.url" "$LOG"
mkdir -p "$DIR/tokens" "$WORK" "$PKI/ca/newcerts" "$PKI/root/newcerts" "$PKI/untrusted/newcerts"
chmod 700 "$DIR/tokens"
: >"$LOG"

run() { # run a command, output to the log; on failure show the log tail and abort
  if ! "$@" >>"$LOG" 2>&1; then
    echo "setup.sh: FAILED: $*" >&2
    tail -n 25 "$LOG" >&2
    exit 1
  fi
}
die() { echo "setup.sh: $*" >&2; exit 1; }

# --- OCSP port: keep the one already chosen for this DIR --------------------
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
PORT=
if [[ -f $DIR/ocsp.port ]]; then
  PORT=$(tr -dc '0-9' <"$DIR/ocsp.port")
  if [[ -z $PORT ]] || (( PORT < 1024 || PORT > 65535 )); then PORT=; fi
fi
if [[ -z $PORT && -n ${LGSP_OCSP_PORT:-} ]]; then PORT=$LGSP_OCSP_PORT; fi
if [[ -z $PORT ]]; then
  # Below the Linux ephemeral range (32768-60999) so outgoing connections never take it.
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12768))
    if port_free "$p"; then PORT=$p; break; fi
  done
  [[ -n $PORT ]] || die "could not find a free TCP port for the OCSP responder"
fi
echo "$PORT" >"$DIR/ocsp.port"
OCSP_URL="http://127.0.0.1:$PORT"

# --- SoftHSM2 configuration ----------------------------------------------------
cat >"$DIR/softhsm2.conf" <<EOF
# Generated by hsm-sim/setup.sh - SoftHSM2 configuration for the LGSP simulated tokens.
directories.tokendir = $DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF

# --- openssl configuration (shared by both CAs; \$dir differs per section) ----------
write_ca_cnf() { # $1=file $2=CA dir $3=cert $4=key $5=CRL extension section
  cat >"$1" <<EOF
# Generated by hsm-sim/setup.sh
[ ca ]
default_ca = CA_default

[ CA_default ]
dir              = $2
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
certificate      = $3
private_key      = $4
crlnumber        = \$dir/crlnumber
rand_serial      = yes
default_md       = sha256
default_days     = $EE_DAYS
default_crl_days = $CRL_DAYS
preserve         = yes
email_in_dn      = no
unique_subject   = no
copy_extensions  = none
name_opt         = multiline,utf8
cert_opt         = ca_default
policy           = policy_any
crl_extensions   = $5

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
userId                 = optional
serialNumber           = optional
emailAddress           = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no
default_md         = sha256

[ req_dn ]

[ crl_ext ]
authorityKeyIdentifier = keyid:always

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
authorityInfoAccess    = OCSP;URI:$OCSP_URL

[ v3_ocsp ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = critical, OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tls_node ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tls_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_untrusted_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
}

ROOT_CNF=$PKI/root/openssl.cnf
CA_CNF=$PKI/ca/openssl.cnf
UNTR_CNF=$PKI/untrusted/openssl.cnf
write_ca_cnf "$ROOT_CNF" "$PKI/root" "$PKI/root-ca.pem" "$PKI/root-ca.key" crl_ext
write_ca_cnf "$CA_CNF" "$PKI/ca" "$PKI/issuing-ca.pem" "$PKI/issuing-ca.key" crl_ext
write_ca_cnf "$UNTR_CNF" "$PKI/untrusted" "$PKI/untrusted-root.pem" "$PKI/untrusted-root.key" crl_ext
for d in root ca untrusted; do
  : >"$PKI/$d/index.txt"
  echo "unique_subject = no" >"$PKI/$d/index.txt.attr"
  echo 1000 >"$PKI/$d/crlnumber"
done

# Subjects (UTF-8; openssl -subj syntax). Test names only - nobody real.
declare -A SUBJ=(
  [root]="/C=VN/O=LGSP Test PKI (mô phỏng)/OU=Chỉ dùng để kiểm thử/CN=LGSP Test Root CA"
  [issuing]="/C=VN/O=LGSP Test PKI (mô phỏng)/OU=Chỉ dùng để kiểm thử/CN=LGSP Test Issuing CA"
  [lgsp-node]="/C=VN/ST=Thành phố Hồ Chí Minh/O=Sở Thông tin và Truyền thông/CN=LGSP Node 000.00.00.H29"
  [official-01]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Thành/O=UBND phường Bến Thành/CN=Nguyễn Văn An/UID=CCCD:079090000001"
  [official-02]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Thành/O=UBND phường Bến Thành/CN=Trần Thị Bình/UID=CCCD:079190000002"
  [official-03]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Nghé/O=UBND phường Bến Nghé/CN=Lê Văn Cường/UID=CCCD:079090000003"
  [agency-seal]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Thành/O=UBND phường Bến Thành/CN=Con dấu UBND phường Bến Thành"
  [peer-signer]="/C=VN/ST=Thành phố Hồ Chí Minh/O=Sở Tư pháp/CN=Hệ thống Hộ tịch"
  [expired-signer]="/C=VN/ST=Thành phố Hồ Chí Minh/O=Sở Tư pháp/CN=Hệ thống Hộ tịch (chứng thư hết hạn)"
  [ocsp-responder]="/C=VN/O=LGSP Test PKI (mô phỏng)/CN=LGSP Test OCSP Responder"
  [tls-node-a]="/C=VN/ST=Thành phố Hồ Chí Minh/O=Sở Thông tin và Truyền thông/CN=lgsp-node-a (TLS)"
  [tls-node-b]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Thành/O=UBND phường Bến Thành/CN=lgsp-node-b (TLS)"
  [tls-client]="/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Thành/O=UBND phường Bến Thành/CN=Hệ thống một cửa (TLS client)"
  [tsa]="/C=VN/O=LGSP Test PKI (mô phỏng)/CN=LGSP Test Time Stamping Authority"
  [untrusted-root]="/C=VN/O=Tổ chức không tin cậy/CN=Untrusted Test Root CA"
  [untrusted-signer]="/C=VN/O=Tổ chức không tin cậy/CN=Nguyễn Văn Giả"
)

newkey_rsa() { run openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1"; chmod 600 "$1"; }
csr() { # $1=cnf $2=key $3=subject $4=out
  run openssl req -new -config "$1" -utf8 -key "$2" -subj "$3" -out "$4"
}

# --- Root CA (self-signed) ---------------------------------------------------------
newkey_rsa "$PKI/root-ca.key" 3072
run openssl req -new -x509 -config "$ROOT_CNF" -utf8 -key "$PKI/root-ca.key" \
  -subj "${SUBJ[root]}" -days "$CA_DAYS" -extensions v3_root -set_serial 1 -out "$PKI/root-ca.pem"

# --- Issuing CA (signed by root, recorded in the root's database) -------------------
newkey_rsa "$PKI/issuing-ca.key" 3072
csr "$CA_CNF" "$PKI/issuing-ca.key" "${SUBJ[issuing]}" "$WORK/issuing-ca.csr"
run openssl ca -batch -notext -config "$ROOT_CNF" -extensions v3_issuing -days "$CA_DAYS" \
  -in "$WORK/issuing-ca.csr" -out "$PKI/issuing-ca.pem"
cat "$PKI/issuing-ca.pem" "$PKI/root-ca.pem" >"$PKI/chain.pem"

# issue_sw NAME [extra openssl ca args...]: software key + certificate from the issuing CA
issue_sw() {
  local name=$1; shift
  newkey_rsa "$PKI/$name.key" 2048
  csr "$CA_CNF" "$PKI/$name.key" "${SUBJ[$name]}" "$WORK/$name.csr"
  run openssl ca -batch -notext -config "$CA_CNF" -in "$WORK/$name.csr" -out "$PKI/$name.pem" "$@"
}
issue_sw ocsp-responder -extensions v3_ocsp -days "$EE_DAYS"
issue_sw peer-signer -extensions v3_signer -days "$EE_DAYS"
issue_sw expired-signer -extensions v3_signer -startdate 20200101000000Z -enddate 20210101000000Z
# TLS: two node certificates (server + client auth, for 127.0.0.1) and one member system's client certificate.
issue_sw tls-node-a -extensions v3_tls_node -days "$EE_DAYS"
issue_sw tls-node-b -extensions v3_tls_node -days "$EE_DAYS"
issue_sw tls-client -extensions v3_tls_client -days "$EE_DAYS"
# RFC 3161 time-stamping authority: `openssl ts -reply` with this key, served by hsm-sim/tsa_server.py.
issue_sw tsa -extensions v3_tsa -days "$EE_DAYS"
echo 01 >"$PKI/tsa-serial"
cat >"$PKI/tsa.cnf" <<TSACNF
# Generated by hsm-sim/setup.sh: the test TSA for openssl ts -reply
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = $PKI/tsa-serial
crypto_device = builtin
signer_cert = $PKI/tsa.pem
certs = $PKI/issuing-ca.pem
signer_key = $PKI/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
TSACNF

# --- Tokens: key pair generated ON the token, certificate issued for its public key --
p11() { run pkcs11-tool --module "$MODULE" "$@"; }
for t in "${TOKENS[@]}"; do
  run softhsm2-util --init-token --free --label "$t" --pin "$USER_PIN" --so-pin "$SO_PIN"
  if [[ $t == lgsp-node ]]; then keytype=EC:prime256v1; else keytype=rsa:2048; fi
  p11 --token-label "$t" --login --pin "$USER_PIN" --keypairgen --key-type "$keytype" \
    --id "$KEY_ID" --label "$KEY_LABEL" --usage-sign
  p11 --token-label "$t" --read-object --type pubkey --id "$KEY_ID" -o "$WORK/$t.pub.der"
  run openssl pkey -pubin -inform DER -in "$WORK/$t.pub.der" -out "$WORK/$t.pub.pem"

  # The CSR only carries the subject (signed by a throwaway key, since openssl cannot
  # sign with the token key here); -force_pubkey puts the token's public key in the cert.
  run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$t.throwaway.key"
  csr "$CA_CNF" "$WORK/$t.throwaway.key" "${SUBJ[$t]}" "$WORK/$t.csr"
  serial=$(printf '0x%X%s' $((RANDOM % 7 + 1)) "$(openssl rand -hex 15)")
  run openssl x509 -req -in "$WORK/$t.csr" -force_pubkey "$WORK/$t.pub.pem" \
    -CA "$PKI/issuing-ca.pem" -CAkey "$PKI/issuing-ca.key" -set_serial "$serial" \
    -days "$EE_DAYS" -sha256 -extfile "$CA_CNF" -extensions v3_signer -out "$PKI/$t.pem"
  # Record it in the issuing CA's database so that CRL generation and OCSP know it.
  run openssl ca -batch -config "$CA_CNF" -valid "$PKI/$t.pem"

  # Sanity: certificate public key == token public key.
  openssl x509 -in "$PKI/$t.pem" -noout -pubkey | openssl pkey -pubin -outform DER -out "$WORK/$t.certpub.der" 2>>"$LOG"
  openssl pkey -pubin -in "$WORK/$t.pub.pem" -outform DER -out "$WORK/$t.tokpub.der" 2>>"$LOG"
  cmp -s "$WORK/$t.certpub.der" "$WORK/$t.tokpub.der" || die "$t: certificate public key does not match the token key"

  run openssl x509 -in "$PKI/$t.pem" -outform DER -out "$WORK/$t.cert.der"
  p11 --token-label "$t" --login --pin "$USER_PIN" --write-object "$WORK/$t.cert.der" \
    --type cert --id "$KEY_ID" --label "$KEY_LABEL"
  p11 --token-label "$t" --read-object --type cert --id "$KEY_ID" -o "$WORK/$t.readback.der"
  cmp -s "$WORK/$t.cert.der" "$WORK/$t.readback.der" || die "$t: certificate read back from the token differs"
done

# --- Revocation + CRLs ---------------------------------------------------------------
run openssl ca -batch -config "$CA_CNF" -revoke "$PKI/$REVOKED.pem" -crl_reason keyCompromise
run openssl ca -batch -config "$CA_CNF" -gencrl -crldays "$CRL_DAYS" -out "$PKI/crl.pem"
run openssl ca -batch -config "$ROOT_CNF" -gencrl -crldays "$CRL_DAYS" -out "$PKI/root-crl.pem"

# --- Untrusted, self-contained chain (separate root, not the LGSP root) -------------------
newkey_rsa "$PKI/untrusted-root.key" 2048
run openssl req -new -x509 -config "$UNTR_CNF" -utf8 -key "$PKI/untrusted-root.key" \
  -subj "${SUBJ[untrusted-root]}" -days "$CA_DAYS" -extensions v3_root -set_serial 1 \
  -out "$PKI/untrusted-root.pem"
newkey_rsa "$PKI/untrusted-signer.key" 2048
csr "$UNTR_CNF" "$PKI/untrusted-signer.key" "${SUBJ[untrusted-signer]}" "$WORK/untrusted-signer.csr"
run openssl ca -batch -notext -config "$UNTR_CNF" -extensions v3_untrusted_signer -days "$EE_DAYS" \
  -in "$WORK/untrusted-signer.csr" -out "$PKI/untrusted-signer.pem"

# --- Self-checks -----------------------------------------------------------------------
verify() { openssl verify -CAfile "$PKI/root-ca.pem" -untrusted "$PKI/issuing-ca.pem" "$@"; }
for t in "${TOKENS[@]}" peer-signer ocsp-responder tls-node-a tls-node-b tls-client tsa; do
  run verify "$PKI/$t.pem"
done
run verify -crl_check_all -CRLfile "$PKI/crl.pem" -CRLfile "$PKI/root-crl.pem" "$PKI/official-01.pem"
if verify -crl_check -CRLfile "$PKI/crl.pem" "$PKI/$REVOKED.pem" >>"$LOG" 2>&1; then
  die "$REVOKED should be revoked by crl.pem"
fi
if verify "$PKI/expired-signer.pem" >>"$LOG" 2>&1; then die "expired-signer.pem should not verify"; fi
if verify "$PKI/untrusted-signer.pem" >>"$LOG" 2>&1; then die "untrusted-signer.pem should not verify"; fi
run openssl verify -CAfile "$PKI/untrusted-root.pem" "$PKI/untrusted-signer.pem"

# --- env + completion stamp ---------------------------------------------------------------
{
  echo "# Generated by hsm-sim/setup.sh - source this file (test values, not secrets)."
  printf 'export SOFTHSM2_CONF=%q\n' "$DIR/softhsm2.conf"
  printf 'export LGSP_PKCS11_MODULE=%q\n' "$MODULE"
  printf 'export LGSP_PIN=%q\n' "$USER_PIN"
  printf 'export LGSP_HSM_DIR=%q\n' "$DIR"
  printf 'export LGSP_PKI_DIR=%q\n' "$PKI"
  printf 'export LGSP_OCSP_URL=%q\n' "$OCSP_URL"
  printf 'export LGSP_KEY_ID=%q\n' "$KEY_ID"
  printf 'export LGSP_KEY_LABEL=%q\n' "$KEY_LABEL"
} >"$DIR/env"

rm -rf "$WORK"
echo "$STAMP" >"$DIR/.complete"

if (( RESTART_OCSP )); then
  "$SCRIPT_DIR/ocsp.sh" "$DIR" start >/dev/null || echo "setup.sh: warning: could not restart the OCSP responder" >&2
fi

# --- Summary ---------------------------------------------------------------------------------
echo "hsm-sim: built $DIR in $(( $(date +%s) - START ))s (version $VERSION)"
echo "  SoftHSM2 config : $DIR/softhsm2.conf   module: $MODULE"
echo "  tokens          : ${TOKENS[*]}  (user PIN $USER_PIN, SO PIN $SO_PIN)"
echo "  on each token   : private key + public key + certificate, CKA_ID=$KEY_ID, CKA_LABEL=$KEY_LABEL"
echo "                    (lgsp-node: ECDSA P-256; officials, agency-seal: RSA-2048; private keys sensitive, non-extractable)"
echo "  PKI             : $PKI (root-ca, issuing-ca, chain, crl [$REVOKED revoked], root-crl, ...)"
echo "  OCSP responder  : $OCSP_URL  (start with: $SCRIPT_DIR/ocsp.sh $DIR start)"
echo "  environment     : source $DIR/env"
