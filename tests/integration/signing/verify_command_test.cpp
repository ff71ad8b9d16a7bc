// `lgsp verify`: signatures made by other tools (xmlsec1, openssl cms) with hsm-sim's software keys, and every
// way a signature must be refused, each with its reason.
#include "commands.hpp"
#include "hsm_sim.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace fs = std::filesystem;
using namespace lgsp::test;

namespace {

constexpr const char* kRsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
constexpr const char* kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
constexpr const char* kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
constexpr const char* kSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
constexpr const char* kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr const char* kXslt = "http://www.w3.org/TR/1999/REC-xslt-19991116";

struct Template {
  std::string uri = "";
  std::vector<std::string> transforms = {kEnveloped, kExcC14n};
  std::string method = kRsaSha256;
  std::string digest = kSha256;
  std::string transform_body;  // e.g. an XSLT stylesheet inside the Transform
};

std::string signature_template(const Template& t) {
  std::string transforms;
  for (const auto& a : t.transforms)
    transforms += "<Transform Algorithm=\"" + a + "\">" + (a == kXslt ? t.transform_body : "") + "</Transform>";
  return "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
         "<CanonicalizationMethod Algorithm=\"" +
         std::string(kExcC14n) + "\"/><SignatureMethod Algorithm=\"" + t.method + "\"/><Reference URI=\"" + t.uri +
         "\"><Transforms>" + transforms + "</Transforms><DigestMethod Algorithm=\"" + t.digest +
         "\"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>";
}

// The sample document with a signature template as the last child of its root.
std::string document_with(const std::string& signature, const std::string& id = "kq-1") {
  std::string doc = sample_document(id);
  doc.insert(doc.rfind("</KetQua>"), signature);
  return doc;
}

class VerifyCommand : public ::testing::Test {
 protected:
  // xmlsec1 --sign with the software key `name` (pki/<name>.key) and its certificates.
  fs::path xmlsec1_sign(const std::string& xml, const std::string& name, const std::string& ca = "issuing-ca") {
    write_file(dir / "template.xml", xml);
    auto out = dir / (name + ".signed.xml");
    const auto& pki = hsm_sim().pki;
    auto r = xmlsec1(
        {"--sign", "--privkey-pem",
         (pki / (name + ".key")).string() + "," + hsm_sim().pem(name).string() + "," + hsm_sim().pem(ca).string(),
         "--id-attr:Id", "KetQua", "--output", out.string(), (dir / "template.xml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  // openssl cms -sign -cades, detached, with the software key `name`.
  fs::path openssl_sign(const fs::path& content, const std::string& name, std::vector<std::string> extra = {"-cades"}) {
    auto out = dir / (name + ".p7s");
    std::vector<std::string> args = {"cms",
                                     "-sign",
                                     "-binary",
                                     "-md",
                                     "sha256",
                                     "-outform",
                                     "DER",
                                     "-in",
                                     content.string(),
                                     "-out",
                                     out.string(),
                                     "-signer",
                                     hsm_sim().pem(name).string(),
                                     "-inkey",
                                     (hsm_sim().pki / (name + ".key")).string(),
                                     "-certfile",
                                     hsm_sim().pem("issuing-ca").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = openssl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  fs::path lgsp_signed_xml(const std::string& token) {
    write_file(dir / "doc.xml", sample_document());
    auto out = dir / (token + ".signed.xml");
    EXPECT_EQ(lgsp_sign("xmldsig", token, dir / "doc.xml", out).exit_code, 0);
    return out;
  }
  nlohmann::json report(const fs::path& in, std::vector<std::string> extra = {}) {
    extra.push_back("--json");
    auto r = lgsp_verify(in, extra);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["valid"], r.exit_code == 0);
    return j;
  }
  // Runs verify and expects exit 1 with `code` on stderr.
  std::string expect_invalid(const fs::path& in, const std::string& code, std::vector<std::string> extra = {}) {
    auto r = lgsp_verify(in, extra);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("[" + code + "]"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("lgsp: verify ", 0), 0u) << r.err;
    return r.err;
  }
  TempDir dir;
};

// --- signatures from other tools ------------------------------------------------------------------------

TEST_F(VerifyCommand, accepts_xmldsig_made_by_xmlsec1_with_peer_signer) {
  auto signed_doc = xmlsec1_sign(document_with(signature_template({})), "peer-signer");
  auto r = lgsp_verify(signed_doc);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid: XML-DSig rsa-sha256\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("signer: CN=Hệ thống Hộ tịch,O=Sở Tư pháp,ST=Thành phố Hồ Chí Minh,C=VN"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("revocation: good (OCSP " + hsm_sim().ocsp_url), std::string::npos) << r.out;
}

TEST_F(VerifyCommand, accepts_a_reference_to_the_root_element_id) {
  Template t;
  t.uri = "#kq-1";
  auto j = report(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  EXPECT_EQ(j["valid"], true) << j.dump(2);
}

TEST_F(VerifyCommand, accepts_cades_made_by_openssl_cms_with_peer_signer) {
  write_file(dir / "content.bin", "nội dung cần ký");
  auto p7s = openssl_sign(dir / "content.bin", "peer-signer");
  auto j = report(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["signer"]["subject"], "CN=Hệ thống Hộ tịch,O=Sở Tư pháp,ST=Thành phố Hồ Chí Minh,C=VN");
  EXPECT_EQ(j["signing_time_source"], "signing-time attribute, claimed by the signer");
}

TEST_F(VerifyCommand, accepts_pem_encoded_cades) {
  write_file(dir / "content.bin", "PEM");
  auto p7s = openssl_sign(dir / "content.bin", "peer-signer", {"-cades", "-outform", "PEM"});
  ASSERT_EQ(read_file(p7s).rfind("-----BEGIN CMS-----", 0), 0u);
  auto j = report(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
}

TEST_F(VerifyCommand, reports_cades_bes_and_what_it_covers) {
  write_file(dir / "content.bin", "abc");
  auto j = report(openssl_sign(dir / "content.bin", "peer-signer"), {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["level"], "CAdES-BES");
  EXPECT_EQ(j["covers"]["content"]["bytes"], 3);
  EXPECT_EQ(j["covers"]["content"]["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto attributes = j["covers"]["signed_attributes"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(attributes.begin(), attributes.end(), "id-smime-aa-signingCertificateV2"), attributes.end())
      << j.dump(2);
  EXPECT_NE(std::find(attributes.begin(), attributes.end(), "messageDigest"), attributes.end()) << j.dump(2);
}

// Many systems sign with plain CMS (openssl cms without -cades): verified, and reported as what it is.
TEST_F(VerifyCommand, verifies_plain_cms_without_signing_certificate_and_reports_its_level) {
  write_file(dir / "content.bin", "plain CMS, not CAdES");
  auto p7s = openssl_sign(dir / "content.bin", "peer-signer", {});
  auto j = report(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["level"], "CMS, not CAdES-BES: no signingCertificateV2 attribute (openssl cms makes one with -cades)");
  EXPECT_EQ(j["signing_time_source"], "signing-time attribute, claimed by the signer");
  auto summary = lgsp_verify(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_NE(summary.out.find("valid: CMS rsa-sha256\nlevel: CMS, not CAdES-BES"), std::string::npos) << summary.out;
  auto err =
      expect_invalid(p7s, "LGSP-VERIFY-NOT-CADES", {"--content", (dir / "content.bin").string(), "--require", "cades"});
  EXPECT_NE(err.find("no signingCertificateV2 attribute"), std::string::npos) << err;
}

TEST_F(VerifyCommand, verifies_cms_without_signed_attributes) {
  write_file(dir / "content.bin", "openssl cms -sign -binary -noattr");
  auto p7s = openssl_sign(dir / "content.bin", "peer-signer", {"-noattr"});
  auto j = report(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["level"].get<std::string>().rfind("CMS, not CAdES-BES: no signed attributes", 0), 0u) << j.dump(2);
  EXPECT_TRUE(j["covers"]["signed_attributes"].empty());
  EXPECT_EQ(j["signing_time_source"], "verification time: the signature carries no signing time");
  expect_invalid(p7s, "LGSP-VERIFY-NOT-CADES", {"--content", (dir / "content.bin").string(), "--require", "cades"});
  write_file(dir / "content.bin", "openssl cms -sign -binary -noattr, changed");
  expect_invalid(p7s, "LGSP-VERIFY-MODIFIED", {"--content", (dir / "content.bin").string()});
  // Still a trust check like any other: an untrusted signer stays untrusted.
  write_file(dir / "content.bin", "x");
  expect_invalid(openssl_sign(dir / "content.bin", "untrusted-signer", {"-noattr"}), "LGSP-VERIFY-UNTRUSTED",
                 {"--content", (dir / "content.bin").string()});
}

TEST_F(VerifyCommand, verifies_pkcs7_made_by_openssl_smime) {
  write_file(dir / "content.bin", "PKCS#7 from openssl smime");
  auto p7s = dir / "smime.p7s";
  auto r =
      openssl({"smime", "-sign", "-binary", "-md", "sha256", "-outform", "PEM", "-in", (dir / "content.bin").string(),
               "-out", p7s.string(), "-signer", hsm_sim().pem("peer-signer").string(), "-inkey",
               (hsm_sim().pki / "peer-signer.key").string(), "-certfile", hsm_sim().pem("issuing-ca").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(read_file(p7s).rfind("-----BEGIN PKCS7-----", 0), 0u);
  auto j = report(p7s, {"--content", (dir / "content.bin").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["level"].get<std::string>().rfind("CMS, not CAdES-BES", 0), 0u) << j.dump(2);
}

// --- tampering and wrapping ---------------------------------------------------------------------------------

TEST_F(VerifyCommand, refuses_a_modified_document) {
  auto signed_doc = lgsp_signed_xml("official-01");
  std::string xml = read_file(signed_doc);
  xml.replace(xml.find("Nguyễn Thị Hoa"), std::string("Nguyễn Thị Hoa").size(), "Nguyễn Thị Hòa");
  write_file(dir / "tampered.xml", xml);
  auto err = expect_invalid(dir / "tampered.xml", "LGSP-VERIFY-MODIFIED");
  EXPECT_NE(err.find("modified after signing"), std::string::npos);
}

TEST_F(VerifyCommand, refuses_a_replaced_signature_value) {
  auto signed_doc = lgsp_signed_xml("official-01");
  std::string xml = read_file(signed_doc);
  auto at = xml.find("<SignatureValue>") + std::string("<SignatureValue>").size();
  xml[at + 5] = xml[at + 5] == 'A' ? 'B' : 'A';
  write_file(dir / "bad-value.xml", xml);
  expect_invalid(dir / "bad-value.xml", "LGSP-VERIFY-BAD-SIGNATURE");
}

TEST_F(VerifyCommand, refuses_modified_cades_content) {
  write_file(dir / "content.bin", "số tiền: 100.000 đồng");
  ASSERT_EQ(lgsp_sign("cades", "official-01", dir / "content.bin", dir / "content.p7s").exit_code, 0);
  write_file(dir / "content.bin", "số tiền: 900.000 đồng");
  expect_invalid(dir / "content.p7s", "LGSP-VERIFY-MODIFIED", {"--content", (dir / "content.bin").string()});
}

TEST_F(VerifyCommand, refuses_signature_wrapping_that_xmlsec1_alone_accepts) {
  Template t;
  t.uri = "#kq-1";
  std::string original = read_file(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  // The attacker's document: new root content, the signed element moved inside it.
  std::string signed_root = original.substr(original.find("<KetQua"));
  std::string wrapped =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KetQua xmlns=\"urn:lgsp:test:ketqua\" "
      "Id=\"kq-2\"><HoTen>Kẻ Mạo Danh</HoTen><Goc>" +
      signed_root + "</Goc></KetQua>\n";
  write_file(dir / "wrapped.xml", wrapped);
  auto naive = xmlsec1({"--verify", "--trusted-pem", hsm_sim().pem("root-ca").string(), "--id-attr:Id", "KetQua",
                        (dir / "wrapped.xml").string()});
  EXPECT_EQ(naive.exit_code, 0) << "the digest still matches: only the reference scope check catches this";
  auto err = expect_invalid(dir / "wrapped.xml", "LGSP-VERIFY-REFERENCE");
  EXPECT_NE(err.find("not the document root"), std::string::npos) << err;
}

TEST_F(VerifyCommand, refuses_an_id_carried_by_two_elements) {
  Template t;
  t.uri = "#kq-1";
  std::string original = read_file(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  std::string doc = original;
  doc.insert(doc.find("</KetQua>"), "<Phu Id=\"kq-1\">bản sao</Phu>");
  write_file(dir / "duplicate-id.xml", doc);
  auto err = expect_invalid(dir / "duplicate-id.xml", "LGSP-VERIFY-REFERENCE");
  EXPECT_NE(err.find("carried by 2 elements"), std::string::npos) << err;
}

// --- what a signature covers, and content it does not -----------------------------------------------------------

TEST_F(VerifyCommand, reports_exactly_what_the_signature_covers) {
  auto j = report(lgsp_signed_xml("official-01"));
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["level"], "XML-DSig enveloped");
  ASSERT_EQ(j["covers"]["references"].size(), 1u) << j.dump(2);
  const auto& ref = j["covers"]["references"][0];
  EXPECT_EQ(ref["uri"], "");
  EXPECT_EQ(ref["transforms"], nlohmann::json::array({kEnveloped, kExcC14n}));
  EXPECT_EQ(ref["digest_method"], kSha256);
  EXPECT_EQ(ref["element"], "/KetQua");
  EXPECT_EQ(ref["node_set"],
            "the whole document (the root element, and processing instructions outside it), except the ds:Signature "
            "element (enveloped-signature) and comments");
  EXPECT_EQ(j["covers"]["signature_element"], "/KetQua/Signature");
  EXPECT_EQ(j["covers"]["not_covered"].size(), 2u) << j.dump(2);

  Template t;
  t.uri = "#kq-1";
  j = report(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["covers"]["references"][0]["uri"], "#kq-1");
  EXPECT_EQ(j["covers"]["references"][0]["node_set"].get<std::string>().rfind("the root element <KetQua> (#kq-1)", 0),
            0u);
}

// The issue's case: xmlsec1 signs a document whose ds:Object holds data; the Object is outside the signed node set
// (the enveloped transform removes the whole Signature), so xmlsec1 accepts it whatever it says.
TEST_F(VerifyCommand, refuses_unsigned_content_in_ds_object_that_xmlsec1_accepts) {
  std::string signature = signature_template({});
  signature.insert(signature.rfind("</Signature>"),
                   "<Object Id=\"extra\"><HoTen xmlns=\"urn:lgsp:test:ketqua\">Kẻ Mạo Danh</HoTen></Object>");
  auto signed_doc = xmlsec1_sign(document_with(signature), "peer-signer");
  std::string xml = read_file(signed_doc);
  // What a reader of the document sees changes freely: the signature still verifies for xmlsec1.
  xml.replace(xml.find("Kẻ Mạo Danh"), std::string("Kẻ Mạo Danh").size(), "Người Khác");
  write_file(dir / "object.xml", xml);
  auto naive = xmlsec1({"--verify", "--trusted-pem", hsm_sim().pem("root-ca").string(), "--untrusted-pem",
                        hsm_sim().pem("issuing-ca").string(), (dir / "object.xml").string()});
  EXPECT_EQ(naive.exit_code, 0) << "the Object is unsigned: " << naive.err;
  auto err = expect_invalid(dir / "object.xml", "LGSP-VERIFY-UNSIGNED-CONTENT");
  EXPECT_NE(err.find("ds:Object at /KetQua/Signature/Object"), std::string::npos) << err;
  expect_invalid(signed_doc, "LGSP-VERIFY-UNSIGNED-CONTENT");
  auto j = report(signed_doc, {});
  EXPECT_EQ(j["covers"]["references"][0]["uri"], "") << "what is covered is reported even when refused";
}

TEST_F(VerifyCommand, refuses_an_object_added_to_a_valid_signature) {
  std::string xml = read_file(lgsp_signed_xml("official-01"));
  for (std::string added :
       {"<Object><SoTien>900.000.000</SoTien></Object>", "<Manifest><Reference URI=\"\"/></Manifest>"}) {
    std::string doc = xml;
    doc.insert(doc.find("</Signature>"), added);
    write_file(dir / "added.xml", doc);
    expect_invalid(dir / "added.xml", "LGSP-VERIFY-UNSIGNED-CONTENT");
  }
}

TEST_F(VerifyCommand, refuses_foreign_elements_and_text_inside_the_signature) {
  std::string xml = read_file(lgsp_signed_xml("official-01"));
  struct Case {
    std::string where, what, reason;
  };
  for (const auto& c : std::vector<Case>{
           {"</KeyInfo>", "<HoTen xmlns=\"urn:lgsp:test:ketqua\">Kẻ Mạo Danh</HoTen>", "is not part of XML-DSig"},
           {"</X509Data>", "<ds:HoTen xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">x</ds:HoTen>",
            "is not part of XML-DSig"},
           {"<X509Data>", "Số tiền: 900.000.000 đồng", "text inside /KetQua/Signature/KeyInfo"},
           {"</Signature>", "Số tiền: 900.000.000 đồng", "text inside /KetQua/Signature"},
           {"</KeyInfo>", "<?xml-stylesheet href=\"evil.xsl\"?>", "processing instruction"},
       }) {
    std::string doc = xml;
    doc.insert(doc.find(c.where), c.what);
    write_file(dir / "foreign.xml", doc);
    auto err = expect_invalid(dir / "foreign.xml", "LGSP-VERIFY-UNSIGNED-CONTENT");
    EXPECT_NE(err.find(c.reason), std::string::npos) << c.what << ": " << err;
  }
}

TEST_F(VerifyCommand, refuses_a_processing_instruction_outside_a_root_signed_by_id) {
  Template t;
  t.uri = "#kq-1";
  std::string xml = read_file(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  std::string doc = xml;
  doc.insert(doc.find("<KetQua"), "<?xml-stylesheet type=\"text/xsl\" href=\"http://127.0.0.1:1/show.xsl\"?>\n");
  write_file(dir / "stylesheet.xml", doc);
  auto err = expect_invalid(dir / "stylesheet.xml", "LGSP-VERIFY-UNSIGNED-CONTENT");
  EXPECT_NE(err.find("<?xml-stylesheet?> outside the root element"), std::string::npos) << err;
  // With URI="" the same instruction is part of what is signed: adding it is a modification.
  std::string whole = read_file(lgsp_signed_xml("official-01"));
  whole.insert(whole.find("<KetQua"), "<?xml-stylesheet type=\"text/xsl\" href=\"show.xsl\"?>\n");
  write_file(dir / "stylesheet-whole.xml", whole);
  expect_invalid(dir / "stylesheet-whole.xml", "LGSP-VERIFY-MODIFIED");
}

TEST_F(VerifyCommand, refuses_a_signed_element_moved_into_an_object) {
  Template t;
  t.uri = "#kq-1";
  std::string original = read_file(xmlsec1_sign(document_with(signature_template(t)), "peer-signer"));
  // Wrapping: the attacker's root carries the original signature; the signed element sits in a ds:Object.
  std::string signed_root = original.substr(original.find("<KetQua"));
  std::string signature = signed_root.substr(signed_root.find("<Signature"));
  signature = signature.substr(0, signature.find("</Signature>"));
  std::string wrapped = "<KetQua xmlns=\"urn:lgsp:test:ketqua\" Id=\"kq-2\"><HoTen>Kẻ Mạo Danh</HoTen>" + signature +
                        "<Object>" + signed_root.substr(0, signed_root.find("<Signature")) +
                        "</KetQua></Object></Signature></KetQua>";
  write_file(dir / "moved.xml", wrapped);
  expect_invalid(dir / "moved.xml", "LGSP-VERIFY-REFERENCE");
}

TEST_F(VerifyCommand, refuses_a_hundred_thousand_attributes_before_parsing) {
  std::string doc = "<KetQua";
  for (int i = 0; i < 100000; ++i) doc += " a" + std::to_string(i) + "=\"\"";
  doc += "/>";
  write_file(dir / "wide.xml", doc);
  auto err = expect_invalid(dir / "wide.xml", "LGSP-SIGN-MALFORMED");
  EXPECT_NE(err.find("more than 64 attributes"), std::string::npos) << err;
}

// --- what the policy refuses before any cryptography ----------------------------------------------------------

TEST_F(VerifyCommand, refuses_an_xslt_transform_even_when_the_signature_is_valid) {
  Template t;
  t.transforms = {kEnveloped, kXslt};
  t.transform_body =
      "<xsl:stylesheet xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" version=\"1.0\">"
      "<xsl:template match=\"/\"><xsl:value-of select=\"'nothing'\"/></xsl:template></xsl:stylesheet>";
  auto signed_doc = xmlsec1_sign(document_with(signature_template(t)), "peer-signer");
  auto err = expect_invalid(signed_doc, "LGSP-VERIFY-TRANSFORM");
  EXPECT_NE(err.find(kXslt), std::string::npos) << err;
}

TEST_F(VerifyCommand, refuses_a_reference_to_a_network_uri_without_fetching_it) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/evil.xml";

  std::string signature = read_file(lgsp_signed_xml("official-01"));
  auto at = signature.find("<Reference URI=\"\">");
  signature.replace(at, std::string("<Reference URI=\"\">").size(), "<Reference URI=\"" + url + "\">");
  write_file(dir / "external.xml", signature);
  auto err = expect_invalid(dir / "external.xml", "LGSP-VERIFY-EXTERNAL-URI");
  EXPECT_NE(err.find(url), std::string::npos) << err;

  write_file(dir / "entity.xml", "<!DOCTYPE KetQua [<!ENTITY e SYSTEM \"" + url + "\">]><KetQua>&e;</KetQua>");
  expect_invalid(dir / "entity.xml", "LGSP-SIGN-MALFORMED");
  EXPECT_LT(accept(listener, nullptr, nullptr), 0) << "nothing may connect to " << url;
  close(listener);
}

TEST_F(VerifyCommand, refuses_two_signatures) {
  std::string doc = read_file(lgsp_signed_xml("official-01"));
  std::string signature = doc.substr(doc.find("<Signature"), doc.find("</Signature>") + 12 - doc.find("<Signature"));
  doc.insert(doc.find("</KetQua>"), signature);
  write_file(dir / "two.xml", doc);
  auto err = expect_invalid(dir / "two.xml", "LGSP-VERIFY-MULTIPLE");
  EXPECT_NE(err.find("holds 2 ds:Signature elements"), std::string::npos) << err;
}

TEST_F(VerifyCommand, refuses_sha1_unless_legacy_is_allowed) {
  Template t;
  t.method = kRsaSha1;
  t.digest = kSha1;
  auto signed_doc = xmlsec1_sign(document_with(signature_template(t)), "peer-signer");
  auto err = expect_invalid(signed_doc, "LGSP-VERIFY-WEAK-ALGORITHM");
  EXPECT_NE(err.find("--allow-legacy-sha1"), std::string::npos) << err;
  auto j = report(signed_doc, {"--allow-legacy-sha1"});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["algorithm"], "rsa-sha1");
}

TEST_F(VerifyCommand, refuses_malformed_and_empty_input) {
  write_file(dir / "broken.xml", "<KetQua><HoTen></KetQua>");
  expect_invalid(dir / "broken.xml", "LGSP-SIGN-MALFORMED");
  write_file(dir / "empty.p7s", "");
  auto err = expect_invalid(dir / "empty.p7s", "LGSP-SIGN-MALFORMED");
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
  write_file(dir / "garbage.p7s", std::string("\x30\x82\x01\x00garbage", 11));
  write_file(dir / "content.bin", "x");
  expect_invalid(dir / "garbage.p7s", "LGSP-SIGN-MALFORMED", {"--content", (dir / "content.bin").string()});
  write_file(dir / "unsigned.xml", sample_document());
  expect_invalid(dir / "unsigned.xml", "LGSP-VERIFY-NO-SIGNATURE");
}

// --- certificates: revoked, expired, untrusted ------------------------------------------------------------------

TEST_F(VerifyCommand, refuses_a_revoked_signer_by_ocsp_with_time_and_reason) {
  auto signed_doc = lgsp_signed_xml("official-03");
  auto j = report(signed_doc);
  EXPECT_EQ(j["code"], "LGSP-VERIFY-REVOKED") << j.dump(2);
  EXPECT_EQ(j["revocation"]["status"], "revoked");
  EXPECT_EQ(j["revocation"]["reason"], "keyCompromise");
  EXPECT_EQ(j["revocation"]["source"], "OCSP " + hsm_sim().ocsp_url);
  EXPECT_TRUE(j["revocation"].contains("revoked_at"));
  EXPECT_EQ(j["title_vi"], "Chứng thư số đã bị thu hồi");
}

TEST_F(VerifyCommand, refuses_a_revoked_signer_by_crl) {
  write_file(dir / "content.bin", "kết quả");
  ASSERT_EQ(lgsp_sign("cades", "official-03", dir / "content.bin", dir / "content.p7s").exit_code, 0);
  auto err = expect_invalid(dir / "content.p7s", "LGSP-VERIFY-REVOKED",
                            {"--content", (dir / "content.bin").string(), "--crl", hsm_sim().pem("crl").string()});
  EXPECT_NE(err.find("Lê Văn Cường"), std::string::npos) << err;
  EXPECT_NE(err.find("(reason keyCompromise) according to CRL of CN=LGSP Test Issuing CA"), std::string::npos) << err;
}

TEST_F(VerifyCommand, accepts_a_good_signer_by_crl) {
  auto j = report(lgsp_signed_xml("official-02"), {"--revocation", "crl", "--crl", hsm_sim().pem("crl").string()});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["revocation"]["status"], "good");
}

TEST_F(VerifyCommand, refuses_an_expired_signer_in_xml_and_cms) {
  auto signed_doc = xmlsec1_sign(document_with(signature_template({})), "expired-signer");
  auto err = expect_invalid(signed_doc, "LGSP-VERIFY-EXPIRED");
  EXPECT_NE(err.find("valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z"), std::string::npos) << err;
  write_file(dir / "content.bin", "x");
  expect_invalid(openssl_sign(dir / "content.bin", "expired-signer"), "LGSP-VERIFY-EXPIRED",
                 {"--content", (dir / "content.bin").string()});
}

TEST_F(VerifyCommand, refuses_an_untrusted_signer) {
  auto signed_doc = xmlsec1_sign(document_with(signature_template({})), "untrusted-signer", "untrusted-root");
  auto err = expect_invalid(signed_doc, "LGSP-VERIFY-UNTRUSTED");
  EXPECT_NE(err.find("does not lead to a trusted root"), std::string::npos) << err;
  // Trusting the other root instead makes the same document valid: the check is the chain, not the names.
  auto r = run_lgsp({"verify", "--in", signed_doc.string(), "--trust", hsm_sim().pem("untrusted-root").string(),
                     "--revocation", "none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(VerifyCommand, reports_an_unreachable_ocsp_responder) {
  std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto err = expect_invalid(lgsp_signed_xml("official-01"), "LGSP-VERIFY-REVOCATION-UNKNOWN", {"--ocsp-url", url});
  EXPECT_NE(err.find("OCSP responder " + url + " unreachable: Connection refused"), std::string::npos) << err;
}

TEST_F(VerifyCommand, revocation_none_is_reported_as_not_checked) {
  auto j = report(lgsp_signed_xml("official-03"), {"--revocation", "none"});
  EXPECT_EQ(j["valid"], true) << j.dump(2);
  EXPECT_EQ(j["revocation"]["status"], "not-checked");
}

// --- usage ------------------------------------------------------------------------------------------------------

TEST_F(VerifyCommand, usage_errors_exit_2) {
  write_file(dir / "content.bin", "x");
  ASSERT_EQ(lgsp_sign("cades", "official-01", dir / "content.bin", dir / "c.p7s").exit_code, 0);
  auto no_content = lgsp_verify(dir / "c.p7s");
  EXPECT_EQ(no_content.exit_code, 2);
  EXPECT_NE(no_content.err.find("give the signed file with --content"), std::string::npos) << no_content.err;
  EXPECT_EQ(lgsp_verify(dir / "c.p7s", {"--content", (dir / "content.bin").string(), "--revocation", "crl"}).exit_code,
            2);
  EXPECT_EQ(run_lgsp({"verify", "--in", (dir / "c.p7s").string()}).exit_code, 2) << "--trust is required";
  auto bad_trust = run_lgsp({"verify", "--in", (dir / "c.p7s").string(), "--trust", (dir / "content.bin").string()});
  EXPECT_EQ(bad_trust.exit_code, 2);
  EXPECT_NE(bad_trust.err.find("no PEM certificate"), std::string::npos) << bad_trust.err;
  EXPECT_EQ(lgsp_verify(dir / "missing.xml").exit_code, 2);
}

}  // namespace
