// Verifies one signature file (XML-DSig enveloped or CAdES detached, told apart by content) and reports what
// was checked: the signature itself, then the signer's certificate against a TrustStore.
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/trust.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lgsp::signing {

struct VerifyOptions {
  // edXML from older systems is signed with rsa-sha1; accepted only when asked for.
  bool allow_legacy_sha1 = false;
  // Refuse CMS signatures that are not CAdES-BES (no signed attributes, or no signingCertificate(V2)) with
  // LGSP-VERIFY-NOT-CADES. Without it they are verified and reported at their level ("CMS, not CAdES-BES").
  bool require_cades = false;
};

// One XML-DSig Reference as the verifier resolved it.
struct ReferenceCoverage {
  std::string uri;                      // "" or "#id"
  std::vector<std::string> transforms;  // algorithm URIs, in order
  std::string digest_method;            // algorithm URI
  std::string element;                  // path of the element whose subtree is covered (the document root)
  std::string node_set;                 // in words, e.g. "the whole document except the ds:Signature element"
};

// Exactly what a signature covers. Reported whether or not the signature turned out valid, as far as it was read.
struct Coverage {
  // XML-DSig
  std::vector<ReferenceCoverage> references;
  std::string signature_element;         // path of the ds:Signature element
  std::vector<std::string> not_covered;  // what the references leave out; each was checked to be harmless
  // CMS / CAdES
  std::optional<std::size_t> content_bytes;    // the signed content (detached or encapsulated)
  std::string content_sha256;                  // hex, lower case
  std::vector<std::string> signed_attributes;  // short names, in order; empty: the signature is over the content
};

struct VerificationReport {
  bool valid = false;
  std::string format;     // "xmldsig" or "cades"
  std::string algorithm;  // e.g. "rsa-sha256", "ecdsa-sha256"
  // "XML-DSig enveloped", "CAdES-BES", or for CMS without CAdES attributes "CMS, not CAdES-BES" (with a reason)
  std::string level;
  Coverage covers;
  const ErrorCode* failure = nullptr;
  std::string reason;  // when not valid: what failed and why
  std::optional<CertificateInfo> signer;
  std::vector<CertificateInfo> chain;  // signer first, root last
  Clock::time_point signing_time{};
  std::string signing_time_source;  // "signing-time attribute, claimed by the signer" or "verification time: ..."
  Clock::time_point verified_at{};
  RevocationResult revocation;
  std::vector<std::string> checks;  // what was checked and passed, in order
};

class Verifier {
 public:
  Verifier(TrustStore trust, VerifyOptions options);

  // `signature`: the file's bytes (in memory; nothing is read from disk or the network but OCSP). `content`: the
  // signed bytes, for a detached CMS/CAdES signature.
  // Bad signatures and bad input give a report with valid == false. Throws SigningError(kConfiguration) only
  // for a usage mistake (a detached signature without content, or content given for an XML signature).
  VerificationReport verify(std::span<const unsigned char> signature,
                            std::optional<std::span<const unsigned char>> content = std::nullopt) const;
  const TrustStore& trust() const { return trust_; }

 private:
  TrustStore trust_;
  VerifyOptions options_;
};

nlohmann::json to_json(const VerificationReport& report);

}  // namespace lgsp::signing
