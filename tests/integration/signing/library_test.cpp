// The signing library in process: one token session for many signatures, PIN handling, ECDSA form, and proof
// that the bytes the token signs are exactly xmlsec's own pre-sign buffer.
#include "hsm_sim.hpp"
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/verifier.hpp"
#include "lgsp/signing/xml_signature.hpp"
#include "process.hpp"

#include <openssl/evp.h>
#include <xmlsec/app.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace lgsp::signing;
using namespace lgsp::test;

namespace {

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

bool verifies_with_certificate(X509* cert, const Sha256Digest& digest, std::vector<unsigned char> signature,
                               KeyKind kind) {
  if (kind == KeyKind::kEcdsa) signature = ecdsa_raw_to_der(signature);
  std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new(X509_get0_pubkey(cert), nullptr));
  return EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
}

class TokenLibrary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { module_ = new TokenModule(hsm_sim().module); }
  static void TearDownTestSuite() {
    delete module_;
    module_ = nullptr;
  }
  // A PinSource that counts how often it is asked.
  PinSource counting_pins(std::string pin) {
    return [this, pin](const std::string&) {
      ++pin_requests_;
      return std::optional<std::string>(pin);
    };
  }
  std::vector<X509Ptr> issuing_ca() { return load_pem_certificates(hsm_sim().pem("issuing-ca")); }
  static TokenModule* module_;
  std::atomic<int> pin_requests_{0};
};
TokenModule* TokenLibrary::module_ = nullptr;

TEST_F(TokenLibrary, one_login_serves_many_signatures) {
  auto signer = module_->open_signer({"official-01", std::nullopt}, counting_pins(hsm_sim().pin), issuing_ca());
  ASSERT_EQ(signer->chain().size(), 1u);
  for (int i = 0; i < 25; ++i) {
    auto digest = sha256(bytes("văn bản " + std::to_string(i)));
    ASSERT_TRUE(verifies_with_certificate(signer->certificate(), digest, signer->sign_digest(digest), KeyKind::kRsa));
  }
  EXPECT_EQ(pin_requests_, 1);
}

TEST_F(TokenLibrary, ecdsa_token_answers_raw_r_and_s) {
  auto signer = module_->open_signer({"lgsp-node", std::string("01")}, counting_pins(hsm_sim().pin));
  EXPECT_EQ(signer->key_kind(), KeyKind::kEcdsa);
  auto digest = sha256(bytes("receipt"));
  auto signature = signer->sign_digest(digest);
  EXPECT_EQ(signature.size(), 64u) << "P-256: 32-byte r || 32-byte s";
  EXPECT_TRUE(verifies_with_certificate(signer->certificate(), digest, signature, KeyKind::kEcdsa));
  EXPECT_EQ(ecdsa_der_to_raw(ecdsa_raw_to_der(signature), 32), signature);
}

TEST_F(TokenLibrary, a_wrong_pin_is_tried_once_only) {
  try {
    module_->open_signer({"official-02", std::nullopt}, counting_pins("999999"));
    FAIL() << "a wrong PIN must not open the key";
  } catch (const SigningError& e) {
    EXPECT_EQ(&e.code(), &errors::kPinIncorrect) << e.what();
  }
  EXPECT_EQ(pin_requests_, 1);
}

TEST_F(TokenLibrary, a_second_module_in_the_same_process_is_refused) {
  try {
    TokenModule again(hsm_sim().module);
    FAIL() << "pkcs11-helper state is per process";
  } catch (const SigningError& e) {
    EXPECT_EQ(&e.code(), &errors::kInternal);
  }
  EXPECT_EQ(module_->tokens().size(), 5u) << "the first module is still usable";
}

TEST_F(TokenLibrary, threads_share_one_signer) {
  auto signer = module_->open_signer({"lgsp-node", std::nullopt}, counting_pins(hsm_sim().pin));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto digest = sha256(bytes(std::to_string(t * 100 + i)));
        if (verifies_with_certificate(signer->certificate(), digest, signer->sign_digest(digest), KeyKind::kEcdsa))
          ++good;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good, 40);
}

TEST_F(TokenLibrary, signed_documents_verify_in_process) {
  auto signer = module_->open_signer({"official-01", std::nullopt}, counting_pins(hsm_sim().pin), issuing_ca());
  TrustPolicy policy;
  policy.anchors = load_pem_certificates(hsm_sim().pem("root-ca"));
  policy.revocation = RevocationMode::kCrl;
  policy.crls.push_back(load_crl(hsm_sim().pem("crl")));
  Verifier verifier(TrustStore(std::move(policy)), {});
  std::string xml = sign_xml("<a xmlns=\"urn:x\">một</a>", *signer);
  auto report = verifier.verify(bytes(xml));
  EXPECT_TRUE(report.valid) << report.reason;
  std::string content = "hai";
  auto p7s = sign_cades(bytes(content), *signer);
  report = verifier.verify(p7s, bytes(content));
  EXPECT_TRUE(report.valid) << report.reason;
  EXPECT_EQ(report.chain.size(), 3u);
}

