// CAdES-BES detached signing with OpenSSL CMS, the signature value made by the Signer (the token).
//
// OpenSSL builds everything but the signature: CMS_add1_signer with CMS_PARTIAL and the certificate's *public*
// key (it only checks that key against the certificate) sets up SignerInfo, and CMS_CADES adds
// signingCertificateV2 (ESS, SHA-256 of the certificate). We add content-type, signing-time and message-digest,
// DER-encode the signed attributes as the SET OF that RFC 5652 5.4 says is signed, have the Signer sign its
// SHA-256, and store the value. The alternative, an EVP_PKEY whose private operations pkcs11-helper forwards to
// the token (pkcs11h_openssl_session_getEVP), would tie CMS to pkcs11-helper; this way any Signer works (a token,
// a remote signing agent), and XML-DSig and CAdES share one signing path.
#include "cades_builder.hpp"
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/errors.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>

namespace lgsp::signing {
namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw SigningError(errors::kInternal, with_openssl_errors(what));
}

// DER of SET OF Attribute: each attribute encoded, sorted as DER requires for a SET OF (X.690 11.6; the same
// order OpenSSL writes into the SignerInfo), under a SET tag.
std::vector<unsigned char> signed_attributes_der(CMS_SignerInfo* si) {
  std::vector<std::vector<unsigned char>> encoded;
  std::size_t total = 0;
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, i);
    int len = i2d_X509_ATTRIBUTE(attr, nullptr);
    check(len > 0, "encoding a signed attribute");
    std::vector<unsigned char> der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_X509_ATTRIBUTE(attr, &p);
    total += der.size();
    encoded.push_back(std::move(der));
  }
  std::sort(encoded.begin(), encoded.end(), [](const auto& a, const auto& b) {
    // Byte by byte; when one is a prefix of the other, the shorter first (OpenSSL's der_cmp).
    std::size_t common = std::min(a.size(), b.size());
    int order = common ? std::memcmp(a.data(), b.data(), common) : 0;
    return order != 0 ? order < 0 : a.size() < b.size();
  });
  std::vector<unsigned char> out{0x31};
  if (total < 0x80) {
    out.push_back(static_cast<unsigned char>(total));
  } else {
    std::vector<unsigned char> length;
    for (std::size_t n = total; n; n >>= 8) length.insert(length.begin(), static_cast<unsigned char>(n & 0xff));
    out.push_back(static_cast<unsigned char>(0x80 | length.size()));
    out.insert(out.end(), length.begin(), length.end());
  }
  for (const auto& e : encoded) out.insert(out.end(), e.begin(), e.end());
  return out;
}

}  // namespace

CadesSkeleton cades_skeleton(X509* cert, const std::vector<X509Ptr>& chain, const Sha256Digest& content_digest,
                             std::optional<Clock::time_point> signing_time) {
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  CadesSkeleton out;
  out.cms.reset(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  check(out.cms != nullptr, "creating CMS SignedData");
  CMS_SignerInfo* si = CMS_add1_signer(out.cms.get(), cert, X509_get0_pubkey(cert), EVP_sha256(),
                                       CMS_BINARY | CMS_PARTIAL | CMS_CADES | CMS_NOSMIMECAP);
  check(si != nullptr, "adding the signer to CMS SignedData");
  out.signer_info = si;
  for (const auto& ca : chain) check(CMS_add1_cert(out.cms.get(), ca.get()) == 1, "adding a CA certificate");

  check(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) == 1 &&
            CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, content_digest.data(),
                                        static_cast<int>(content_digest.size())) == 1,
        "adding signed attributes");
  if (signing_time) {
    Asn1TimePtr when(ASN1_TIME_adj(nullptr, Clock::to_time_t(*signing_time), 0, 0));
    check(when && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, when->type, when.get(), -1) == 1,
          "adding the signing-time attribute");
  }
  out.signed_attributes = signed_attributes_der(si);
  return out;
}

std::vector<unsigned char> cms_der(CMS_ContentInfo* cms) {
  int len = i2d_CMS_ContentInfo(cms, nullptr);
  check(len > 0, "encoding CMS SignedData");
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_CMS_ContentInfo(cms, &p);
  return der;
}

std::vector<unsigned char> cades_finish(CadesSkeleton& skeleton, const std::vector<unsigned char>& signature_value) {
  ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(skeleton.signer_info);
  check(ASN1_OCTET_STRING_set(value, signature_value.data(), static_cast<int>(signature_value.size())) == 1,
        "storing the signature value");
  return cms_der(skeleton.cms.get());
}

std::vector<unsigned char> sign_cades(std::span<const unsigned char> content, Signer& signer,
                                      Clock::time_point signing_time) {
  auto skeleton = cades_skeleton(signer.certificate(), signer.chain(), sha256(content), signing_time);
  auto signature = signer.sign_sha256(skeleton.signed_attributes);
  if (signer.key_kind() == KeyKind::kEcdsa) signature = ecdsa_raw_to_der(signature);
  return cades_finish(skeleton, signature);
}

}  // namespace lgsp::signing
