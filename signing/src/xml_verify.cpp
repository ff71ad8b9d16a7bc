// XML-DSig verification: LGSP's policy on the tree first (xml_policy), then xmlsec for references and the
// signature value, with the key of the certificate found in KeyInfo. xmlsec never reads KeyInfo itself (no keys
// manager, the key is set beforehand): no RetrievalMethod, no key lookup, no network.
#include "lgsp/signing/certificate.hpp"
#include "signature_check.hpp"
#include "xml_document.hpp"
#include "xml_policy.hpp"
#include "xmlsec_library.hpp"

#include <xmlsec/base64.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmltree.h>

#include <array>

namespace lgsp::signing {
namespace {

SignatureCheck fail(SignatureCheck check, const ErrorCode& code, std::string reason) {
  check.failure = &code;
  check.reason = std::move(reason);
  return check;
}

std::vector<X509Ptr> key_info_certificates(xmlNodePtr signature) {
  std::vector<X509Ptr> certs;
  xmlNodePtr key_info = xml::child_element(signature, "KeyInfo", xml::kDsigNs);
  if (!key_info) return certs;
  for (xmlNodePtr data : xml::child_elements(key_info)) {
    if (!xml::is_element(data, "X509Data", xml::kDsigNs)) continue;
    for (xmlNodePtr c : xml::child_elements(data)) {
      if (!xml::is_element(c, "X509Certificate", xml::kDsigNs)) continue;
      std::string text = xml::text_content(c);
      std::vector<unsigned char> der(text.size());
      xmlSecSize written = 0;
      if (xmlSecBase64Decode_ex(reinterpret_cast<const xmlChar*>(text.c_str()), der.data(),
                                static_cast<xmlSecSize>(der.size()), &written) < 0)
        throw SigningError(errors::kMalformed, "ds:X509Certificate is not base64");
      der.resize(written);
      certs.push_back(certificate_from_der(der));
    }
  }
  return certs;
}

// The signer is the one certificate that issued none of the others.
std::optional<std::size_t> leaf_index(const std::vector<X509Ptr>& certs, std::string& why) {
  std::vector<std::size_t> leaves;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    bool issues_another = false;
    for (std::size_t j = 0; j < certs.size(); ++j)
      if (i != j && X509_check_issued(certs[i].get(), certs[j].get()) == X509_V_OK) issues_another = true;
    if (!issues_another) leaves.push_back(i);
  }
  if (leaves.size() == 1) return leaves.front();
  why = certs.empty() ? "ds:KeyInfo carries no X509Certificate: the signer cannot be identified"
                      : "ds:KeyInfo carries " + std::to_string(leaves.size()) +
                            " end-entity certificates: the signer cannot be identified";
  return std::nullopt;
}

xmlsec::KeyPtr public_key_of(X509* cert) {
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (!pkey) throw SigningError(errors::kMalformed, with_openssl_errors("the signer certificate has no usable key"));
  EVP_PKEY_up_ref(pkey);
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
  if (!data) {
    EVP_PKEY_free(pkey);
    throw SigningError(errors::kUnsupportedAlgorithm, "the signer certificate's key type is not supported");
  }
  xmlsec::KeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    throw SigningError(errors::kInternal, "cannot build an xmlsec key");
  }
  return key;
}

// Defence in depth: xmlsec itself refuses any transform or algorithm outside these lists.
void restrict_algorithms(xmlSecDSigCtxPtr dsig, bool allow_sha1) {
  const std::array<xmlSecTransformId, 7> c14n = {xmlSecTransformExclC14NId,   xmlSecTransformExclC14NWithCommentsId,
                                                 xmlSecTransformInclC14NId,   xmlSecTransformInclC14NWithCommentsId,
                                                 xmlSecTransformInclC14N11Id, xmlSecTransformInclC14N11WithCommentsId,
                                                 xmlSecTransformEnvelopedId};
  const std::array<xmlSecTransformId, 3> digests = {xmlSecTransformSha256Id, xmlSecTransformSha384Id,
                                                    xmlSecTransformSha512Id};
  const std::array<xmlSecTransformId, 6> methods = {xmlSecTransformRsaSha256Id,   xmlSecTransformRsaSha384Id,
                                                    xmlSecTransformRsaSha512Id,   xmlSecTransformEcdsaSha256Id,
                                                    xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id};
  for (auto id : c14n) {
    xmlSecDSigCtxEnableReferenceTransform(dsig, id);
    if (id != xmlSecTransformEnvelopedId) xmlSecDSigCtxEnableSignatureTransform(dsig, id);
  }
  for (auto id : digests) xmlSecDSigCtxEnableReferenceTransform(dsig, id);
  for (auto id : methods) xmlSecDSigCtxEnableSignatureTransform(dsig, id);
  if (allow_sha1) {
    xmlSecDSigCtxEnableReferenceTransform(dsig, xmlSecTransformSha1Id);
    xmlSecDSigCtxEnableSignatureTransform(dsig, xmlSecTransformRsaSha1Id);
    xmlSecDSigCtxEnableSignatureTransform(dsig, xmlSecTransformEcdsaSha1Id);
  }
  dsig->enabledReferenceUris =
      static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
}

