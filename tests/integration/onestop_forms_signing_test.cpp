// Form 01 sealed with the agency seal on the hsm-sim token `agency-seal`; openssl cms verifies the detached
// CAdES signature against the test root, and rejects it once a byte of the PDF changes.
#include "lgsp/onestop/forms.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/token.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using namespace std::chrono;

namespace {

void write_file(const fs::path& file, const std::vector<unsigned char>& bytes) {
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ReceiptSlip receipt() {
  const TimePoint received = at_local(Date{year{2025}, month{11}, day{20}}, hours{9} + minutes{31});
  ReceiptSlip f;
  f.header = {"UBND QUẬN 1", "UBND PHƯỜNG BẾN THÀNH", "Bến Thành", "125/TNHS", received};
  f.dossier_code = "H29.12-251120-0007";
  f.applicant = {"Nguyễn Thị Hoà Ánh", "Số 12 Lê Lợi, phường Bến Thành", "", ""};
  f.procedure_name = "Đăng ký khai sinh";
  f.documents = {{"Tờ khai đăng ký khai sinh", 1, 0}};
  f.received_at = received;
  f.due_at = received + days{3};
  f.lookup_url = "https://dichvucong.example.vn/tra-cuu?ma=H29.12-251120-0007";
  f.receiving_officer = {"", "Trần Thị Bình"};
  return f;
}

class FormSealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture (LGSP_TEST_HSM_DIR)";
    hsm_ = hsm;
    lgsp::test::export_hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-form-seal-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  lgsp::test::RunResult cms_verify(const fs::path& p7s, const fs::path& content) {
    return lgsp::test::run({OPENSSL_BINARY, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s.string(),
                            "-content", content.string(), "-CAfile", (hsm_ / "pki/root-ca.pem").string(), "-purpose",
                            "any", "-out", "/dev/null"});
  }

  fs::path hsm_;
  fs::path dir_;
};

TEST_F(FormSealTest, form_01_sealed_on_the_agency_seal_token_verifies_and_a_changed_pdf_does_not) {
  auto pdf = render(receipt());
  std::vector<unsigned char> p7s;
  {
    lgsp::signing::TokenModule module(std::getenv("LGSP_PKCS11_MODULE"));
    const std::string pin = std::getenv("LGSP_PIN");
    auto seal = module.open_signer(
        {"agency-seal", std::nullopt}, [pin](const std::string&) { return std::optional<std::string>(pin); },
        lgsp::signing::load_pem_certificates(hsm_ / "pki/issuing-ca.pem"));
    EXPECT_NE(lgsp::signing::name_to_utf8(X509_get_subject_name(seal->certificate())).find("UBND phường Bến Thành"),
              std::string::npos);
    p7s = sign_form(pdf, *seal);
  }
  ASSERT_FALSE(p7s.empty());
  write_file(dir_ / "form01.pdf", pdf);
  write_file(dir_ / "form01.p7s", p7s);

  auto ok = cms_verify(dir_ / "form01.p7s", dir_ / "form01.pdf");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.err.find("Verification successful"), std::string::npos) << ok.err;

  auto printed = lgsp::test::run(
      {OPENSSL_BINARY, "cms", "-cmsout", "-print", "-inform", "DER", "-in", (dir_ / "form01.p7s").string()});
  EXPECT_NE(printed.out.find("id-smime-aa-signingCertificateV2"), std::string::npos);
  EXPECT_NE(printed.out.find("Con d"), std::string::npos);  // the seal's certificate is carried

  auto changed = pdf;
  changed[changed.size() / 2] ^= 0x01;
  write_file(dir_ / "changed.pdf", changed);
  auto bad = cms_verify(dir_ / "form01.p7s", dir_ / "changed.pdf");
  EXPECT_NE(bad.exit_code, 0) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("content verify error"), std::string::npos) << bad.err;  // the message digest differs
}

}  // namespace
