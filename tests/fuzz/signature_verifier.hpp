// The verifier the signature targets share: the fuzz PKI's root (tests/fuzz/data/root-ca.pem) as the only
// anchor, no revocation check (no network while fuzzing).
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"
#include "lgsp/signing/verifier.hpp"

#include <cstdlib>

namespace lgsp::fuzz {

inline signing::TrustStore fuzz_trust_store() {
  signing::TrustPolicy policy;
  policy.anchors = signing::load_pem_certificates(LGSP_FUZZ_SOURCE_DIR "/data/root-ca.pem");
  policy.revocation = signing::RevocationMode::kNone;
  return signing::TrustStore(std::move(policy));
}

inline const signing::Verifier& fuzz_verifier() {
  static const signing::Verifier verifier(fuzz_trust_store(), signing::VerifyOptions{});
  return verifier;
}

// What `lgsp verify --json` prints: the report must always serialise (a certificate's names included).
inline void check_report(const signing::VerificationReport& report) {
  if (report.valid == (report.failure != nullptr)) std::abort();
  if (!report.valid && report.reason.empty()) std::abort();
  (void)signing::to_json(report).dump();
}

}  // namespace lgsp::fuzz
