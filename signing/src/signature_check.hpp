// The first half of verification: is the signature itself intact, and which certificate made it? The
// second half (trust in that certificate) is TrustStore's.
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/openssl.hpp"
#include "lgsp/signing/verifier.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lgsp::signing {

struct SignatureCheck {
  const ErrorCode* failure = nullptr;
  std::string reason;
  std::string format;
  std::string algorithm;
  std::string level;
  Coverage coverage;
  X509Ptr signer;                // the certificate whose key verified the signature
  std::vector<X509Ptr> carried;  // other certificates the signature carries (chain candidates)
  std::optional<Clock::time_point> claimed_signing_time;
  std::vector<std::string> checks;
};

SignatureCheck check_xml_signature(std::span<const unsigned char> document, const VerifyOptions& options);
SignatureCheck check_cades_signature(std::span<const unsigned char> signature,
                                     std::optional<std::span<const unsigned char>> content,
                                     const VerifyOptions& options);
// True when `signature` is a CMS (PKCS#7) structure, DER or PEM, rather than XML.
bool looks_like_cms(std::span<const unsigned char> signature);

}  // namespace lgsp::signing
