#include "lgsp/signing/certificate.hpp"
#include "revocation.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace lgsp::signing {

std::string crl_reason_name(long reason) {
  // OCSP_crl_reason_str knows the RFC 5280 names.
  return reason < 0 ? std::string() : std::string(OCSP_crl_reason_str(reason));
}

RevocationResult check_crl(X509* cert, X509* issuer, const std::vector<X509CrlPtr>& crls, Clock::time_point now,
                           std::chrono::seconds skew) {
  RevocationResult result;
  result.status = RevocationStatus::kUnknown;
  const std::string issuer_name = name_to_utf8(X509_get_subject_name(issuer));
  result.source = "CRL of " + issuer_name;
  X509_CRL* crl = nullptr;
  for (const auto& candidate : crls) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(candidate.get()), X509_get_subject_name(issuer)) != 0) continue;
    if (X509_CRL_verify(candidate.get(), X509_get0_pubkey(issuer)) != 1) continue;  // same name, other key
    crl = candidate.get();
    break;
  }
  ERR_clear_error();
  if (!crl) {
    result.detail = "no CRL signed by '" + issuer_name + "' among the " + std::to_string(crls.size()) + " given";
    return result;
  }
  if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
    result.detail = "the issuer '" + issuer_name + "' is not allowed to sign CRLs";
    return result;
  }
  auto this_update = to_time_point(X509_CRL_get0_lastUpdate(crl));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  result.produced_at = this_update;
  result.source += " issued " + format_time(this_update);
  if (this_update > now + skew) {
    result.detail = "the CRL is dated in the future (" + format_time(this_update) + ")";
    return result;
  }
  if (next && to_time_point(next) < now - skew) {
    result.detail = "the CRL expired at " + format_time(to_time_point(next)) + "; a current CRL is needed";
    return result;
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl, &entry, cert) == 1) {
    result.status = RevocationStatus::kRevoked;
    result.revoked_at = to_time_point(X509_REVOKED_get0_revocationDate(entry));
    if (auto* reason =
            static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr))) {
      result.revocation_reason = crl_reason_name(ASN1_ENUMERATED_get(reason));
      ASN1_ENUMERATED_free(reason);
    }
    return result;
  }
  result.status = RevocationStatus::kGood;
  return result;
}

}  // namespace lgsp::signing
