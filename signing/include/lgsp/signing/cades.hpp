// CAdES-BES detached signatures (.p7s, DER): CMS SignedData with content-type, message-digest, signing-time
// and signingCertificateV2 signed attributes, the signer and CA certificates included.
#pragma once

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/signer.hpp"

#include <span>
#include <vector>

namespace lgsp::signing {

// Returns the DER-encoded ContentInfo. `signing_time` is what the signing-time attribute claims.
std::vector<unsigned char> sign_cades(std::span<const unsigned char> content, Signer& signer,
                                      Clock::time_point signing_time = Clock::now());

}  // namespace lgsp::signing
