// Signing library pieces that need no token, no PKI and no network: encodings, configuration errors, and the
// XML policy on hand-made documents (all refused before any key is needed).
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/verifier.hpp"
#include "lgsp/signing/xml_signature.hpp"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <limits>

using namespace lgsp::signing;

namespace {

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// A throwaway self-signed P-256 certificate, to have a trust anchor.
X509Ptr self_signed() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Gốc thử"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return cert;
}

Verifier verifier(bool allow_sha1 = false) {
  TrustPolicy policy;
  policy.anchors.push_back(self_signed());
  policy.revocation = RevocationMode::kNone;
  return Verifier(TrustStore(std::move(policy)), VerifyOptions{allow_sha1});
}

std::string signed_shape(const std::string& uri, const std::string& method, const std::string& transform) {
  return "<KetQua xmlns=\"urn:t\" Id=\"root\"><A Id=\"inner\">x</A>"
         "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
         "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
         "<SignatureMethod Algorithm=\"" +
         method + "\"/><Reference" + uri + "><Transforms><Transform Algorithm=\"" + transform +
         "\"/></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
         "<DigestValue>AA==</DigestValue></Reference></SignedInfo><SignatureValue>AA==</SignatureValue>"
         "</Signature></KetQua>";
}
constexpr const char* kRsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

std::string code_of(const VerificationReport& r) { return r.failure ? std::string(r.failure->code) : "valid"; }

// A software P-256 signer whose certificate is issued by its own throwaway root, with the given key usage.
class SoftwareSigner : public Signer {
 public:
  // `leaf_validity` (two GeneralizedTimes, "YYYYMMDDHHMMSSZ") replaces the leaf's one-hour validity.
  explicit SoftwareSigner(const char* key_usage, long valid_from_seconds = -60,
                          std::pair<const char*, const char*> leaf_validity = {nullptr, nullptr}) {
    root_key_.reset(EVP_EC_gen("P-256"));
    root_ =
        certificate("Gốc thử", nullptr, root_key_.get(), root_key_.get(), "critical,keyCertSign,cRLSign", true, -60);
    key_.reset(EVP_EC_gen("P-256"));
    leaf_ = certificate("Người ký thử", root_.get(), key_.get(), root_key_.get(), key_usage, false, valid_from_seconds,
                        leaf_validity);
  }
  KeyKind key_kind() const override { return KeyKind::kEcdsa; }
  X509* certificate() const override { return leaf_.get(); }
  const std::vector<X509Ptr>& chain() const override { return chain_; }
  std::string description() const override { return "software P-256"; }
  std::vector<unsigned char> sign_digest(const Sha256Digest& digest) override {
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    EVP_PKEY_sign_init(ctx.get());
    std::vector<unsigned char> der(128);
    std::size_t len = der.size();
    EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size());
    der.resize(len);
    return ecdsa_der_to_raw(der, 32);
  }
  Verifier verifier() const {
    TrustPolicy policy;
    policy.anchors.push_back(share(root_.get()));
    policy.revocation = RevocationMode::kNone;
    return Verifier(TrustStore(std::move(policy)), {});
  }

 private:
  static X509Ptr certificate(const char* cn, X509* issuer, EVP_PKEY* key, EVP_PKEY* issuer_key, const char* usage,
                             bool ca, long valid_from, std::pair<const char*, const char*> validity = {}) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid_from);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    if (validity.first) {
      ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), validity.first);
      ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), validity.second);
    }
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
    X509_set_pubkey(cert.get(), key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
                              std::pair{NID_key_usage, usage}, std::pair{NID_subject_key_identifier, "hash"},
                              std::pair{NID_authority_key_identifier, "keyid:always"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
      X509_add_ext(cert.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert.get(), issuer_key, EVP_sha256());
    return cert;
  }
  EvpPkeyPtr root_key_, key_;
  X509Ptr root_, leaf_;
  std::vector<X509Ptr> chain_;
};

TEST(SoftwareSigned, xml_and_cades_verify_end_to_end) {
  SoftwareSigner signer("critical,digitalSignature,nonRepudiation");
  auto verifier = signer.verifier();
  auto xml = verifier.verify(bytes(sign_xml("<a xmlns=\"urn:x\">văn bản</a>", signer)));
  EXPECT_TRUE(xml.valid) << xml.reason;
  EXPECT_EQ(xml.algorithm, "ecdsa-sha256");
  EXPECT_EQ(xml.signer->subject, "CN=Người ký thử");
  std::string content = "nội dung";
  auto cades = verifier.verify(sign_cades(bytes(content), signer), bytes(content));
  EXPECT_TRUE(cades.valid) << cades.reason;
  EXPECT_EQ(cades.revocation.status, RevocationStatus::kNotChecked);
}

