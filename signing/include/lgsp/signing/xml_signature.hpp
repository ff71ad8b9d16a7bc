// XML-DSig enveloped signatures over a whole document (Reference URI="", enveloped-signature + exclusive
// C14N, rsa-sha256 or ecdsa-sha256, KeyInfo/X509Data with the signer and its CA certificates).
#pragma once

#include "lgsp/signing/signer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lgsp::signing {

// Signs documents with one Signer; what does not change between documents (the KeyInfo certificates) is
// encoded once. Not thread-safe; use one per thread (the Signer may be shared).
class XmlSigner {
 public:
  explicit XmlSigner(Signer& signer);

  // Returns the signed document (UTF-8), the ds:Signature appended as the last child of the root element.
  // Throws SigningError: kMalformed for input that is not a well-formed XML document without a DOCTYPE,
  // kAlreadySigned when it already holds a ds:Signature, token errors from the Signer.
  std::string sign(std::string_view document);

 private:
  Signer& signer_;
  std::vector<std::string> certificates_base64_;  // signer first, then its CA certificates
};

// XmlSigner(signer).sign(document).
std::string sign_xml(std::string_view document, Signer& signer);

}  // namespace lgsp::signing
