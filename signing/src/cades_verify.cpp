// CMS / CAdES-BES verification with OpenSSL CMS, step by step so that each failure has its own reason: one signer,
// accepted algorithms, the signer certificate included and bound by signingCertificate(V2), the signature over
// the signed attributes, then the message digest over the content. Plain CMS (no signed attributes, or none
// binding the signer certificate), which many systems produce, is verified too and reported at its level.
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "signature_check.hpp"

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>

namespace lgsp::signing {
namespace {

SignatureCheck fail(SignatureCheck check, const ErrorCode& code, std::string reason) {
  check.failure = &code;
  check.reason = std::move(reason);
  return check;
}

std::span<const unsigned char> trim_leading_space(std::span<const unsigned char> bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && std::strchr(" \t\r\n", bytes[i]) && bytes[i]) ++i;
  return bytes.subspan(i);
}

bool starts_with(std::span<const unsigned char> bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
}

CmsPtr parse_cms(std::span<const unsigned char> bytes) {
  auto text = trim_leading_space(bytes);
  if (starts_with(text, "-----BEGIN")) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    return CmsPtr(PEM_read_bio_CMS(bio.get(), nullptr, nullptr, nullptr));
  }
  const unsigned char* p = bytes.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(bytes.size())));
  if (cms && p != bytes.data() + bytes.size()) return nullptr;  // trailing bytes: not one DER structure
  return cms;
}

// Digest algorithm -> short name; empty if not accepted.
std::string digest_name(int nid, bool allow_sha1, const ErrorCode*& refusal) {
  switch (nid) {
    case NID_sha256:
      return "sha256";
    case NID_sha384:
      return "sha384";
    case NID_sha512:
      return "sha512";
    case NID_sha1:
      if (allow_sha1) return "sha1";
      refusal = &errors::kWeakAlgorithm;
      return {};
    default:
      refusal = &errors::kUnsupportedAlgorithm;
      return {};
  }
}

// Drives the content through the digest BIOs CMS_dataInit sets up, then compares with messageDigest.
int verify_content(CMS_ContentInfo* cms, CMS_SignerInfo* si, std::optional<std::span<const unsigned char>> content) {
  BIO* source = nullptr;
  if (content) source = BIO_new_mem_buf(content->data(), static_cast<int>(content->size()));
  BIO* chain = CMS_dataInit(cms, source);
  if (!chain) {
    BIO_free(source);
    return -1;
  }
  char buf[16384];
  while (BIO_read(chain, buf, sizeof buf) > 0) {
  }
  int result = CMS_SignerInfo_verify_content(si, chain);
  // Free the digest BIOs CMS pushed in front of our source, then the source (or CMS's own content BIO).
  while (chain && chain != source) {
    BIO* next = BIO_pop(chain);
    BIO_free(chain);
    chain = next;
  }
  BIO_free(source);
  return result;
}

std::optional<Clock::time_point> signing_time(CMS_SignerInfo* si) {
  int index = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (index < 0) return std::nullopt;
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, index), 0);
  if (!value || (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) return std::nullopt;
  return to_time_point(value->value.utctime);
}

