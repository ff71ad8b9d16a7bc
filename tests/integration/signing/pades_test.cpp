// PAdES: PDFs signed by `lgsp sign --format pades` (SoftHSM2 tokens, hsm-sim's TSA and OCSP) checked by poppler's
// pdfsig against an NSS database that trusts hsm-sim's root, and PDFs checked by `lgsp verify` (including one
// signed by pdfsig itself and one changed after signing). The deferred API is driven with a token's Signer.
#include "lgsp/signing/pades.hpp"
#include "commands.hpp"
#include "hsm_sim.hpp"
#include "lgsp/signing/token.hpp"

#include <gtest/gtest.h>
#include <podofo/podofo.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

namespace lgsp::test {
namespace {

using signing::PreparedPdf;

std::string slurp(const std::filesystem::path& file) { return read_file(file); }

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

void write_bytes(const std::filesystem::path& file, const std::vector<unsigned char>& data) {
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

bool listening(unsigned short port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// A two-page PDF made with PoDoFo (base-14 font, nothing embedded).
void make_pdf(const std::filesystem::path& file) {
  PoDoFo::PdfMemDocument doc;
  for (int i = 0; i < 2; ++i) {
    PoDoFo::PdfPage* page = doc.CreatePage(PoDoFo::PdfPage::CreateStandardPageSize(PoDoFo::ePdfPageSize_A4));
    PoDoFo::PdfPainter painter;
    painter.SetPage(page);
    painter.SetFont(doc.CreateFont("Helvetica"));
    painter.DrawText(72, 760, "Quyet dinh so 123/QD-UBND - trang " + std::to_string(i + 1));
    painter.FinishPage();
  }
  doc.Write(file.c_str());
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class Pades : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new TempDir;
    nss_ = "sql:" + (shared_->path() / "nss").string();
    std::filesystem::create_directories(shared_->path() / "nss");
    ASSERT_EQ(run({"/usr/bin/certutil", "-N", "-d", nss_, "--empty-password"}).exit_code, 0);
    ASSERT_EQ(run({"/usr/bin/certutil", "-A", "-d", nss_, "-n", "lgsp-test-root", "-t", "CT,C,C", "-i",
                   hsm_sim().pem("root-ca").string()})
                  .exit_code,
              0);
    tsa_port_ = closed_port();
    tsa_ = new Process({"/usr/bin/python3", LGSP_HSM_SIM_SOURCE_DIR "/tsa_server.py", hsm_sim().dir.string(),
                        std::to_string(tsa_port_)},
                       shared_->path() / "tsa.log");
    for (int i = 0; i < 100 && !listening(tsa_port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(listening(tsa_port_)) << "hsm-sim's TSA did not start";
    make_pdf(shared_->path() / "input.pdf");
  }
  static void TearDownTestSuite() {
    delete tsa_;
    delete shared_;
  }

  static std::filesystem::path input() { return shared_->path() / "input.pdf"; }
  static std::string tsa_url() { return "http://127.0.0.1:" + std::to_string(tsa_port_); }
  static std::filesystem::path data(const std::string& name) {
    return std::filesystem::path(LGSP_SOURCE_DIR) / "tests/data/pades" / name;
  }
  static RunResult pdfsig(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/pdfsig", "-nssdir", nss_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  static nlohmann::json verify_json(const std::filesystem::path& pdf, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = lgsp_verify(pdf, args);
    return nlohmann::json::parse(r.out);
  }
  // pdfsig's verdict on every signature: valid and trusted.
  static void expect_pdfsig_valid(const std::filesystem::path& pdf, int signatures) {
    auto r = pdfsig({pdf.string()});
    EXPECT_EQ(count(r.out, "Signature Validation: Signature is Valid."), signatures) << r.out << r.err;
    EXPECT_EQ(count(r.out, "Certificate Validation: Certificate is Trusted."), signatures) << r.out << r.err;
  }

  TempDir dir_;
  static TempDir* shared_;
  static std::string nss_;
  static unsigned short tsa_port_;
  static Process* tsa_;
};
TempDir* Pades::shared_ = nullptr;
std::string Pades::nss_;
unsigned short Pades::tsa_port_ = 0;
Process* Pades::tsa_ = nullptr;

TEST_F(Pades, b_b_signature_is_valid_and_trusted_for_pdfsig_and_lgsp_verify) {
  auto r = lgsp_sign("pades", "official-01", input(), dir_ / "b.pdf", {"--reason", "Phê duyệt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_pdfsig_valid(dir_ / "b.pdf", 1);
  auto out = pdfsig({(dir_ / "b.pdf").string()}).out;
  EXPECT_NE(out.find("ETSI.CAdES.detached"), std::string::npos) << out;
  EXPECT_NE(out.find("Total document signed"), std::string::npos) << out;
  // The input's bytes are the start of the output: an incremental update.
  std::string in = slurp(input()), signed_pdf = slurp(dir_ / "b.pdf");
  EXPECT_EQ(signed_pdf.substr(0, in.size()), in);

  auto report = verify_json(dir_ / "b.pdf");
  ASSERT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  ASSERT_EQ(report["signatures"].size(), 1u);
  EXPECT_EQ(report["signatures"][0]["level"], "PAdES-B-B");
  EXPECT_TRUE(report["signatures"][0]["covers_whole_file"].get<bool>());
  EXPECT_EQ(report["signatures"][0]["revocation"]["status"], "good");
  EXPECT_EQ(report["signatures"][0]["timestamp"]["status"], "none");
}

TEST_F(Pades, b_t_carries_a_signature_time_stamp_that_both_verifiers_accept) {
  for (const std::string token : {"official-01", "lgsp-node"}) {  // RSA, and ECDSA (r||s from the token -> DER)
    auto out = dir_ / (token + "-t.pdf");
    auto r = lgsp_sign("pades", token, input(), out, {"--tsa", tsa_url()});
    ASSERT_EQ(r.exit_code, 0) << token << ": " << r.err;
    expect_pdfsig_valid(out, 1);
    auto report = verify_json(out);
    ASSERT_TRUE(report["valid"].get<bool>()) << report.dump(2);
    EXPECT_EQ(report["signatures"][0]["level"], "PAdES-B-T");
    EXPECT_EQ(report["signatures"][0]["timestamp"]["status"], "valid");
    EXPECT_TRUE(report["signatures"][0]["timestamp"].contains("time"));
  }
}

TEST_F(Pades, a_tsa_that_does_not_answer_fails_signing_and_writes_nothing) {
  auto r = lgsp_sign("pades", "official-01", input(), dir_ / "x.pdf",
                     {"--tsa", "http://127.0.0.1:" + std::to_string(closed_port())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("LGSP-SIGN-TIMESTAMP"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.pdf"));
}

TEST_F(Pades, b_lt_dss_answers_revocation_when_the_responder_is_gone) {
  auto r = lgsp_sign("pades", "official-01", input(), dir_ / "lt.pdf",
                     {"--tsa", tsa_url(), "--ltv", "--crl", hsm_sim().pem("crl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_pdfsig_valid(dir_ / "lt.pdf", 1);
  // The live responder cannot be reached: the OCSP response in the DSS tells.
  auto report = verify_json(dir_ / "lt.pdf", {"--ocsp-url", "http://127.0.0.1:" + std::to_string(closed_port())});
  ASSERT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  EXPECT_TRUE(report["dss"].get<bool>());
  const auto& s = report["signatures"][0];
  EXPECT_EQ(s["level"], "PAdES-B-LT");
  EXPECT_EQ(s["revocation"]["source"], "OCSP response in the DSS");
  EXPECT_EQ(s["dss_revocation"]["status"], "good");
  EXPECT_FALSE(s["modified"].get<bool>());
  // Without the DSS the same check fails: the DSS is what made it pass.
  auto b = lgsp_sign("pades", "official-01", input(), dir_ / "bb.pdf");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto plain = verify_json(dir_ / "bb.pdf", {"--ocsp-url", "http://127.0.0.1:" + std::to_string(closed_port())});
  EXPECT_FALSE(plain["valid"].get<bool>());
  EXPECT_EQ(plain["code"], "LGSP-VERIFY-REVOCATION-UNKNOWN");
}

TEST_F(Pades, official_then_agency_seal_both_stay_valid) {
  auto r1 = lgsp_sign("pades", "official-01", input(), dir_ / "one.pdf",
                      {"--visible", "1,300,60,250,90", "--image", data("signature.png").string(), "--title", "Chủ tịch",
                       "--reason", "Phê duyệt"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto r2 = lgsp_sign("pades", "agency-seal", dir_ / "one.pdf", dir_ / "two.pdf",
                      {"--visible", "1,300,160,250,90", "--seal-image", data("seal.png").string(), "--tsa", tsa_url()});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  expect_pdfsig_valid(dir_ / "two.pdf", 2);
  // The appearance embeds its TrueType font (Vietnamese text) and the images.
  std::string pdf = slurp(dir_ / "two.pdf");
  EXPECT_NE(pdf.find("/FontFile2"), std::string::npos);
  EXPECT_NE(pdf.find("/Subtype/Image"), std::string::npos);

  auto report = verify_json(dir_ / "two.pdf");
  ASSERT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  ASSERT_EQ(report["signatures"].size(), 2u);
  const auto& first = report["signatures"][0];
  EXPECT_FALSE(first["covers_whole_file"].get<bool>());
  EXPECT_FALSE(first["modified"].get<bool>());
  EXPECT_FALSE(first["changes_after"]["allowed"].empty());
  EXPECT_TRUE(first["changes_after"]["disallowed"].empty());
  EXPECT_NE(first["signer"]["subject"].get<std::string>().find("Nguyễn Văn An"), std::string::npos);
  EXPECT_NE(report["signatures"][1]["signer"]["subject"].get<std::string>().find("Con dấu"), std::string::npos);
}

TEST_F(Pades, a_pdf_signed_by_pdfsig_verifies_with_lgsp) {
  // pdfsig signs with an NSS software key: hsm-sim's peer signer imported from PKCS#12.
  auto nss_dir = dir_ / "nss";
  std::filesystem::create_directories(nss_dir);
  std::string db = "sql:" + nss_dir.string();
  ASSERT_EQ(run({"/usr/bin/certutil", "-N", "-d", db, "--empty-password"}).exit_code, 0);
  auto p12 = openssl({"pkcs12", "-export", "-inkey", (hsm_sim().pki / "peer-signer.key").string(), "-in",
                      hsm_sim().pem("peer-signer").string(), "-certfile", hsm_sim().pem("issuing-ca").string(), "-name",
                      "peer", "-out", (dir_ / "peer.p12").string(), "-passout", "pass:test"});
  ASSERT_EQ(p12.exit_code, 0) << p12.err;
  auto imported = run({"/usr/bin/pk12util", "-i", (dir_ / "peer.p12").string(), "-d", db, "-W", "test"});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  auto added = run({"/usr/bin/pdfsig", "-nssdir", db, "-add-signature", "-nick", "peer", "-reason", "test",
                    input().string(), (dir_ / "poppler.pdf").string()});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;

  auto report = verify_json(dir_ / "poppler.pdf");
  ASSERT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  ASSERT_EQ(report["signatures"].size(), 1u);
  EXPECT_NE(report["signatures"][0]["signer"]["subject"].get<std::string>().find("Hộ tịch"), std::string::npos)
      << report.dump(2);
}

TEST_F(Pades, a_content_change_after_signing_is_reported_as_modified) {
  ASSERT_EQ(lgsp_sign("pades", "official-01", input(), dir_ / "s.pdf").exit_code, 0);
  // An incremental update that draws on page 1: what a forger appending to a signed PDF does.
  {
    PoDoFo::PdfMemDocument doc;
    doc.Load((dir_ / "s.pdf").c_str(), true);
    PoDoFo::PdfPainter painter;
    painter.SetPage(doc.GetPage(0));
    painter.SetFont(doc.CreateFont("Helvetica"));
    painter.DrawText(72, 700, "So tien: 999.000.000 dong");
    painter.FinishPage();
    doc.WriteUpdate((dir_ / "forged.pdf").c_str());
  }
  // pdfsig still calls the signature itself valid (it covers its revision): the change is ours to find.
  auto r = lgsp_verify(dir_ / "forged.pdf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("LGSP-VERIFY-MODIFIED"), std::string::npos) << r.err;
  auto report = verify_json(dir_ / "forged.pdf");
  EXPECT_FALSE(report["valid"].get<bool>());
  EXPECT_TRUE(report["signatures"][0]["modified"].get<bool>());
  EXPECT_FALSE(report["signatures"][0]["changes_after"]["disallowed"].empty());
  EXPECT_EQ(report["signatures"][0]["code"], "LGSP-VERIFY-MODIFIED");
}

TEST_F(Pades, encrypted_damaged_and_non_pdf_inputs_are_refused_with_their_codes) {
  auto enc =
      run({"/usr/bin/qpdf", "--encrypt", "user", "owner", "256", "--", input().string(), (dir_ / "enc.pdf").string()});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  std::string pdf = slurp(input());
  write_file(dir_ / "damaged.pdf", pdf.substr(0, 40));
  write_file(dir_ / "text.pdf", "Quyết định này không phải PDF\n");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"enc.pdf", "LGSP-PDF-ENCRYPTED"}, {"damaged.pdf", "LGSP-PDF-DAMAGED"}, {"text.pdf", "LGSP-PDF-NOT-PDF"}};
  for (const auto& [file, code] : cases) {
    auto r = lgsp_sign("pades", "official-01", dir_ / file, dir_ / ("signed-" + file));
    EXPECT_EQ(r.exit_code, 1) << file;
    EXPECT_NE(r.err.find(code), std::string::npos) << file << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / ("signed-" + file))) << file;
  }
  auto unsigned_report = verify_json(input());
  EXPECT_FALSE(unsigned_report["valid"].get<bool>());
  EXPECT_EQ(unsigned_report["code"], "LGSP-VERIFY-NO-SIGNATURE");
  for (const auto& file : {"enc.pdf", "damaged.pdf"}) {
    auto report = verify_json(dir_ / file);
    EXPECT_FALSE(report["valid"].get<bool>());
    EXPECT_EQ(report["code"], std::string(file) == "enc.pdf" ? "LGSP-PDF-ENCRYPTED" : "LGSP-PDF-DAMAGED");
  }
}

class PadesDeferred : public Pades {
 protected:
  static void SetUpTestSuite() {
    Pades::SetUpTestSuite();
    module_ = new signing::TokenModule(hsm_sim().module);
  }
  static void TearDownTestSuite() {
    delete module_;
    Pades::TearDownTestSuite();
  }
  std::unique_ptr<signing::Signer> signer(const std::string& token) {
    auto pin = hsm_sim().pin;
    return module_->open_signer(
        {token, std::nullopt}, [pin](const std::string&) { return std::optional(pin); },
        signing::load_pem_certificates(hsm_sim().pem("issuing-ca")));
  }
  static signing::TokenModule* module_;
};
signing::TokenModule* PadesDeferred::module_ = nullptr;

TEST_F(PadesDeferred, prepare_then_complete_with_a_signature_made_elsewhere_gives_a_valid_pdf) {
  auto key = signer("official-02");
  std::string pdf = slurp(input());
  signing::Appearance appearance;
  appearance.box = signing::VisibleBox{2, 60, 60, 240, 80};
  appearance.signer_name = "Trần Thị Bình";
  appearance.title = "Phó Chủ tịch";
  // Between the two steps the PreparedPdf travels as bytes (a server keeps it between two requests).
  auto stored = signing::pades_prepare(bytes(pdf), appearance, key->certificate(), key->chain()).serialise();
  auto prepared = PreparedPdf::deserialise(stored);
  EXPECT_EQ(prepared.digest, signing::sha256(prepared.signed_attributes));
  auto signature = key->sign_digest(prepared.digest);  // what a remote token would send back
  signing::PadesOptions options;
  options.tsa_url = tsa_url();
  auto signed_pdf = signing::pades_complete(prepared, signature, key->chain(), options);
  write_bytes(dir_ / "deferred.pdf", signed_pdf);
  expect_pdfsig_valid(dir_ / "deferred.pdf", 1);
  auto report = verify_json(dir_ / "deferred.pdf");
  EXPECT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  EXPECT_EQ(report["signatures"][0]["level"], "PAdES-B-T");
}

TEST_F(PadesDeferred, complete_refuses_a_wrong_signature_or_a_changed_prepared_pdf) {
  auto key = signer("official-02");
  std::string pdf = slurp(input());
  auto prepared = signing::pades_prepare(bytes(pdf), {}, key->certificate(), key->chain());
  // A signature over something else.
  auto other = key->sign_digest(signing::sha256(bytes(std::string("something else"))));
  try {
    signing::pades_complete(prepared, other, key->chain());
    ADD_FAILURE() << "a signature over another digest was embedded";
  } catch (const signing::SigningError& e) {
    EXPECT_EQ(&e.code(), &signing::errors::kBadSignature) << e.what();
  }
  // The PDF changed between prepare and complete (a byte the signature would cover).
  auto tampered = prepared;
  tampered.pdf[20] ^= 1;
  auto signature = key->sign_digest(prepared.digest);
  try {
    signing::pades_complete(tampered, signature, key->chain());
    ADD_FAILURE() << "a changed prepared PDF was completed";
  } catch (const signing::SigningError& e) {
    EXPECT_EQ(&e.code(), &signing::errors::kPdfPrepared) << e.what();
  }
  // Truncated serialised data.
  auto stored = prepared.serialise();
  stored.resize(stored.size() - 5);
  EXPECT_THROW(PreparedPdf::deserialise(stored), signing::SigningError);
  // The untouched one still completes.
  EXPECT_NO_THROW(signing::pades_complete(prepared, signature, key->chain()));
}

}  // namespace
}  // namespace lgsp::test
