#include "xml_policy.hpp"

#include "xml_document.hpp"

#include <array>
#include <string_view>

namespace lgsp::signing::xml {
namespace {

struct Algorithm {
  std::string_view uri;
  std::string_view name;
  bool sha1;
};

constexpr std::array<Algorithm, 8> kSignatureMethods{{
    {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "rsa-sha256", false},
    {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "rsa-sha384", false},
    {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "rsa-sha512", false},
    {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "ecdsa-sha256", false},
    {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "ecdsa-sha384", false},
    {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "ecdsa-sha512", false},
    {"http://www.w3.org/2000/09/xmldsig#rsa-sha1", "rsa-sha1", true},
    {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", "ecdsa-sha1", true},
}};

constexpr std::array<Algorithm, 4> kDigestMethods{{
    {"http://www.w3.org/2001/04/xmlenc#sha256", "sha256", false},
    {"http://www.w3.org/2001/04/xmldsig-more#sha384", "sha384", false},
    {"http://www.w3.org/2001/04/xmlenc#sha512", "sha512", false},
    {"http://www.w3.org/2000/09/xmldsig#sha1", "sha1", true},
}};

constexpr std::array<std::string_view, 6> kCanonicalizations{
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
};
constexpr std::string_view kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

template <std::size_t N>
const Algorithm* find(const std::array<Algorithm, N>& table, const std::string& uri) {
  for (const auto& a : table)
    if (a.uri == uri) return &a;
  return nullptr;
}

bool is_canonicalization(const std::string& uri) {
  for (auto c : kCanonicalizations)
    if (c == uri) return true;
  return false;
}

SignatureShape fail(SignatureShape shape, const ErrorCode& code, std::string reason) {
  shape.failure = &code;
  shape.reason = std::move(reason);
  return shape;
}

// Id-like attributes (XML-DSig and its users name them Id, ID or id) whose value is `id`, in the whole document.
std::vector<xmlAttrPtr> attributes_with_id(xmlNodePtr root, const std::string& id) {
  std::vector<xmlAttrPtr> out;
  for (xmlNodePtr cur = root; cur;) {
    if (cur->type == XML_ELEMENT_NODE) {
      for (xmlAttrPtr a = cur->properties; a; a = a->next) {
        std::string_view name = reinterpret_cast<const char*>(a->name);
        if (name != "Id" && name != "ID" && name != "id") continue;
        xmlsec::XmlCharPtr value(xmlNodeListGetString(cur->doc, a->children, 1));
        if (value && id == reinterpret_cast<const char*>(value.get())) out.push_back(a);
      }
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children) {
      cur = cur->children;
      continue;
    }
    while (cur && cur != root && !cur->next) cur = cur->parent;
    if (!cur || cur == root) break;
    cur = cur->next;
  }
  return out;
}

}  // namespace

std::string signature_method_name(const std::string& uri) {
  auto* a = find(kSignatureMethods, uri);
  return a ? std::string(a->name) : std::string();
}

SignatureShape check_signature_shape(xmlDocPtr doc, bool allow_legacy_sha1) {
  SignatureShape shape;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  auto signatures = find_elements(root, "Signature", kDsigNs);
  if (signatures.empty()) return fail(shape, errors::kNoSignature, "the document holds no ds:Signature element");
  if (signatures.size() > 1)
    return fail(shape, errors::kMultipleSignatures,
                "the document holds " + std::to_string(signatures.size()) + " ds:Signature elements; one is expected");
  shape.signature = signatures.front();
  shape.checks.push_back("exactly one XML signature in the document");

  xmlNodePtr signed_info = child_element(shape.signature, "SignedInfo", kDsigNs);
  if (!signed_info) return fail(shape, errors::kMalformed, "ds:Signature has no ds:SignedInfo");
  xmlNodePtr c14n = child_element(signed_info, "CanonicalizationMethod", kDsigNs);
  xmlNodePtr method = child_element(signed_info, "SignatureMethod", kDsigNs);
  if (!c14n || !method)
    return fail(shape, errors::kMalformed, "ds:SignedInfo lacks CanonicalizationMethod or SignatureMethod");
  auto c14n_uri = attribute(c14n, "Algorithm").value_or("");
  if (!is_canonicalization(c14n_uri))
    return fail(shape, errors::kForbiddenTransform, "canonicalization method '" + c14n_uri + "' is not accepted");
  auto method_uri = attribute(method, "Algorithm").value_or("");
  const Algorithm* signature_method = find(kSignatureMethods, method_uri);
  if (!signature_method)
    return fail(shape, errors::kUnsupportedAlgorithm, "signature method '" + method_uri + "' is not accepted");
  if (signature_method->sha1 && !allow_legacy_sha1)
    return fail(shape, errors::kWeakAlgorithm,
                "signature method " + std::string(signature_method->name) +
                    " uses SHA-1, refused unless legacy SHA-1 is explicitly allowed (--allow-legacy-sha1)");
  shape.algorithm = signature_method->name;
  shape.checks.push_back("signature method " + shape.algorithm + ", canonicalization " + c14n_uri);

  int references = 0;
  for (xmlNodePtr ref : child_elements(signed_info)) {
    if (!is_element(ref, "Reference", kDsigNs)) continue;
    ++references;
    auto uri = attribute(ref, "URI");
    if (!uri) return fail(shape, errors::kReferenceScope, "a ds:Reference has no URI: it must name the whole document");
    if (!uri->empty()) {
      if ((*uri)[0] != '#')
        return fail(shape, errors::kExternalReference,
                    "ds:Reference URI '" + *uri +
                        "' points outside the document; only URI=\"\" or \"#<root id>\" are accepted");
      std::string id = uri->substr(1);
      if (id.empty() || id.find('(') != std::string::npos)
        return fail(shape, errors::kReferenceScope, "ds:Reference URI '" + *uri + "' (XPointer) is not accepted");
      auto holders = attributes_with_id(root, id);
      if (holders.empty())
        return fail(shape, errors::kReferenceScope, "ds:Reference URI '" + *uri + "' names no element of the document");
      if (holders.size() > 1)
        return fail(shape, errors::kReferenceScope,
                    "id '" + id + "' is carried by " + std::to_string(holders.size()) +
                        " elements: ambiguous reference (signature wrapping?)");
      if (holders.front()->parent != root)
        return fail(shape, errors::kReferenceScope,
                    "ds:Reference URI '" + *uri + "' covers element <" +
                        reinterpret_cast<const char*>(holders.front()->parent->name) +
                        ">, not the document root (signature wrapping?)");
      shape.root_id_attribute = holders.front();
    }
    if (xmlNodePtr transforms = child_element(ref, "Transforms", kDsigNs)) {
      for (xmlNodePtr t : child_elements(transforms)) {
        auto algorithm = attribute(t, "Algorithm").value_or("");
        if (!is_element(t, "Transform", kDsigNs) || (algorithm != kEnveloped && !is_canonicalization(algorithm)))
          return fail(shape, errors::kForbiddenTransform,
                      "transform '" + algorithm + "' is not accepted (only enveloped-signature and canonicalization)");
      }
    }
    xmlNodePtr digest = child_element(ref, "DigestMethod", kDsigNs);
    auto digest_uri = digest ? attribute(digest, "Algorithm").value_or("") : "";
    const Algorithm* digest_method = find(kDigestMethods, digest_uri);
    if (!digest_method)
      return fail(shape, errors::kUnsupportedAlgorithm, "digest method '" + digest_uri + "' is not accepted");
    if (digest_method->sha1 && !allow_legacy_sha1)
      return fail(shape, errors::kWeakAlgorithm,
                  "digest method SHA-1 is refused unless legacy SHA-1 is explicitly allowed (--allow-legacy-sha1)");
  }
  if (references == 0) return fail(shape, errors::kMalformed, "ds:SignedInfo holds no ds:Reference");
  shape.checks.push_back("every reference covers the whole document (URI=\"\" or the root's id), no external URI");
  shape.checks.push_back("only enveloped-signature and canonicalization transforms");
  return shape;
}

}  // namespace lgsp::signing::xml