TEST(SoftwareSigned, refuses_a_certificate_not_meant_for_signing) {
  SoftwareSigner signer("critical,keyEncipherment");
  auto r = signer.verifier().verify(bytes(sign_xml("<a/>", signer)));
  EXPECT_EQ(code_of(r), "LGSP-VERIFY-KEY-USAGE") << r.reason;
}

TEST(SoftwareSigned, refuses_a_claimed_signing_time_in_the_future) {
  SoftwareSigner signer("critical,digitalSignature");
  std::string content = "x";
  auto r = signer.verifier().verify(sign_cades(bytes(content), signer, Clock::now() + std::chrono::hours(2)),
                                    bytes(content));
  EXPECT_EQ(code_of(r), "LGSP-VERIFY-SIGNING-TIME") << r.reason;
}

TEST(SoftwareSigned, checks_validity_at_the_claimed_signing_time) {
  SoftwareSigner signer("critical,digitalSignature", 0);
  std::string content = "x";
  auto backdated = signer.verifier().verify(sign_cades(bytes(content), signer, Clock::now() - std::chrono::hours(24)),
                                            bytes(content));
  EXPECT_EQ(code_of(backdated), "LGSP-VERIFY-EXPIRED") << backdated.reason;
  EXPECT_NE(backdated.reason.find("was not valid at the signing time"), std::string::npos) << backdated.reason;
}

// Found by fuzzing cades_verify: a year the nanosecond clock cannot hold overflowed (undefined behaviour).
TEST(SoftwareSigned, validity_beyond_the_clock_is_held_at_its_ends) {
  // RFC 5280's "no well-defined expiration" (99991231235959Z) and a notBefore centuries back.
  SoftwareSigner forever("critical,digitalSignature", -60, {"12260101000000Z", "99991231235959Z"});
  const auto info = describe(forever.certificate());
  EXPECT_EQ(info.not_before, Clock::time_point::min());
  EXPECT_EQ(info.not_after, Clock::time_point::max());
  std::string content = "x";
  auto r = forever.verifier().verify(sign_cades(bytes(content), forever), bytes(content));
  EXPECT_TRUE(r.valid) << r.reason;
  // Not yet valid for another 7,000 years: still refused as not valid at the signing time.
  SoftwareSigner future("critical,digitalSignature", -60, {"90000101000000Z", "99991231235959Z"});
  auto later = future.verifier().verify(sign_cades(bytes(content), future), bytes(content));
  EXPECT_EQ(code_of(later), "LGSP-VERIFY-EXPIRED") << later.reason;
  EXPECT_EQ(time_point_from_seconds(0), Clock::time_point{});
  EXPECT_EQ(time_point_from_seconds(std::numeric_limits<std::int64_t>::max()), Clock::time_point::max());
  EXPECT_EQ(time_point_from_seconds(std::numeric_limits<std::int64_t>::min()), Clock::time_point::min());
}

TEST(Encoding, hex_round_trip_accepts_separators_and_prefix) {
  EXPECT_EQ(to_hex(from_hex("0x0A:bC")), "0abc");
  EXPECT_EQ(to_hex(from_hex("ff"), true), "FF");
  EXPECT_THROW(from_hex("abc"), SigningError);
  EXPECT_THROW(from_hex("zz"), SigningError);
}

TEST(Encoding, ecdsa_raw_and_der_convert_both_ways) {
  std::vector<unsigned char> raw(64, 0);
  raw[0] = 0x80;  // r with the high bit set: DER needs a leading zero
  raw[63] = 0x01;
  auto der = ecdsa_raw_to_der(raw);
  EXPECT_EQ(der[0], 0x30);
  EXPECT_EQ(ecdsa_der_to_raw(der, 32), raw);
  EXPECT_THROW(ecdsa_raw_to_der(std::vector<unsigned char>(63, 1)), SigningError);
}

TEST(TrustConfiguration, needs_a_root_and_crls_for_crl_mode) {
  EXPECT_THROW(TrustStore(TrustPolicy{}), SigningError);
  TrustPolicy crl_without_files;
  crl_without_files.anchors.push_back(self_signed());
  crl_without_files.revocation = RevocationMode::kCrl;
  EXPECT_THROW(TrustStore(std::move(crl_without_files)), SigningError);
}

