// Revocation of the signer certificate by its issuer: from a CRL file, or by asking an OCSP responder.
#pragma once

#include "lgsp/signing/trust.hpp"

namespace lgsp::signing {

// Uses the CRL in `crls` that `issuer` signed (checked with the issuer's key) and that is current at `now`.
RevocationResult check_crl(X509* cert, X509* issuer, const std::vector<X509CrlPtr>& crls, Clock::time_point now,
                           std::chrono::seconds skew);

// Asks the responder (policy.ocsp_url, else the certificate's AIA) over plain HTTP, with a nonce; the response
// must be signed by the issuer or by a responder the issuer delegated (OCSPSigning), verified against `store`.
RevocationResult check_ocsp(X509* cert, X509* issuer, const std::vector<X509Ptr>& chain, X509_STORE* store,
                            const TrustPolicy& policy);

// "keyCompromise" etc. for a CRL reason code.
std::string crl_reason_name(long reason);

}  // namespace lgsp::signing
