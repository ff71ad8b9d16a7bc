// XML-DSig signing: libxml2 and xmlsec do the XML (parsing, exclusive C14N, the ds:Signature template), the
// Signer (the token) produces SignatureValue over the canonical SignedInfo.
//
// Why not xmlSecDSigCtxSign with the token key: xmlsec 1.2.37 (Debian 12) only signs with a key whose
// private half it can see, so a pkcs11-helper EVP_PKEY fails with "key is not found" (fixed upstream in
// 1.3.10), and handing it any other private key to get past that check would cost a second, wasted
// private-key operation per document. So we produce the two inputs xmlSecDSigCtxSign would compute and sign
// the second one ourselves:
//  1. DigestValue: SHA-256 of the exclusive C14N (without comments) of the document before the signature is
//     added, which is by definition what Reference URI="" + enveloped-signature + exc-c14n covers once the
//     signature is in place. libxml2's canonicalizer (the one xmlsec itself calls) streams the whole document
//     into the digest; xmlsec's own reference processing reaches the same bytes through a node-set filter that
//     consults every node, at 2-3 times the cost.
//  2. The canonical SignedInfo: xmlsec's exclusive C14N transform into a memory buffer, which is what
//     xmlSecDSigCtxGetPreSignBuffer() holds under XMLSEC_DSIG_FLAGS_STORE_SIGNATURE. The Signature is built in a
//     small document of its own first: exclusive C14N of SignedInfo does not depend on where the Signature
//     sits, and canonicalising inside the large document would walk all of it.
// The test XmlSigningPath.signs_exactly_xmlsecs_pre_sign_buffer runs xmlSecDSigCtxSign with a software key on
// the same document and checks that both give the same DigestValue, the same pre-sign bytes and the same
// SignatureValue. For ECDSA the Signer already answers r||s, the form XML-DSig wants (RFC 4051), not DER.
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/xml_signature.hpp"
#include "xml_document.hpp"
#include "xmlsec_library.hpp"

#include <libxml/c14n.h>
#include <openssl/evp.h>
#include <xmlsec/base64.h>
#include <xmlsec/membuf.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmltree.h>

namespace lgsp::signing {
namespace {

std::string base64(std::span<const unsigned char> bytes) {
  xmlsec::XmlCharPtr text(xmlSecBase64Encode(bytes.data(), static_cast<xmlSecSize>(bytes.size()), 0));
  if (!text) throw SigningError(errors::kInternal, "base64 encoding failed");
  return reinterpret_cast<const char*>(text.get());
}

void set_text(xmlNodePtr node, const std::string& text) {
  xmlNodeSetContent(node, reinterpret_cast<const xmlChar*>(text.c_str()));
}

// SHA-256 of the exclusive C14N (no comments) of the whole document, streamed.
Sha256Digest canonical_document_digest(xmlDocPtr doc, xmlsec::ErrorCapture& errors) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
    throw SigningError(errors::kInternal, with_openssl_errors("SHA-256 init failed"));
  auto write = [](void* ctx, const char* buffer, int len) -> int {
    return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx), buffer, static_cast<std::size_t>(len)) == 1 ? len : -1;
  };
  xmlOutputBufferPtr out = xmlOutputBufferCreateIO(write, nullptr, md.get(), nullptr);
  int rc = out ? xmlC14NDocSaveTo(doc, nullptr, XML_C14N_EXCLUSIVE_1_0, nullptr, 0, out) : -1;
  if (out && xmlOutputBufferClose(out) < 0) rc = -1;
  Sha256Digest digest;
  unsigned int len = 0;
  if (rc < 0 || EVP_DigestFinal_ex(md.get(), digest.data(), &len) != 1)
    throw SigningError(errors::kInternal, xmlsec::with_errors(errors, "canonicalizing the document failed"));
  return digest;
}

std::vector<unsigned char> canonical_signed_info(xmlNodePtr signed_info, xmlsec::ErrorCapture& errors) {
  xmlsec::TransformCtxPtr ctx(xmlSecTransformCtxCreate());
  if (!ctx) throw SigningError(errors::kInternal, "cannot create an xmlsec transform context");
  xmlSecTransformPtr c14n = xmlSecTransformCtxCreateAndAppend(ctx.get(), xmlSecTransformExclC14NId);
  xmlSecTransformPtr buffer = xmlSecTransformCtxCreateAndAppend(ctx.get(), xmlSecTransformMemBufId);
  // The node set a verifier canonicalises: SignedInfo and its descendants (xmldsig-core 3.2.2).
  xmlsec::NodeSetPtr nodes(xmlSecNodeSetGetChildren(signed_info->doc, signed_info, 1, 0));
  if (!c14n || !buffer || !nodes || xmlSecTransformCtxXmlExecute(ctx.get(), nodes.get()) < 0)
    throw SigningError(errors::kInternal, xmlsec::with_errors(errors, "canonicalizing SignedInfo failed"));
  xmlSecBufferPtr bytes = xmlSecTransformMemBufGetBuffer(buffer);
  const xmlSecByte* data = xmlSecBufferGetData(bytes);
  return std::vector<unsigned char>(data, data + xmlSecBufferGetSize(bytes));
}

}  // namespace

