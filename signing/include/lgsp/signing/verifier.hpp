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
};

struct VerificationReport {
  bool valid = false;
  std::string format;     // "xmldsig" or "cades"
  std::string algorithm;  // e.g. "rsa-sha256", "ecdsa-sha256"
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

  // `signature`: the file to verify. `content`: the signed file, for a detached CAdES signature.
  // Bad signatures and bad input give a report with valid == false. Throws SigningError(kConfiguration) only
  // for a usage mistake (a detached signature without content, or content given for an XML signature).
  VerificationReport verify(std::span<const unsigned char> signature,
                            std::optional<std::span<const unsigned char>> content = std::nullopt) const;

 private:
  TrustStore trust_;
  VerifyOptions options_;
};

nlohmann::json to_json(const VerificationReport& report);

}  // namespace lgsp::signing