// signingCertificateV2 (or, for legacy SHA-1, signingCertificate) must name the signer certificate: it stops a
// verifier from being handed another certificate with the same key.
// Returns null when bound, else the failure (with `why`).
const ErrorCode* ess_binds_signer(CMS_SignerInfo* si, X509* signer, bool allow_sha1, std::string& why) {
  X509StackPtr chain(sk_X509_new_null());
  X509_up_ref(signer);
  sk_X509_push(chain.get(), signer);
  auto* v2 = static_cast<ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE));
  auto* v1 = static_cast<ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_signingCertificate), -3, V_ASN1_SEQUENCE));
  if (v2) {
    const unsigned char* p = ASN1_STRING_get0_data(v2);
    std::unique_ptr<ESS_SIGNING_CERT_V2, OpenSslDeleter<ESS_SIGNING_CERT_V2_free>> ess(
        d2i_ESS_SIGNING_CERT_V2(nullptr, &p, ASN1_STRING_length(v2)));
    if (ess && OSSL_ESS_check_signing_certs(nullptr, ess.get(), chain.get(), 1) == 1) return nullptr;
    why = with_openssl_errors("signingCertificateV2 does not name the signer certificate");
    return &errors::kBadSignature;
  }
  if (v1 && allow_sha1) {
    const unsigned char* p = ASN1_STRING_get0_data(v1);
    std::unique_ptr<ESS_SIGNING_CERT, OpenSslDeleter<ESS_SIGNING_CERT_free>> ess(
        d2i_ESS_SIGNING_CERT(nullptr, &p, ASN1_STRING_length(v1)));
    if (ess && OSSL_ESS_check_signing_certs(ess.get(), nullptr, chain.get(), 1) == 1) return nullptr;
    why = with_openssl_errors("signingCertificate does not name the signer certificate");
    return &errors::kBadSignature;
  }
  if (v1) {
    why = "only a SHA-1 signingCertificate attribute, refused unless legacy SHA-1 is explicitly allowed";
    return &errors::kWeakAlgorithm;
  }
  why = "no signingCertificateV2 attribute";
  return &errors::kNotCades;
}

std::string hex_sha256(std::span<const unsigned char> bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::span<const unsigned char>(md, len));
}

// What the signature covers: the content (size, SHA-256) and the signed attributes, by name.
Coverage cms_coverage(CMS_ContentInfo* cms, CMS_SignerInfo* si, std::optional<std::span<const unsigned char>> content) {
  Coverage covered;
  if (content) {
    covered.content_bytes = content->size();
    covered.content_sha256 = hex_sha256(*content);
  } else if (ASN1_OCTET_STRING** inside = CMS_get0_content(cms); inside && *inside) {
    std::span<const unsigned char> bytes(ASN1_STRING_get0_data(*inside),
                                         static_cast<std::size_t>(ASN1_STRING_length(*inside)));
    covered.content_bytes = bytes.size();
    covered.content_sha256 = hex_sha256(bytes);
  }
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    char name[128];
    OBJ_obj2txt(name, sizeof name, X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(si, i)), 0);
    covered.signed_attributes.emplace_back(name);
  }
  return covered;
}

}  // namespace

bool looks_like_cms(std::span<const unsigned char> bytes) {
  if (!bytes.empty() && bytes[0] == 0x30) return true;
  auto text = trim_leading_space(bytes);
  return starts_with(text, "-----BEGIN CMS") || starts_with(text, "-----BEGIN PKCS7");
}

