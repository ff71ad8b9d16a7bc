#include "token_signer.hpp"

#include "lgsp/signing/errors.hpp"

#include <openssl/evp.h>

#include <array>

namespace lgsp::signing {
namespace {

// DER prefix of DigestInfo{sha256, OCTET STRING(32)} (RFC 8017, 9.2 note 1). The token gets CKM_RSA_PKCS over
// DigestInfo rather than CKM_SHA256_RSA_PKCS over the data: every token supports it, and only 51 bytes cross
// the (USB) link however large the document.
constexpr std::array<unsigned char, 19> kSha256DigestInfoPrefix = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

KeyKind kind_of(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key) throw SigningError(errors::kToken, "the token certificate's public key cannot be read");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyKind::kRsa;
    case EVP_PKEY_EC:
      return KeyKind::kEcdsa;
    default:
      throw SigningError(errors::kToken, "the token key is neither RSA nor ECDSA");
  }
}

}  // namespace

[[noreturn]] void throw_token_error(CK_RV rv, const std::string& what, const LoginContext* login,
                                    const std::string& label) {
  const std::string token = "token '" + label + "'";
  if (login && login->pin_unavailable)
    throw SigningError(errors::kPinUnavailable,
                       token + ": no PIN available (set LGSP_PIN or run from a terminal to be asked)");
  if ((login && login->pin_rejected) || rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
    throw SigningError(errors::kPinIncorrect, token + ": the PIN is incorrect (not retried, to spare the token)");
  if (rv == CKR_PIN_LOCKED) throw SigningError(errors::kPinLocked, token + ": the PIN is locked");
  if ((login && login->token_missing) || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED ||
      rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_RECOGNIZED)
    throw SigningError(errors::kTokenAbsent, token + " was removed or is not present");
  throw SigningError(errors::kToken, token + ": " + what + " failed: " + pkcs11h::message(rv));
}

TokenSigner::TokenSigner(std::unique_ptr<LoginContext> login, pkcs11h::Certificate certificate, X509Ptr x509,
                         std::vector<X509Ptr> chain, std::string key_id)
    : login_(std::move(login)),
      certificate_(std::move(certificate)),
      x509_(std::move(x509)),
      chain_(std::move(chain)),
      key_id_(std::move(key_id)),
      kind_(kind_of(x509_.get())) {}

// The pkcs11-helper certificate (which holds a pointer to login_) goes first.
TokenSigner::~TokenSigner() { certificate_.reset(); }

std::string TokenSigner::description() const { return "token '" + login_->token_label + "' key " + key_id_; }

std::vector<unsigned char> TokenSigner::sign_digest(const Sha256Digest& digest) {
  std::vector<unsigned char> input;
  CK_MECHANISM_TYPE mechanism;
  if (kind_ == KeyKind::kRsa) {
    mechanism = CKM_RSA_PKCS;
    input.assign(kSha256DigestInfoPrefix.begin(), kSha256DigestInfoPrefix.end());
    input.insert(input.end(), digest.begin(), digest.end());
  } else {
    // CKM_ECDSA signs a digest we computed and answers r||s: exactly XML-DSig's form.
    mechanism = CKM_ECDSA;
    input.assign(digest.begin(), digest.end());
  }
  std::vector<unsigned char> signature(1024);
  size_t size = signature.size();
  pkcs11h::SessionLock lock(certificate_.get());
  if (lock.result() != CKR_OK)
    throw_token_error(lock.result(), "locking the session", login_.get(), login_->token_label);
  CK_RV rv =
      pkcs11h_certificate_sign(certificate_.get(), mechanism, input.data(), input.size(), signature.data(), &size);
  if (rv != CKR_OK) throw_token_error(rv, "signing", login_.get(), login_->token_label);
  signature.resize(size);
  return signature;
}

}  // namespace lgsp::signing
