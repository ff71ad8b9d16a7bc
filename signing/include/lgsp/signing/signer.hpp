// The one interface through which anything in LGSP obtains a signature. Callers never see a PIN or a key
// handle: a Signer is a certificate plus "sign this SHA-256 digest".
#pragma once

#include "lgsp/signing/openssl.hpp"

#include <array>
#include <span>
#include <string>
#include <vector>

namespace lgsp::signing {

enum class KeyKind { kRsa, kEcdsa };

using Sha256Digest = std::array<unsigned char, 32>;
Sha256Digest sha256(std::span<const unsigned char> data);

class Signer {
 public:
  virtual ~Signer() = default;

  virtual KeyKind key_kind() const = 0;
  // The signer's certificate.
  virtual X509* certificate() const = 0;
  // CA certificates from the signer's issuer upwards, root excluded (what a signature carries so that a
  // verifier needs only its root).
  virtual const std::vector<X509Ptr>& chain() const = 0;
  // A short description for messages, e.g. "token official-01 key 01".
  virtual std::string description() const = 0;

  // Signs a SHA-256 digest. RSA: RSASSA-PKCS1-v1_5 (the digest wrapped in its DigestInfo). ECDSA: r||s, each
  // the size of the curve order (IEEE P1363, the form XML-DSig uses; CMS callers convert to DER).
  // Thread-safe; implementations serialise access to the device.
  virtual std::vector<unsigned char> sign_digest(const Sha256Digest& digest) = 0;

  std::vector<unsigned char> sign_sha256(std::span<const unsigned char> data) { return sign_digest(sha256(data)); }
};

// ECDSA signature forms: r||s (fixed width, XML-DSig) <-> DER ECDSA-Sig-Value (X.509, CMS).
std::vector<unsigned char> ecdsa_raw_to_der(std::span<const unsigned char> raw);
std::vector<unsigned char> ecdsa_der_to_raw(std::span<const unsigned char> der, std::size_t half_width);

}  // namespace lgsp::signing
