#include "xml_policy.hpp"

#include "xml_document.hpp"

#include <array>
#include <optional>
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

// What may appear inside ds:Signature: XML-DSig's own elements (and the exclusive C14N InclusiveNamespaces
// parameter). The KeyInfo forms identify the key and are read by no document reader; xmlsec never reads them.
constexpr std::array<std::string_view, 4> kSignatureNamespaces{
    "http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/2009/xmldsig11#",
    "http://www.w3.org/2001/04/xmldsig-more#", "http://www.w3.org/2001/10/xml-exc-c14n#"};
constexpr std::array<std::string_view, 33> kSignatureElements{"Signature",
                                                              "SignedInfo",
                                                              "CanonicalizationMethod",
                                                              "SignatureMethod",
                                                              "Reference",
                                                              "Transforms",
                                                              "Transform",
                                                              "DigestMethod",
                                                              "DigestValue",
                                                              "SignatureValue",
                                                              "KeyInfo",
                                                              "KeyName",
                                                              "KeyValue",
                                                              "RSAKeyValue",
                                                              "Modulus",
                                                              "Exponent",
                                                              "ECKeyValue",
                                                              "ECDSAKeyValue",
                                                              "NamedCurve",
                                                              "PublicKey",
                                                              "DomainParameters",
                                                              "X",
                                                              "Y",
                                                              "X509Data",
                                                              "X509Certificate",
                                                              "X509IssuerSerial",
                                                              "X509IssuerName",
                                                              "X509SerialNumber",
                                                              "X509SubjectName",
                                                              "X509SKI",
                                                              "X509CRL",
                                                              "X509Digest",
                                                              "InclusiveNamespaces"};
// Defined by XML-DSig, but what they hold is signed only if a reference points at it; LGSP's references cover the
// root only, so their content would be unsigned text that readers take for part of the document.
constexpr std::array<std::string_view, 4> kUnsignedContainers{"Object", "Manifest", "SignatureProperties",
                                                              "SignatureProperty"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view item) {
  for (auto i : list)
    if (i == item) return true;
  return false;
}

// "/edXML:edXML/edXML:edXMLEnvelope/ds:Signature": element names as written (prefix included), for reports.
std::string path_of(xmlNodePtr node) {
  std::string path;
  for (xmlNodePtr n = node; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
    std::string step = reinterpret_cast<const char*>(n->name);
    if (n->ns && n->ns->prefix) step = std::string(reinterpret_cast<const char*>(n->ns->prefix)) + ":" + step;
    path.insert(0, "/" + step);
  }
  return path;
}

bool blank(const xmlChar* text) {
  for (const xmlChar* c = text; c && *c; ++c)
    if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') return false;
  return true;
}