TEST(XmlPolicy, refuses_references_that_do_not_name_the_whole_document) {
  auto v = verifier();
  EXPECT_EQ(code_of(v.verify(bytes(signed_shape(" URI=\"#inner\"", kRsaSha256, kEnveloped)))), "LGSP-VERIFY-REFERENCE");
  EXPECT_EQ(code_of(v.verify(bytes(signed_shape("", kRsaSha256, kEnveloped)))), "LGSP-VERIFY-REFERENCE");
  EXPECT_EQ(code_of(v.verify(bytes(signed_shape(" URI=\"#xpointer(/)\"", kRsaSha256, kEnveloped)))),
            "LGSP-VERIFY-REFERENCE");
  EXPECT_EQ(code_of(v.verify(bytes(signed_shape(" URI=\"#missing\"", kRsaSha256, kEnveloped)))),
            "LGSP-VERIFY-REFERENCE");
  EXPECT_EQ(code_of(v.verify(bytes(signed_shape(" URI=\"file:///etc/passwd\"", kRsaSha256, kEnveloped)))),
            "LGSP-VERIFY-EXTERNAL-URI");
}

TEST(XmlPolicy, refuses_transforms_and_algorithms_outside_the_profile) {
  auto v = verifier();
  EXPECT_EQ(
      code_of(v.verify(bytes(signed_shape(" URI=\"\"", kRsaSha256, "http://www.w3.org/TR/1999/REC-xpath-19991116")))),
      "LGSP-VERIFY-TRANSFORM");
  EXPECT_EQ(
      code_of(v.verify(bytes(signed_shape(" URI=\"\"", "http://www.w3.org/2000/09/xmldsig#hmac-sha1", kEnveloped)))),
      "LGSP-VERIFY-ALGORITHM");
  EXPECT_EQ(
      code_of(v.verify(bytes(signed_shape(" URI=\"\"", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", kEnveloped)))),
      "LGSP-VERIFY-WEAK-ALGORITHM");
}

TEST(XmlPolicy, refuses_content_inside_the_signature_that_no_reference_covers) {
  auto v = verifier();
  auto with = [](const std::string& inside) {
    std::string doc = signed_shape(" URI=\"\"", kRsaSha256, kEnveloped);
    return doc.insert(doc.find("</Signature>"), inside);
  };
  auto object = v.verify(bytes(with("<Object><A>unsigned</A></Object>")));
  EXPECT_EQ(code_of(object), "LGSP-VERIFY-UNSIGNED-CONTENT");
  EXPECT_EQ(object.covers.references.at(0).element, "/KetQua");
  EXPECT_EQ(object.covers.signature_element, "/KetQua/Signature");
  EXPECT_EQ(code_of(v.verify(bytes(with("<KeyInfo><A xmlns=\"urn:t\">x</A></KeyInfo>")))),
            "LGSP-VERIFY-UNSIGNED-CONTENT");
  EXPECT_EQ(code_of(v.verify(bytes(with("unsigned text")))), "LGSP-VERIFY-UNSIGNED-CONTENT");
  // XML-DSig's own KeyInfo forms are not content: the check goes on to the certificate.
  EXPECT_EQ(code_of(v.verify(bytes(with("<KeyInfo><KeyName>k</KeyName><X509Data/></KeyInfo>")))),
            "LGSP-VERIFY-NO-CERTIFICATE");
}

TEST(XmlPolicy, a_signature_without_certificate_cannot_be_attributed) {
  auto r = verifier().verify(bytes(signed_shape(" URI=\"\"", kRsaSha256, kEnveloped)));
  EXPECT_EQ(code_of(r), "LGSP-VERIFY-NO-CERTIFICATE") << r.reason;
}

TEST(XmlPolicy, refuses_doctype_and_broken_xml) {
  auto v = verifier();
  EXPECT_EQ(code_of(v.verify(bytes("<!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>"))), "LGSP-SIGN-MALFORMED");
  auto broken = v.verify(bytes("<a><b></a>"));
  EXPECT_EQ(code_of(broken), "LGSP-SIGN-MALFORMED");
  EXPECT_NE(broken.reason.find("line 1"), std::string::npos) << broken.reason;
  EXPECT_EQ(code_of(v.verify(bytes("<a/>"))), "LGSP-VERIFY-NO-SIGNATURE");
}

TEST(CmsInput, garbage_is_malformed_and_content_is_only_for_cms) {
  auto v = verifier();
  std::string garbage("\x30\x03\x02\x01\x05", 5);
  EXPECT_EQ(code_of(v.verify(bytes(garbage), bytes("x"))), "LGSP-SIGN-MALFORMED");
  EXPECT_THROW(v.verify(bytes("<a/>"), bytes("x")), SigningError);
}

TEST(ReportJson, carries_code_titles_and_reason_when_invalid) {
  auto r = verifier().verify(bytes("<a/>"));
  auto j = to_json(r);
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["code"], "LGSP-VERIFY-NO-SIGNATURE");
  EXPECT_EQ(j["title_vi"], "Không tìm thấy chữ ký");
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
}

}  // namespace