namespace {

// Where the ds:Signature goes. QCVN 102:2016 puts the signature of an edXML package in
// edXML:edXMLEnvelope/edXML:edXMLHeader, after TraceHeaderList: appended to the root it would make
// the package invalid against edxml@v1 and receivers in the field would refuse it. Any other
// document gets it as the last child of its root. The enveloped-signature transform removes it from
// the digest wherever it sits.
xmlNodePtr signature_parent(xmlNodePtr root) {
  constexpr const char* kEdxmlNs = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
  auto is = [&](xmlNodePtr n, const char* name) {
    return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST kEdxmlNs) &&
           xmlStrEqual(n->name, BAD_CAST name);
  };
  if (!is(root, "edXML")) return root;
  for (xmlNodePtr envelope = root->children; envelope; envelope = envelope->next) {
    if (!is(envelope, "edXMLEnvelope")) continue;
    for (xmlNodePtr header = envelope->children; header; header = header->next)
      if (is(header, "edXMLHeader")) return header;
  }
  return root;
}

}  // namespace

XmlSigner::XmlSigner(Signer& signer) : signer_(signer) {
  certificates_base64_.push_back(base64(certificate_to_der(signer.certificate())));
  for (const auto& ca : signer.chain()) certificates_base64_.push_back(base64(certificate_to_der(ca.get())));
}

std::string XmlSigner::sign(std::string_view document) {
  xmlsec::ErrorCapture errors;
  auto doc = xml::parse_document(document, errors);
  xmlNodePtr root = xmlDocGetRootElement(doc.get());
  if (!xml::find_elements(root, "Signature", xml::kDsigNs).empty())
    throw SigningError(errors::kAlreadySigned, "the document already holds a ds:Signature");
  const Sha256Digest digest = canonical_document_digest(doc.get(), errors);

  xmlsec::DocPtr signature_doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  xmlSecTransformId method =
      signer_.key_kind() == KeyKind::kRsa ? xmlSecTransformRsaSha256Id : xmlSecTransformEcdsaSha256Id;
  xmlNodePtr signature = xmlSecTmplSignatureCreate(signature_doc.get(), xmlSecTransformExclC14NId, method, nullptr);
  if (!signature) throw SigningError(errors::kInternal, xmlsec::with_errors(errors, "cannot create ds:Signature"));
  xmlDocSetRootElement(signature_doc.get(), signature);
  xmlNodePtr reference = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id, nullptr,
                                                         reinterpret_cast<const xmlChar*>(""), nullptr);
  if (!reference || !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) ||
      !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId))
    throw SigningError(errors::kInternal, xmlsec::with_errors(errors, "cannot build ds:Reference"));
  xmlNodePtr digest_value = xmlSecFindChild(reference, xmlSecNodeDigestValue, xmlSecDSigNs);
  xmlNodePtr signed_info = xmlSecFindChild(signature, xmlSecNodeSignedInfo, xmlSecDSigNs);
  xmlNodePtr value = xmlSecFindChild(signature, xmlSecNodeSignatureValue, xmlSecDSigNs);
  if (!digest_value || !signed_info || !value)
    throw SigningError(errors::kInternal, "ds:Signature template incomplete");
  set_text(digest_value, base64(digest));

  // KeyInfo: the signer certificate, then its CA certificates (root excluded). It lies outside what the
  // enveloped-signature reference covers and outside SignedInfo.
  xmlNodePtr key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  xmlNodePtr x509_data = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
  if (!x509_data) throw SigningError(errors::kInternal, "cannot add KeyInfo/X509Data");
  for (const auto& cert : certificates_base64_) {
    // (xmlSecTmplX509DataAddCertificate allows only one X509Certificate per X509Data.)
    xmlNodePtr node = xmlSecAddChild(x509_data, xmlSecNodeX509Certificate, xmlSecDSigNs);
    if (!node) throw SigningError(errors::kInternal, "cannot add X509Certificate");
    set_text(node, cert);
  }

  set_text(value, base64(signer_.sign_sha256(canonical_signed_info(signed_info, errors))));
  xmlNodePtr placed = xmlDocCopyNode(signature, doc.get(), 1);
  if (!placed || !xmlAddChild(signature_parent(root), placed))
    throw SigningError(errors::kInternal, "cannot add ds:Signature");
  return xml::serialize(doc.get());
}

std::string sign_xml(std::string_view document, Signer& signer) { return XmlSigner(signer).sign(document); }

}  // namespace lgsp::signing
