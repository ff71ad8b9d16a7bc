// Trust in a signer certificate: a chain built cryptographically to a configured root, valid at the signing
// time, allowed to sign, and not revoked (OCSP or CRL).
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/openssl.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::signing {

enum class RevocationMode { kOcsp, kCrl, kNone };

struct TrustPolicy {
  // Trust anchors: the roots (a deployment trusts the Vietnam National Root CA and the Government specialised
  // root). Only these end a chain; certificates carried by a signature only help to build it.
  std::vector<X509Ptr> anchors;
  RevocationMode revocation = RevocationMode::kOcsp;
  // kCrl: CRLs of the signer's issuing CA (each checked against its issuer's key before use).
  std::vector<X509CrlPtr> crls;
  // kOcsp: the responder to ask; by default the one in the certificate's AIA extension.
  std::optional<std::string> ocsp_url;
  std::chrono::seconds ocsp_timeout{10};
  // Allowed difference between our clock and a responder's or a signer's.
  std::chrono::seconds clock_skew{300};
};

enum class RevocationStatus { kNotChecked, kGood, kRevoked, kUnknown };
std::string_view to_string(RevocationStatus status);

struct RevocationResult {
  RevocationStatus status = RevocationStatus::kNotChecked;
  std::string source;                            // "OCSP http://127.0.0.1:27124", "CRL <issuer>", "none"
  std::optional<Clock::time_point> produced_at;  // OCSP thisUpdate or CRL lastUpdate
  std::optional<Clock::time_point> revoked_at;   // when revoked
  std::string revocation_reason;                 // CRL reason, e.g. "keyCompromise"
  std::string detail;                            // why the status is unknown
  std::vector<unsigned char> ocsp_response;      // the OCSPResponse as received (DER), for a PAdES DSS
};

struct TrustResult {
  const ErrorCode* failure = nullptr;  // null when trusted
  std::string reason;
  std::vector<X509Ptr> chain;  // signer first, anchor last (as far as it could be built)
  RevocationResult revocation;
  std::vector<std::string> checks;  // what was checked and passed
  bool trusted() const { return failure == nullptr; }
};

class TrustStore {
 public:
  // Throws SigningError(kConfiguration) when there is no anchor or kCrl has no CRL.
  explicit TrustStore(TrustPolicy policy);
  ~TrustStore();
  TrustStore(TrustStore&&) noexcept;
  TrustStore& operator=(TrustStore&&) noexcept;

  const TrustPolicy& policy() const { return policy_; }
  // Checks `signer` (with `untrusted` certificates to build the chain from) as of `signing_time`. Revocation
  // is checked as of now: without a trusted timestamp the signing time is only the signer's claim, so a
  // revoked certificate makes any signature invalid.
  TrustResult check(X509* signer, const std::vector<X509Ptr>& untrusted, Clock::time_point signing_time) const;
  // The anchors as an OpenSSL store, for checks OpenSSL runs itself (RFC 3161 time-stamp tokens).
  X509_STORE* x509_store() const { return store_.get(); }

 private:
  TrustPolicy policy_;
  X509StorePtr store_;
};

X509CrlPtr load_crl(const std::filesystem::path& file);  // PEM or DER; throws SigningError(kConfiguration)

}  // namespace lgsp::signing