// A software RSA key (hsm-sim's peer-signer) behind the Signer interface, remembering what it was asked to sign.
class RecordingSigner : public Signer {
 public:
  RecordingSigner() {
    std::string pem = read_file(hsm_sim().pki / "peer-signer.key");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    cert_ = std::move(load_pem_certificates(hsm_sim().pem("peer-signer")).front());
  }
  KeyKind key_kind() const override { return KeyKind::kRsa; }
  X509* certificate() const override { return cert_.get(); }
  const std::vector<X509Ptr>& chain() const override { return chain_; }
  std::string description() const override { return "peer-signer.key"; }
  std::vector<unsigned char> sign_digest(const Sha256Digest& digest) override {
    signed_digests.push_back(digest);
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    EVP_PKEY_sign_init(ctx.get());
    EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
    std::size_t len = 0;
    EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size());
    std::vector<unsigned char> out(len);
    EVP_PKEY_sign(ctx.get(), out.data(), &len, digest.data(), digest.size());
    out.resize(len);
    return out;
  }
  std::vector<Sha256Digest> signed_digests;

 private:
  EvpPkeyPtr key_;
  X509Ptr cert_;
  std::vector<X509Ptr> chain_;
};

std::string element_text(const std::string& xml, const std::string& name) {
  auto start = xml.find("<" + name + ">") + name.size() + 2;
  return xml.substr(start, xml.find("</" + name + ">") - start);
}

// Our XML-DSig path (reference digest + canonical SignedInfo, signed outside xmlsec) against xmlsec's own
// xmlSecDSigCtxSign with XMLSEC_DSIG_FLAGS_STORE_SIGNATURE on the same template and key. RSA PKCS#1 v1.5 is
// deterministic, so both SignatureValues must be identical.
void expect_same_as_xmlsec(const std::string& document) {
  RecordingSigner ours;
  std::string signed_xml = sign_xml(document, ours);
  ASSERT_EQ(ours.signed_digests.size(), 1u);

  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(document.data(), static_cast<int>(document.size()), nullptr, nullptr, XML_PARSE_NONET), xmlFreeDoc);
  xmlNodePtr signature =
      xmlSecTmplSignatureCreate(doc.get(), xmlSecTransformExclC14NId, xmlSecTransformRsaSha256Id, nullptr);
  xmlAddChild(xmlDocGetRootElement(doc.get()), signature);
  xmlNodePtr ref = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id, nullptr,
                                                   reinterpret_cast<const xmlChar*>(""), nullptr);
  xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId);
  xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId);
  std::unique_ptr<xmlSecDSigCtx, void (*)(xmlSecDSigCtxPtr)> dsig(xmlSecDSigCtxCreate(nullptr), xmlSecDSigCtxDestroy);
  dsig->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNATURE;
  dsig->signKey = xmlSecCryptoAppKeyLoad((hsm_sim().pki / "peer-signer.key").c_str(), xmlSecKeyDataFormatPem, nullptr,
                                         nullptr, nullptr);
  ASSERT_NE(dsig->signKey, nullptr);
  ASSERT_EQ(xmlSecDSigCtxSign(dsig.get(), signature), 0);

  xmlSecBufferPtr pre_sign = xmlSecDSigCtxGetPreSignBuffer(dsig.get());
  ASSERT_NE(pre_sign, nullptr);
  auto xmlsec_digest = sha256({xmlSecBufferGetData(pre_sign), xmlSecBufferGetSize(pre_sign)});
  EXPECT_EQ(ours.signed_digests.front(), xmlsec_digest) << "the token must sign exactly the pre-sign buffer";

  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemory(doc.get(), &mem, &size);
  std::string xmlsec_xml(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  EXPECT_EQ(element_text(signed_xml, "DigestValue"), element_text(xmlsec_xml, "DigestValue"));
  std::string theirs = element_text(xmlsec_xml, "SignatureValue");
  theirs.erase(std::remove(theirs.begin(), theirs.end(), '\n'), theirs.end());
  EXPECT_EQ(element_text(signed_xml, "SignatureValue"), theirs);
}

// Our XML-DSig path (document digest and canonical SignedInfo computed outside xmlSecDSigCtxSign) against
// xmlsec's own xmlSecDSigCtxSign with XMLSEC_DSIG_FLAGS_STORE_SIGNATURE on the same document and key. RSA
// PKCS#1 v1.5 is deterministic, so both SignatureValues must be identical.
TEST(XmlSigningPath, signs_exactly_xmlsecs_pre_sign_buffer) {
  expect_same_as_xmlsec(
      "<?xml version=\"1.0\"?>\n<KetQua xmlns=\"urn:lgsp:test\" xmlns:x=\"urn:unused\">\n  <HoTen>Phạm Văn Đức</HoTen>"
      "<!-- comment --><Ghi chu=\"a&#10;b\">  khoảng trắng  </Ghi>\n</KetQua>\n");
}

TEST(XmlSigningPath, matches_xmlsec_with_prefixes_processing_instructions_and_outer_comments) {
  expect_same_as_xmlsec(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n<!-- before -->\n"
      "<edXML:envelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\" xmlns:xsi=\"urn:xsi\">"
      "<edXML:header><edXML:From><edXML:OrganId>000.00.00.H29</edXML:OrganId></edXML:From></edXML:header>"
      "<edXML:body xsi:type=\"t\"><p xmlns=\"urn:inner\" b=\"2\" a=\"1\">x &lt; y &amp; "
      "z</p><![CDATA[<raw>]]></edXML:body>"
      "</edXML:envelope>\n<!-- after -->\n");
}

}  // namespace