// The first thing inside ds:Signature that no reference covers and that a reader could take for content, or
// nullopt. Recursion is bounded: the pre-scan limits nesting.
std::optional<std::string> unsigned_content(xmlNodePtr element) {
  bool has_element_children = false;
  for (xmlNodePtr c = element->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) has_element_children = true;
  for (xmlNodePtr c = element->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      std::string_view name = reinterpret_cast<const char*>(c->name);
      std::string_view ns = c->ns && c->ns->href ? reinterpret_cast<const char*>(c->ns->href) : "";
      if (ns == kDsigNs && listed(kUnsignedContainers, name))
        return "ds:" + std::string(name) + " at " + path_of(c) +
               ": its content is not covered by the signature's references (which cover the document root only), "
               "yet readers take it for part of the document";
      if (!listed(kSignatureNamespaces, ns) || !listed(kSignatureElements, name))
        return "element <" + std::string(name) + (ns.empty() ? "" : " xmlns=\"" + std::string(ns) + "\"") + "> at " +
               path_of(c) + " is not part of XML-DSig: content inside ds:Signature is not signed";
      if (auto found = unsigned_content(c)) return found;
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && has_element_children &&
               !blank(c->content)) {
      return "text inside " + path_of(element) +
             " between XML-DSig elements: content inside ds:Signature is not signed";
    } else if (c->type == XML_PI_NODE) {
      return "processing instruction <?" + std::string(reinterpret_cast<const char*>(c->name)) + "?> inside " +
             path_of(element) + ": not signed";
    }
  }
  return std::nullopt;
}

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
  bool by_id_only = true;
  bool enveloped = false;
  for (xmlNodePtr ref : child_elements(signed_info)) {
    if (!is_element(ref, "Reference", kDsigNs)) continue;
    ++references;
    auto uri = attribute(ref, "URI");
    if (!uri) return fail(shape, errors::kReferenceScope, "a ds:Reference has no URI: it must name the whole document");
    ReferenceCoverage covered;
    covered.uri = *uri;
    covered.element = path_of(root);
    if (uri->empty()) by_id_only = false;
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
    bool this_enveloped = false;
    if (xmlNodePtr transforms = child_element(ref, "Transforms", kDsigNs)) {
      for (xmlNodePtr t : child_elements(transforms)) {
        auto algorithm = attribute(t, "Algorithm").value_or("");
        if (!is_element(t, "Transform", kDsigNs) || (algorithm != kEnveloped && !is_canonicalization(algorithm)))
          return fail(shape, errors::kForbiddenTransform,
                      "transform '" + algorithm + "' is not accepted (only enveloped-signature and canonicalization)");
        if (algorithm == kEnveloped) this_enveloped = true;
        covered.transforms.push_back(algorithm);
      }
    }
    enveloped = enveloped || this_enveloped;
    covered.node_set =
        (uri->empty() ? std::string("the whole document (the root element, and processing instructions outside it)")
                      : "the root element <" + std::string(reinterpret_cast<const char*>(root->name)) + "> (" + *uri +
                            ") and everything in it") +
        (this_enveloped ? ", except the ds:Signature element (enveloped-signature) and comments" : ", except comments");
    xmlNodePtr digest = child_element(ref, "DigestMethod", kDsigNs);
    auto digest_uri = digest ? attribute(digest, "Algorithm").value_or("") : "";
    covered.digest_method = digest_uri;
    const Algorithm* digest_method = find(kDigestMethods, digest_uri);
    if (!digest_method)
      return fail(shape, errors::kUnsupportedAlgorithm, "digest method '" + digest_uri + "' is not accepted");
    if (digest_method->sha1 && !allow_legacy_sha1)
      return fail(shape, errors::kWeakAlgorithm,
                  "digest method SHA-1 is refused unless legacy SHA-1 is explicitly allowed (--allow-legacy-sha1)");
    shape.coverage.references.push_back(std::move(covered));
  }
  if (references == 0) return fail(shape, errors::kMalformed, "ds:SignedInfo holds no ds:Reference");
  shape.checks.push_back("every reference covers the whole document (URI=\"\" or the root's id), no external URI");
  shape.checks.push_back("only enveloped-signature and canonicalization transforms");

  // What the references leave out must hold nothing a reader takes for content.
  shape.coverage.signature_element = path_of(shape.signature);
  if (auto found = unsigned_content(shape.signature)) return fail(shape, errors::kUnsignedContent, *found);
  if (enveloped)
    shape.coverage.not_covered.push_back(
        "the ds:Signature element (enveloped-signature): checked to hold only XML-DSig's own elements, no ds:Object, "
        "no other content");
  if (by_id_only) {
    for (xmlNodePtr n = doc->children; n; n = n->next)
      if (n->type == XML_PI_NODE)
        return fail(shape, errors::kUnsignedContent,
                    "processing instruction <?" + std::string(reinterpret_cast<const char*>(n->name)) +
                        "?> outside the root element is not covered by a reference to the root's id");
    shape.coverage.not_covered.push_back(
        "the prolog and epilog outside the root element: checked to hold no "
        "processing instruction");
  }
  shape.coverage.not_covered.push_back("comments (references by URI=\"\" or \"#id\" never cover them)");
  shape.checks.push_back("nothing unsigned inside ds:Signature (no ds:Object, no foreign elements or text)");
  return shape;
}

}  // namespace lgsp::signing::xml
