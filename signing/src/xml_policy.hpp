// What LGSP accepts in an XML signature, checked on the tree before any cryptography: exactly one signature,
// references that cover the document root and nothing else, no external URIs, only C14N and
// enveloped-signature transforms, no SHA-1 unless allowed, and nothing inside ds:Signature (or outside a root
// signed by id) that the references leave unsigned but a reader could take for content: no ds:Object, no
// foreign elements or text.
#pragma once

#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/verifier.hpp"

#include <libxml/tree.h>

#include <string>
#include <vector>

namespace lgsp::signing::xml {

struct SignatureShape {
  const ErrorCode* failure = nullptr;
  std::string reason;
  xmlNodePtr signature = nullptr;
  std::string algorithm;  // short name, e.g. "rsa-sha256"
  // Set when a reference names the root by id: the attribute xmlsec must resolve "#id" to.
  xmlAttrPtr root_id_attribute = nullptr;
  std::vector<std::string> checks;
  Coverage coverage;  // references, where the signature sits, what is left out
};

SignatureShape check_signature_shape(xmlDocPtr doc, bool allow_legacy_sha1);

// Short algorithm names for the URIs XML-DSig uses ("rsa-sha256"); empty if unknown.
std::string signature_method_name(const std::string& uri);

}  // namespace lgsp::signing::xml
