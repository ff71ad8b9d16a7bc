#include "lgsp/signing/verifier.hpp"

#include "signature_check.hpp"

namespace lgsp::signing {

Verifier::Verifier(TrustStore trust, VerifyOptions options) : trust_(std::move(trust)), options_(options) {}

VerificationReport Verifier::verify(std::span<const unsigned char> signature,
                                    std::optional<std::span<const unsigned char>> content) const {
  VerificationReport report;
  report.verified_at = Clock::now();
  auto failed = [&report](const ErrorCode& code, std::string reason) {
    report.failure = &code;
    report.reason = std::move(reason);
    return report;
  };
  if (signature.empty()) return failed(errors::kMalformed, "the signature file is empty");

  SignatureCheck check;
  if (looks_like_cms(signature)) {
    check = check_cades_signature(signature, content, options_);
  } else {
    if (content)
      throw SigningError(errors::kConfiguration, "--content is only for detached CAdES signatures, not for XML");
    check = check_xml_signature(signature, options_);
  }
  report.format = check.format;
  report.algorithm = check.algorithm;
  report.level = check.level;
  report.covers = check.coverage;
  report.checks = check.checks;
  if (check.signer) report.signer = describe(check.signer.get());
  if (check.failure) return failed(*check.failure, check.reason);

  const auto skew = trust_.policy().clock_skew;
  if (check.claimed_signing_time) {
    report.signing_time = *check.claimed_signing_time;
    report.signing_time_source = "signing-time attribute, claimed by the signer";
    if (report.signing_time > report.verified_at + skew)
      return failed(errors::kSigningTime, "the signing time " + format_time(report.signing_time) + " is in the future");
  } else {
    report.signing_time = report.verified_at;
    report.signing_time_source = "verification time: the signature carries no signing time";
  }

  auto trust = trust_.check(check.signer.get(), check.carried, report.signing_time);
  for (const auto& c : trust.chain) report.chain.push_back(describe(c.get()));
  report.revocation = trust.revocation;
  report.checks.insert(report.checks.end(), trust.checks.begin(), trust.checks.end());
  if (!trust.trusted()) return failed(*trust.failure, trust.reason);
  report.valid = true;
  return report;
}

}  // namespace lgsp::signing