bool references_intact(xmlSecDSigCtxPtr dsig) {
  xmlSecSize n = xmlSecPtrListGetSize(&dsig->signedInfoReferences);
  for (xmlSecSize i = 0; i < n; ++i) {
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&dsig->signedInfoReferences, i));
    if (ref && ref->status != xmlSecDSigStatusSucceeded) return false;
  }
  return true;
}

}  // namespace

SignatureCheck check_xml_signature(std::span<const unsigned char> document, const VerifyOptions& options) {
  SignatureCheck check;
  check.format = "xmldsig";
  xmlsec::ErrorCapture errors;
  xmlsec::DocPtr doc;
  try {
    doc =
        xml::parse_document(std::string_view(reinterpret_cast<const char*>(document.data()), document.size()), errors);
  } catch (const SigningError& e) {
    return fail(std::move(check), e.code(), e.what());
  }
  auto shape = xml::check_signature_shape(doc.get(), options.allow_legacy_sha1);
  check.algorithm = shape.algorithm;
  check.checks = shape.checks;
  check.coverage = shape.coverage;
  check.level = "XML-DSig enveloped";
  if (shape.failure) return fail(std::move(check), *shape.failure, shape.reason);

  std::vector<X509Ptr> certs;
  try {
    certs = key_info_certificates(shape.signature);
  } catch (const SigningError& e) {
    return fail(std::move(check), errors::kMalformed, e.what());
  }
  std::string why;
  auto leaf = leaf_index(certs, why);
  if (!leaf) return fail(std::move(check), errors::kNoCertificate, why);

  // "#id" references resolve through the document's ID table: register the root's id, and nothing else.
  if (shape.root_id_attribute) {
    xmlsec::XmlCharPtr value(xmlNodeListGetString(doc.get(), shape.root_id_attribute->children, 1));
    if (!xmlGetID(doc.get(), value.get())) xmlAddID(nullptr, doc.get(), value.get(), shape.root_id_attribute);
  }

  xmlsec::DSigCtxPtr dsig(xmlSecDSigCtxCreate(nullptr));
  if (!dsig) return fail(std::move(check), errors::kInternal, "cannot create an xmlsec signature context");
  dsig->flags = XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
  restrict_algorithms(dsig.get(), options.allow_legacy_sha1);
  try {
    dsig->signKey = public_key_of(certs[*leaf].get()).release();
  } catch (const SigningError& e) {
    return fail(std::move(check), e.code(), e.what());
  }
  if (xmlSecDSigCtxVerify(dsig.get(), shape.signature) < 0)
    return fail(std::move(check), errors::kBadSignature,
                xmlsec::with_errors(errors, "the signature cannot be processed with the signer certificate's key"));
  if (dsig->status != xmlSecDSigStatusSucceeded) {
    if (!references_intact(dsig.get()))
      return fail(std::move(check), errors::kModified,
                  "the document was modified after signing (reference digest does not match)");
    return fail(std::move(check), errors::kBadSignature,
                "SignatureValue does not verify with the key of the certificate in KeyInfo");
  }
  check.checks.push_back("reference digest matches the document");
  check.checks.push_back("signature value verified with the signer certificate's public key");
  check.signer = std::move(certs[*leaf]);
  for (auto& c : certs)
    if (c) check.carried.push_back(std::move(c));
  return check;
}

}  // namespace lgsp::signing