SignatureCheck check_cades_signature(std::span<const unsigned char> signature,
                                     std::optional<std::span<const unsigned char>> content,
                                     const VerifyOptions& options) {
  SignatureCheck check;
  check.format = "cades";
  CmsPtr cms = parse_cms(signature);
  if (!cms) return fail(std::move(check), errors::kMalformed, with_openssl_errors("not a valid CMS signature"));
  openssl_errors();
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return fail(std::move(check), errors::kMalformed, "the CMS structure is not SignedData");
  const bool detached = CMS_is_detached(cms.get()) == 1;
  if (detached && !content)
    throw SigningError(errors::kConfiguration, "the CAdES signature is detached: give the signed file with --content");
  if (!detached && content)
    throw SigningError(errors::kConfiguration, "the CMS signature carries its content: --content is not expected");

  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  int count = infos ? sk_CMS_SignerInfo_num(infos) : 0;
  if (count == 0) return fail(std::move(check), errors::kNoSignature, "the CMS SignedData has no SignerInfo");
  if (count > 1)
    return fail(std::move(check), errors::kMultipleSignatures,
                "the CMS SignedData has " + std::to_string(count) + " signers; one is expected");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  check.checks.push_back("exactly one signer");

  X509_ALGOR* digest_alg = nullptr;
  X509_ALGOR* signature_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, &signature_alg);
  const ErrorCode* refusal = nullptr;
  std::string digest = digest_name(OBJ_obj2nid(digest_alg->algorithm), options.allow_legacy_sha1, refusal);
  if (digest.empty())
    return fail(std::move(check), *refusal,
                std::string("digest algorithm ") + OBJ_nid2sn(OBJ_obj2nid(digest_alg->algorithm)) + " is not accepted" +
                    (refusal == &errors::kWeakAlgorithm ? " unless legacy SHA-1 is explicitly allowed" : ""));
  check.coverage = cms_coverage(cms.get(), si, content);
  const bool signed_attributes = CMS_signed_get_attr_count(si) > 0;
  auto not_cades = [&](const std::string& why) {
    check.level = "CMS, not CAdES-BES: " + why;
    if (options.require_cades)
      return std::optional(fail(std::move(check), errors::kNotCades,
                                "a plain CMS signature, not CAdES-BES (" + why + "), and --require cades was given"));
    return std::optional<SignatureCheck>();
  };
  if (!signed_attributes) {
    if (auto refused = not_cades("no signed attributes (no signing time, no binding to the signer certificate)"))
      return std::move(*refused);
  }

  X509StackPtr certs(CMS_get1_certs(cms.get()));
  X509* signer = nullptr;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i)
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) signer = sk_X509_value(certs.get(), i);
  if (!signer)
    return fail(std::move(check), errors::kNoCertificate, "the signature does not include the signer certificate");
  EVP_PKEY* signer_key = X509_get0_pubkey(signer);
  if (!signer_key) {
    openssl_errors();
    return fail(std::move(check), errors::kMalformed, "the signer certificate's public key cannot be read");
  }
  int key_type = EVP_PKEY_get_base_id(signer_key);
  check.algorithm = (key_type == EVP_PKEY_EC ? "ecdsa-" : key_type == EVP_PKEY_RSA ? "rsa-" : "other-") + digest;
  CMS_SignerInfo_set1_signer_cert(si, signer);

  if (!signed_attributes) {
    // RFC 5652 5.4: without signed attributes the signature is over the content's digest itself, so a changed
    // content and a wrong signature value cannot be told apart.
    int ok = verify_content(cms.get(), si, content);
    openssl_errors();
    if (ok != 1)
      return fail(std::move(check), errors::kModified,
                  "the signature does not match the content (no signed attributes: either the content was modified "
                  "after signing or the signature value is wrong)");
    check.checks.push_back("signature over the content's " + digest + " digest verified with the signer certificate");
    check.signer = share(signer);
    for (int i = 0; i < sk_X509_num(certs.get()); ++i)
      if (sk_X509_value(certs.get(), i) != signer) check.carried.push_back(share(sk_X509_value(certs.get(), i)));
    return check;
  }

  std::string why;
  if (const ErrorCode* unbound = ess_binds_signer(si, signer, options.allow_legacy_sha1, why)) {
    if (unbound != &errors::kNotCades) return fail(std::move(check), *unbound, why);
    if (auto refused = not_cades(why + " (openssl cms makes one with -cades)")) return std::move(*refused);
  } else {
    check.level = "CAdES-BES";
    check.checks.push_back("signingCertificateV2 names the signer certificate");
  }

  ASN1_OBJECT* content_type =
      static_cast<ASN1_OBJECT*>(CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT));
  if (!content_type || OBJ_cmp(content_type, CMS_get0_eContentType(cms.get())) != 0)
    return fail(std::move(check), errors::kBadSignature, "the content-type attribute does not match the content");

  if (CMS_SignerInfo_verify(si) != 1)
    return fail(std::move(check), errors::kBadSignature,
                with_openssl_errors("the signature value does not verify with the signer certificate's key"));
  check.checks.push_back("signature over the signed attributes verified with the signer certificate's public key");
  int digest_ok = verify_content(cms.get(), si, content);
  if (digest_ok != 1)
    return fail(std::move(check), errors::kModified,
                digest_ok == 0 ? "the content was modified after signing (message digest does not match)"
                               : with_openssl_errors("cannot compute the content digest"));
  openssl_errors();
  check.checks.push_back("message digest matches the content");

  check.claimed_signing_time = signing_time(si);
  check.signer = share(signer);
  for (int i = 0; i < sk_X509_num(certs.get()); ++i)
    if (sk_X509_value(certs.get(), i) != signer) check.carried.push_back(share(sk_X509_value(certs.get(), i)));
  return check;
}

}  // namespace lgsp::signing
