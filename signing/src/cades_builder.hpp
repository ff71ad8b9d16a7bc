// The CAdES SignerInfo without its signature value, shared by sign_cades and PAdES (whose key may sign
// elsewhere, between prepare and complete).
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/signer.hpp"

#include <optional>
#include <vector>

namespace lgsp::signing {

struct CadesSkeleton {
  CmsPtr cms;
  CMS_SignerInfo* signer_info = nullptr;         // owned by cms
  std::vector<unsigned char> signed_attributes;  // DER SET OF, what the signature value is over
};

// content-type (data), message-digest (`content_digest`), signingCertificateV2, and signing-time when given.
// The result depends only on its arguments (the same inputs give the same signed attributes).
CadesSkeleton cades_skeleton(X509* cert, const std::vector<X509Ptr>& chain, const Sha256Digest& content_digest,
                             std::optional<Clock::time_point> signing_time);
// Stores the signature value (DER for ECDSA) and returns the DER ContentInfo.
std::vector<unsigned char> cades_finish(CadesSkeleton& skeleton, const std::vector<unsigned char>& signature_value);
// DER of a CMS ContentInfo.
std::vector<unsigned char> cms_der(CMS_ContentInfo* cms);

}  // namespace lgsp::signing
