// One one-stop office run for real (`lgsp onestop serve` with hsm-sim's tokens): dossiers from filing to the
// result delivered, a supplement round, an overdue dossier with its apology and new appointment, result
// download with and without the right code, and every refusal a counter sees. Results are PDFs the official
// signs on their token from the prepared digest (here in process on hsm-sim's official tokens, as `lgsp agent`
// does; the last test runs `lgsp agent` itself), sealed by the agency, checked with pdfsig and `lgsp verify`.
#include "lgsp/bus/digest.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/onestop/file_links.hpp"
#include "office_process.hpp"
#include "officials.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const std::string kWard = "000.00.13.H29";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";

// The text of a PDF as pdftotext extracts it.
std::string pdf_text(const std::string& pdf, const fs::path& dir) {
  static int n = 0;
  auto file = dir / ("form-" + std::to_string(++n) + ".pdf");
  std::ofstream(file, std::ios::binary) << pdf;
  auto r = lgsp::test::run({"/usr/bin/pdftotext", "-layout", file.string(), "-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

class OnestopOffice : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-office-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    // hsm-sim's tokens hold only their own certificates: the issuing CA completes the chain signatures carry.
    // The test plays the TLS proxy on loopback: its X-Forwarded-For is believed.
    auto env = lgsp::test::hsm_sim_env(hsm_);
    env.push_back("LGSP_ONESTOP_SERVER_TRUSTED_PROXIES=127.0.0.1");
    office_ = new OfficeProcess(dir_, kWard, "UBND phường Bến Thành", env, lgsp::test::office_signing_config(hsm_));
    auto imported = office_->cli({"procedure", "import", (kSamples / "procedures.json").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    receiving_ = office_->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
    processing_ = office_->add_user("hung", "processing", "Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch");
    leader_ = office_->add_user("minh", "leader", "Đỗ Quang Minh", "Phó Chủ tịch UBND phường");
    // Minh signs on hsm-sim's official-01 token: bound by the CCCD number in its subject.
    auto bound = office_->cli({"user", "bind", "minh", "--cccd", "079090000001"});
    ASSERT_EQ(bound.exit_code, 0) << bound.err;
    admin_ = office_->add_user("admin", "admin", "Quản trị");
    office_->start();
    // The officials' tokens, opened in this process as the official's agent would.
    officials_ = new lgsp::test::Officials(hsm_);
    // pdfsig trusts hsm-sim's root through an NSS database.
    nss_ = "sql:" + (dir_ / "nss").string();
    fs::create_directories(dir_ / "nss");
    ASSERT_EQ(lgsp::test::run({"/usr/bin/certutil", "-N", "-d", nss_, "--empty-password"}).exit_code, 0);
    ASSERT_EQ(lgsp::test::run({"/usr/bin/certutil", "-A", "-d", nss_, "-n", "lgsp-test-root", "-t", "CT,C,C", "-i",
                               (hsm_ / "pki/root-ca.pem").string()})
                  .exit_code,
              0);
  }
  static void TearDownTestSuite() {
    delete officials_;
    officials_ = nullptr;
    delete office_;
    office_ = nullptr;
    fs::remove_all(dir_);
  }

  // A citizen e-profile with a fresh ID number; returns its customer code.
  static std::string new_profile(const std::string& name = "Nguyễn Thị Mai", std::string phone = "0912345678") {
    static int n = 0;
    char id[16];
    std::snprintf(id, sizeof id, "0791950%05d", ++n + ::getpid() % 1000 * 10);
    last_id_number_ = id;
    auto r = office_->call("POST", "/onestop/v1/profiles", receiving_,
                           {{"full_name", name},
                            {"id_number", id},
                            {"date_of_birth", "1995-03-14"},
                            {"gender", "female"},
                            {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                            {"ethnicity", "Kinh"},
                            {"nationality", "Việt Nam"},
                            {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                            {"phone", phone}});
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("customer_code", "");
  }
  // Uploaded by the desk, or by `token`'s account (a citizen attaches only what they uploaded themselves).
  static std::string upload_pdf(const std::string& text, const std::string& token = "") {
    std::string pdf = "%PDF-1.4\n% " + text + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    auto r = office_->send("POST", "/onestop/v1/files", token.empty() ? receiving_ : token, pdf, "application/pdf");
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("sha256", "");
  }
  // A birth registration (1.001193) filed at the counter with its mandatory documents.
  static json file_birth(const std::string& customer, const json& extra = json::object()) {
    json req = {{"procedure_code", "1.001193"},
                {"customer_code", customer},
                {"channel", 1},
                {"documents",
                 {{{"code", "TK"}, {"sha256", upload_pdf("to khai")}},
                  {{"code", "GCS"}, {"sha256", upload_pdf("giay chung sinh")}},
                  {{"code", "GTTT"}, {"sha256", upload_pdf("can cuoc")}}}}};
    req.update(extra);
    auto r = office_->call("POST", "/onestop/v1/dossiers", receiving_, req);
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body;
  }
  static lgsp::test::JsonAnswer act(const std::string& token, const std::string& code, const std::string& action,
                                    const json& input = json::object()) {
    return office_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/" + action, token, input);
  }
  static std::string certificate_of(const std::string& token) { return officials_->certificate(token); }
  // A result PDF to sign: the dossier's form 01 as the office renders it (unsealed).
  static std::string result_pdf(const std::string& code) {
    auto r = office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/01", leader_);
    EXPECT_EQ(r.status, 200u) << r.raw;
    return r.raw;
  }
  static lgsp::test::JsonAnswer prepare(const std::string& code, const std::string& pdf,
                                        const std::string& token = "official-01", const std::string& user = "") {
    return office_->call("POST", "/onestop/v1/dossiers/" + code + "/results/prepare", user.empty() ? leader_ : user,
                         {{"name", "Trích lục khai sinh (bản điện tử)"},
                          {"content_base64", lgsp::contracts::base64_encode(pdf)},
                          {"certificate", certificate_of(token)}});
  }
  // The signature the official's token makes over a prepared digest (base64), as `lgsp agent` answers it.
  static std::string signature_over(const std::string& digest_base64, const std::string& token = "official-01") {
    return officials_->sign(token, digest_base64);
  }
  static lgsp::test::JsonAnswer complete(const std::string& code, const std::string& prepared,
                                         const std::string& signature, const std::string& token = "official-01",
                                         const std::string& user = "") {
    return office_->call("POST", "/onestop/v1/dossiers/" + code + "/results/complete", user.empty() ? leader_ : user,
                         {{"prepared", prepared}, {"signature", signature}, {"chain", {certificate_of(token)}}});
  }
  // The whole flow: prepare, the token signs the digest, complete.
  static lgsp::test::JsonAnswer sign_result(const std::string& code, const std::string& token = "official-01",
                                            const std::string& user = "") {
    auto p = prepare(code, result_pdf(code), token, user);
    if (p.status != 201u) return p;
    return complete(code, p.body["prepared"], signature_over(p.body["digest"], token), token, user);
  }
  static lgsp::test::RunResult pdfsig(const fs::path& pdf) {
    return lgsp::test::run({"/usr/bin/pdfsig", "-nssdir", nss_, pdf.string()});
  }
  static int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  // pdfsig's verdict: `signatures` signatures, each valid and trusted.
  static void expect_pdfsig_valid(const fs::path& pdf, int signatures) {
    auto r = pdfsig(pdf);
    EXPECT_EQ(count(r.out, "Signature Validation: Signature is Valid."), signatures) << r.out << r.err;
    EXPECT_EQ(count(r.out, "Certificate Validation: Certificate is Trusted."), signatures) << r.out << r.err;
  }
  static lgsp::test::RunResult lgsp_verify(const fs::path& pdf) {
    return lgsp::test::run({LGSP_BINARY, "verify", "--in", pdf.string(), "--trust", (hsm_ / "pki/root-ca.pem").string(),
                            "--crl", (hsm_ / "pki/crl.pem").string()});
  }
  static std::vector<std::string> actions_of(const json& dossier) {
    std::vector<std::string> out;
    for (const auto& h : dossier["history"]) out.push_back(h["action"]);
    return out;
  }

  static inline fs::path hsm_, dir_;
  static inline OfficeProcess* office_ = nullptr;
  static inline lgsp::test::Officials* officials_ = nullptr;
  static inline std::string nss_;
  static inline std::string receiving_, processing_, leader_, admin_, last_id_number_;
};

TEST_F(OnestopOffice, a_dossier_goes_from_filing_to_result_delivered_with_a_signed_and_sealed_result) {
  auto customer = new_profile();
  auto filed = file_birth(customer);
  const std::string code = filed["code"];
  EXPECT_EQ(code.rfind(kWard + "-", 0), 0u) << code;
  EXPECT_EQ(filed["status"]["code"], 2);
  EXPECT_EQ(filed["steps"].size(), 3u);
  EXPECT_EQ(filed["applicant"]["full_name"], "Nguyễn Thị Mai");  // pre-filled from the e-profile

  // Form 01, the receipt and appointment slip, from what was recorded; issued sealed with the agency seal.
  auto slip = office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/01", receiving_);
  ASSERT_EQ(slip.status, 200u) << slip.raw;
  EXPECT_EQ(slip.headers["content-type"], "application/pdf");
  auto slip_text = pdf_text(slip.raw, dir_);
  EXPECT_NE(slip_text.find("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"), std::string::npos) << slip_text;
  EXPECT_NE(slip_text.find(code), std::string::npos);
  EXPECT_NE(slip_text.find("Nguyễn Thị Mai"), std::string::npos);
  EXPECT_NE(slip_text.find("Thủ tục đăng ký khai sinh"), std::string::npos);
  EXPECT_NE(slip_text.find("UBND PHƯỜNG BẾN THÀNH"), std::string::npos);
  auto issued = office_->call("POST", "/onestop/v1/dossiers/" + code + "/forms/01/seal", receiving_, json::object());
  ASSERT_EQ(issued.status, 201u) << issued.raw;
  EXPECT_EQ(issued.body["signature_format"], "pades");
  EXPECT_FALSE(issued.body.contains("seal_sha256")) << "the seal is in the PDF, no detached .p7s";
  {
    // The stored form is the sealed PDF: valid for pdfsig and `lgsp verify`.
    auto pdf = office_->call("GET", "/onestop/v1/files/" + issued.body["sha256"].get<std::string>(), receiving_);
    std::ofstream(dir_ / "form01.pdf", std::ios::binary) << pdf.raw;
    expect_pdfsig_valid(dir_ / "form01.pdf", 1);
    auto v = lgsp_verify(dir_ / "form01.pdf");
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
  EXPECT_EQ(office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/02", receiving_).status, 409u)
      << "no supplement was asked for";

  auto h1 = office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object());
  ASSERT_EQ(h1.status, 200u) << h1.raw;
  EXPECT_EQ(h1.body["status"]["code"], 4);
  EXPECT_EQ(h1.body["current_step"], 2);
  auto h2 = office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", processing_,
                          {{"comment", "Hồ sơ hợp lệ, trình lãnh đạo ký"}});
  ASSERT_EQ(h2.status, 200u) << h2.raw;
  EXPECT_EQ(h2.body["current_step"], 3);

  // Finishing without a signed result is refused.
  auto early = act(leader_, code, "finish");
  EXPECT_EQ(early.status, 409u) << early.raw;

  auto signed_result = sign_result(code);
  ASSERT_EQ(signed_result.status, 201u) << signed_result.raw;
  json result;
  for (const auto& d : signed_result.body["documents"])
    if (d["kind"] == "result") result = d;
  ASSERT_FALSE(result.is_null()) << signed_result.raw;
  EXPECT_EQ(result["signature_format"], "pades");
  EXPECT_EQ(result["media_type"], "application/pdf");
  EXPECT_NE(result["signer"].get<std::string>().find("CN=Nguyễn Văn An"), std::string::npos) << result.dump();
  ASSERT_TRUE(result.contains("sealer")) << "1.001193 results carry the agency seal: " << result.dump();

  auto finished = act(leader_, code, "finish", {{"comment", "Đã ký kết quả"}});
  ASSERT_EQ(finished.status, 200u) << finished.raw;
  EXPECT_EQ(finished.body["status"]["code"], 9);
  auto delivered = act(receiving_, code, "deliver_result");
  ASSERT_EQ(delivered.status, 200u) << delivered.raw;
  EXPECT_EQ(delivered.body["status"]["code"], 10);
  EXPECT_FALSE(delivered.body["delivered_at"].is_null());
  EXPECT_EQ(actions_of(delivered.body), (std::vector<std::string>{"file", "issue_form", "hand_over", "hand_over",
                                                                  "add_result", "finish", "deliver_result"}));
  // Form 06, the process control slip: every hand-over with its result against the step's due time.
  auto control = pdf_text(office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/06", leader_).raw, dir_);
  EXPECT_NE(control.find("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"), std::string::npos) << control;
  EXPECT_NE(control.find("Trần Thị"), std::string::npos) << control;  // the cell wraps the name
  // Every step handed over before its due time: "Đúng hạn" when that was on the day it was due,
  // "Trước hạn" on an earlier day (a step due tomorrow morning when the test runs after lunch).
  auto occurrences = [&](const std::string& label) {
    std::size_t n = 0;
    for (auto at = control.find(label); at != std::string::npos; at = control.find(label, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(occurrences("Đúng hạn") + occurrences("Trước hạn"), 3u) << control;
  EXPECT_EQ(occurrences("Quá hạn"), 0u) << control;
  for (const auto& h : delivered.body["history"]) EXPECT_FALSE(h["actor"].get<std::string>().empty()) << h.dump();
  for (const auto& s : delivered.body["steps"]) EXPECT_TRUE(s.contains("timeliness")) << s.dump();

  // What the applicant downloads with the right second factor is the PDF signed by the official, then sealed by
  // the agency: two valid signatures for pdfsig and for `lgsp verify`.
  auto dl = office_->call("POST", "/onestop/v1/results/" + code + "/" + result["sha256"].get<std::string>(), "",
                          {{"second_factor", last_id_number_}});
  ASSERT_EQ(dl.status, 200u) << dl.raw;
  EXPECT_EQ(dl.headers["content-type"], "application/pdf");
  std::ofstream(dir_ / "result.pdf", std::ios::binary) << dl.raw;
  expect_pdfsig_valid(dir_ / "result.pdf", 2);
  auto sigs = pdfsig(dir_ / "result.pdf").out;
  auto first = sigs.find("Signature #1"), second = sigs.find("Signature #2");
  ASSERT_NE(second, std::string::npos) << sigs;
  EXPECT_NE(sigs.substr(first, second - first).find("Nguyễn Văn An"), std::string::npos) << "the official first\n"
                                                                                         << sigs;
  auto verified = lgsp_verify(dir_ / "result.pdf");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  // Every status change left DVCQG-shaped records for the portal sync, valid against the portal contracts.
  auto outbox = office_->call("GET", "/onestop/v1/outbox?after=0&limit=1000", admin_);
  ASSERT_EQ(outbox.status, 200u) << outbox.raw;
  std::set<int> statuses;
  int checked = 0;
  for (const auto& rec : outbox.body["records"]) {
    if (rec["dossier_code"] != code) continue;
    std::string service = rec["service"];
    auto file = dir_ / ("record-" + std::to_string(checked++) + ".json");
    std::ofstream(file) << rec["record"].dump();
    auto v = lgsp::test::run({LGSP_BINARY, "validate", "--contract", "dvcqg." + service + "@v1", "--contracts-dir",
                              LGSP_SOURCE_DIR "/contracts", file.string()});
    EXPECT_EQ(v.exit_code, 0) << service << ": " << v.err << rec["record"].dump();
    if (service == "DongBoHoSoMC")
      statuses.insert(std::stoi(rec["record"]["data"][0]["TrangThaiHoSo"].get<std::string>()));
  }
  EXPECT_EQ(statuses, (std::set<int>{2, 4, 9, 10}));
}

TEST_F(OnestopOffice, a_supplement_round_pauses_the_clock_and_resumes_where_it_was) {
  auto code = file_birth(new_profile())["code"].get<std::string>();
  ASSERT_EQ(office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object()).status,
            200u);
  auto missing = act(processing_, code, "request_supplement");
  EXPECT_EQ(missing.status, 400u) << "a supplement request must say what is missing: " << missing.raw;
  auto asked = act(processing_, code, "request_supplement",
                   {{"items", {{{"name", "Giấy chứng sinh (bản chính)"}, {"reason", "bản chụp không đọc được"}}}}});
  ASSERT_EQ(asked.status, 200u) << asked.raw;
  EXPECT_EQ(asked.body["status"]["code"], 5);
  // While it waits for the applicant, processing actions are refused with what is allowed.
  auto refused = act(leader_, code, "finish");
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(refused.body["code"], "LGSP-409-ONESTOP-STATUS");
  EXPECT_FALSE(refused.body["errors"][0]["allowed_actions"].empty()) << refused.raw;
  // Refusing is for dossiers never accepted: this one was, so it could only be stopped.
  auto refuse = act(leader_, code, "refuse", {{"reasons", {"không bổ sung"}}});
  EXPECT_EQ(refuse.status, 409u) << refuse.raw;

  auto back = act(receiving_, code, "supplement_received",
                  {{"documents", {{{"code", "GCS"}, {"sha256", upload_pdf("giay chung sinh ban chinh")}}}}});
  ASSERT_EQ(back.status, 200u) << back.raw;
  EXPECT_EQ(back.body["status"]["code"], 4) << "back to processing, where it was paused";
  EXPECT_EQ(back.body["current_step"], 2);
  int supplements = 0;
  for (const auto& d : back.body["documents"]) supplements += d["kind"] == "supplement";
  EXPECT_EQ(supplements, 1);
  EXPECT_EQ(actions_of(back.body),
            (std::vector<std::string>{"file", "hand_over", "request_supplement", "supplement_received"}));
  EXPECT_EQ(back.body["history"][3]["details"]["as"], "resume_processing");
  // Form 02 lists what was asked for.
  auto form02 = office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/02", processing_);
  ASSERT_EQ(form02.status, 200u) << form02.raw;
  auto text = pdf_text(form02.raw, dir_);
  EXPECT_NE(text.find("Giấy chứng sinh (bản chính)"), std::string::npos) << text;
  EXPECT_NE(text.find("bản chụp không đọc được"), std::string::npos) << text;
  // The portal sees the request and the resumption.
  auto outbox = office_->call("GET", "/onestop/v1/outbox?limit=1000", admin_);
  ASSERT_EQ(outbox.status, 200u);
  std::vector<std::string> progress;
  for (const auto& rec : outbox.body["records"])
    if (rec["dossier_code"] == code && rec["service"] == "CapNhatTienDoHoSoMC")
      progress.push_back(rec["record"]["data"][0]["TrangThai"]);
  EXPECT_EQ(progress, (std::vector<std::string>{"2", "4", "5", "4"}));
}

TEST_F(OnestopOffice, the_desk_finds_an_e_profile_by_id_number_and_no_one_else_can_probe_one) {
  const std::string customer = new_profile("Hồ Thị Lệ");
  const std::string id = last_id_number_;
  auto found = office_->call("GET", "/onestop/v1/profiles?id_number=" + id, receiving_);
  ASSERT_EQ(found.status, 200u) << found.raw;
  EXPECT_EQ(found.body["customer_code"], customer);
  EXPECT_EQ(found.body["identity"]["full_name"], "Hồ Thị Lệ");
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles?id_number=" + id, leader_).status, 200u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles?id_number=079199999999", receiving_).status, 404u);
  for (const char* bad : {"", "12345", "07919500000a", "0791950000011"}) {
    auto r = office_->call("GET", std::string("/onestop/v1/profiles?id_number=") + bad, receiving_);
    EXPECT_EQ(r.status, 400u) << bad << ": " << r.raw;
    EXPECT_EQ(r.body["errors"][0]["path"], "/id_number") << r.raw;
  }
  // An admin sees no personal data; without an account there is nothing to ask.
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles?id_number=" + id, admin_).status, 403u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles?id_number=" + id).status, 401u);
}

TEST_F(OnestopOffice, an_admin_lists_the_officials_binds_a_signing_identity_and_reads_versions_and_calendar) {
  auto made =
      office_->call("POST", "/onestop/v1/users", admin_,
                    {{"username", "thu"}, {"role", "processing"}, {"name", "Võ Thị Thu"}, {"title", "Công chức"}});
  ASSERT_EQ(made.status, 201u) << made.raw;
  auto users = [&](const std::string& token) {
    auto r = office_->call("GET", "/onestop/v1/users", token);
    std::map<std::string, json> out;
    if (r.status == 200u)
      for (const auto& u : r.body["users"]) out[u["username"].get<std::string>()] = u;
    return std::make_pair(r.status, out);
  };
  auto [status, listed] = users(admin_);
  ASSERT_EQ(status, 200u);
  EXPECT_EQ(listed["minh"]["cccd"], "079090000001");
  EXPECT_EQ(listed["minh"]["role"], "leader");
  EXPECT_TRUE(listed["thu"]["certificate_sha256"].is_null());
  for (const auto& [name, u] : listed) EXPECT_NE(u["role"], "citizen") << name << ": citizens' accounts are theirs";
  EXPECT_EQ(users(receiving_).first, 403u);

  // hsm-sim's official-02 certificate (PEM: its base64 is the DER's), bound with the CCCD number.
  std::string pem = lgsp::test::read_file(hsm_ / "pki/official-02.pem"), b64;
  auto begin = pem.find("-----BEGIN CERTIFICATE-----"), end = pem.find("-----END CERTIFICATE-----");
  ASSERT_NE(begin, std::string::npos);
  for (char c : pem.substr(begin + 27, end - begin - 27))
    if (c != '\n' && c != '\r') b64 += c;
  const std::string fingerprint = lgsp::bus::sha256_hex(*lgsp::contracts::base64_decode(b64));
  const std::string bind = "/onestop/v1/users/thu/bind";
  auto bound = office_->call("POST", bind, admin_, {{"certificate", b64}, {"cccd", "079190000002"}});
  ASSERT_EQ(bound.status, 200u) << bound.raw;
  EXPECT_EQ(bound.body["certificate_sha256"], fingerprint);
  EXPECT_EQ(bound.body["cccd"], "079190000002");
  // What is not given is kept; "" clears.
  auto cleared = office_->call("POST", bind, admin_, {{"cccd", ""}});
  ASSERT_EQ(cleared.status, 200u) << cleared.raw;
  EXPECT_TRUE(cleared.body["cccd"].is_null());
  EXPECT_EQ(cleared.body["certificate_sha256"], fingerprint);
  EXPECT_EQ(users(admin_).second["thu"]["certificate_sha256"], fingerprint);
  // Refused: not an admin, a bad CCCD, not a certificate, nothing to bind, an unknown account, another unit's.
  EXPECT_EQ(office_->call("POST", bind, leader_, {{"cccd", "079190000002"}}).status, 403u);
  EXPECT_EQ(office_->call("POST", bind, admin_, {{"cccd", "12345"}}).status, 400u);
  EXPECT_EQ(office_->call("POST", bind, admin_, {{"cccd", 79190000002}}).status, 400u);
  EXPECT_EQ(office_->call("POST", bind, admin_, {{"certificate", "bm90IGEgY2VydGlmaWNhdGU="}}).status, 400u);
  EXPECT_EQ(office_->call("POST", bind, admin_, json::object()).status, 400u);
  EXPECT_EQ(office_->call("POST", "/onestop/v1/users/khong-co/bind", admin_, {{"cccd", "079190000002"}}).status, 404u);
  auto other = office_->cli({"user", "add", "admin15", "--role", "admin", "--unit", "000.00.15.H29"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  std::string other_admin = other.out.substr(0, other.out.find('\n'));
  EXPECT_EQ(office_->call("POST", bind, other_admin, {{"cccd", "079190000002"}}).status, 404u)
      << "another unit's official is out of scope";
  EXPECT_FALSE(users(other_admin).second.count("thu"));
  EXPECT_EQ(users(admin_).second["thu"]["certificate_sha256"], fingerprint) << "nothing refused changed it";

  auto versions = office_->call("GET", "/onestop/v1/procedures/1.001193/versions");
  ASSERT_EQ(versions.status, 200u) << versions.raw;
  ASSERT_FALSE(versions.body["versions"].empty());
  EXPECT_EQ(versions.body["versions"][0]["version"],
            office_->call("GET", "/onestop/v1/procedures/1.001193").body["version"]);
  EXPECT_EQ(versions.body["versions"][0]["steps"], 3);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/procedures/9.999999/versions").status, 404u);
  auto calendar = office_->call("GET", "/onestop/v1/calendar");
  ASSERT_EQ(calendar.status, 200u) << calendar.raw;
  EXPECT_EQ(calendar.body["office_hours"][0][0], "07:30");
  EXPECT_EQ(calendar.body["cut_off"], "16:00");
}

TEST_F(OnestopOffice, each_work_queue_counts_exactly_what_its_query_lists) {
  // Received on paper weeks ago (long overdue, at the counter); received now (on time), handed to the leader's step;
  // received now and handed to processing; one waiting for a supplement, overdue but paused.
  auto late = file_birth(new_profile(), {{"received_at", "2026-11-03T09:00:00+07:00"}});
  auto at_leader = file_birth(new_profile());
  auto at_processing = file_birth(new_profile());
  auto paused = file_birth(new_profile(), {{"received_at", "2026-11-03T09:00:00+07:00"}});
  for (const std::string code : {at_leader["code"], at_processing["code"]})
    ASSERT_EQ(office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object()).status,
              200u);
  ASSERT_EQ(office_
                ->call("POST", "/onestop/v1/dossiers/" + at_leader["code"].get<std::string>() + "/handover",
                       processing_, {{"comment", "Trình lãnh đạo ký"}})
                .status,
            200u);
  auto supplement =
      act(receiving_, paused["code"], "request_supplement",
          {{"items", {{{"name", "Giấy chứng sinh (bản chính)"}, {"reason", "bản chụp không đọc được"}}}}});
  ASSERT_EQ(supplement.status, 200u) << supplement.raw;

  auto listed = [](const std::string& token, const std::string& query) {
    auto r = office_->call("GET", "/onestop/v1/dossiers?" + query, token);
    EXPECT_EQ(r.status, 200u) << query << ": " << r.raw;
    std::set<std::string> codes;
    for (const auto& d : r.body["dossiers"]) codes.insert(d["code"].get<std::string>());
    return codes;
  };
  std::map<std::string, std::set<std::string>> queues;
  for (const auto& token : {receiving_, processing_, leader_}) {
    auto q = office_->call("GET", "/onestop/v1/queues", token);
    ASSERT_EQ(q.status, 200u) << q.raw;
    EXPECT_EQ(q.body["queues"][0]["name"], "overdue");
    for (const auto& e : q.body["queues"]) {
      auto codes = listed(token, e["query"]);
      EXPECT_EQ(static_cast<int>(codes.size()), e["count"].get<int>()) << e.dump();
      queues[e["name"].get<std::string>()] = codes;
    }
  }
  EXPECT_TRUE(queues["overdue"].count(late["code"]));
  EXPECT_FALSE(queues["overdue"].count(at_leader["code"]));
  EXPECT_FALSE(queues["overdue"].count(paused["code"])) << "a dossier waiting for a supplement does not run late";
  EXPECT_TRUE(queues["supplement"].count(paused["code"]));
  EXPECT_TRUE(queues["to_sign"].count(at_leader["code"]));
  EXPECT_FALSE(queues["to_sign"].count(at_processing["code"])) << "still at the specialist's step";
  EXPECT_TRUE(queues["processing"].count(at_processing["code"]));
  EXPECT_FALSE(queues["at_another_agency"].count(at_processing["code"])) << "processed here";

  // The queue filters are checked like any query.
  EXPECT_EQ(office_->call("GET", "/onestop/v1/dossiers?overdue=yes", receiving_).status, 400u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/dossiers?step_role=admin", receiving_).status, 400u);
}

TEST_F(OnestopOffice, an_overdue_dossier_moves_its_due_time_only_with_an_apology_and_new_appointment) {
  // Entered by the counter as received on paper three weeks ago: a half-day procedure, long overdue.
  auto filed = file_birth(new_profile(), {{"received_at", "2026-11-02T09:00:00+07:00"}});
  const std::string code = filed["code"];
  EXPECT_EQ(filed["received_at"], "2026-11-02T09:00:00+07:00");
  EXPECT_EQ(filed["due_at"], "2026-11-02T14:30:00+07:00");  // 09:00 + 4 working hours, over the 11:30-13:00 lunch break
  EXPECT_TRUE(filed["overdue"].get<bool>());
  EXPECT_EQ(code.substr(kWard.size() + 1, 6), "261102") << "the code carries the day of receipt";

  auto no_reason =
      office_->call("POST", "/onestop/v1/dossiers/" + code + "/extend", leader_, {{"extra_working_days", 2}});
  EXPECT_EQ(no_reason.status, 400u) << no_reason.raw;
  auto earlier = office_->call("POST", "/onestop/v1/dossiers/" + code + "/extend", leader_,
                               {{"reason", "Chờ xác minh"}, {"new_due_at", "2026-11-02T12:00:00+07:00"}});
  EXPECT_EQ(earlier.status, 400u) << earlier.raw;
  auto processing_may_not = office_->call("POST", "/onestop/v1/dossiers/" + code + "/extend", processing_,
                                          {{"reason", "x"}, {"extra_working_days", 1}});
  EXPECT_EQ(processing_may_not.status, 403u);

  auto extended =
      office_->call("POST", "/onestop/v1/dossiers/" + code + "/extend", leader_,
                    {{"reason", "Cần xác minh thông tin nơi sinh với bệnh viện"}, {"extra_working_days", 2}});
  ASSERT_EQ(extended.status, 200u) << extended.raw;
  EXPECT_EQ(extended.body["original_due_at"], "2026-11-02T14:30:00+07:00") << "kept for reporting";
  EXPECT_NE(extended.body["due_at"], "2026-11-02T14:30:00+07:00");
  EXPECT_FALSE(extended.body["overdue"].get<bool>()) << extended.raw;
  EXPECT_EQ(extended.body["extensions"], 1);
  const auto& h = extended.body["history"].back();
  EXPECT_EQ(h["action"], "extend");
  EXPECT_TRUE(h["details"]["overdue"].get<bool>());
  EXPECT_EQ(h["details"]["previous_due_at"], "2026-11-02T14:30:00+07:00");
  // Form 04, the apology and new appointment, carries the reason and both dates.
  auto form04 = office_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/04", leader_);
  ASSERT_EQ(form04.status, 200u) << form04.raw;
  auto letter = pdf_text(form04.raw, dir_);
  EXPECT_NE(letter.find("XIN LỖI"), std::string::npos) << letter;
  EXPECT_NE(letter.find("Cần xác minh thông tin nơi sinh với bệnh viện"), std::string::npos) << letter;
  EXPECT_NE(letter.find("02/11/2026"), std::string::npos) << letter;

  // Finished now, it still counts as late for the leaders' report: the original due time is what is judged.
  ASSERT_EQ(office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object()).status,
            200u);
  ASSERT_EQ(sign_result(code).status, 201u);
  auto finished = act(leader_, code, "finish");
  ASSERT_EQ(finished.status, 200u) << finished.raw;
  EXPECT_EQ(finished.body["timeliness"], "late");
  auto report = office_->cli({"report", "--from", "2026-11-01", "--to", "2027-01-01", "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto lines = json::parse(report.out)["lines"];
  bool found = false;
  for (const auto& l : lines)
    if (l["procedure_code"] == "1.001193") {
      found = true;
      EXPECT_GE(l["resolved_late"].get<int>(), 1) << l.dump();
      EXPECT_GE(l["received"].get<int>(), 1);
    }
  EXPECT_TRUE(found) << report.out;
  auto csv = office_->cli({"report", "--from", "2026-11-01", "--to", "2027-01-01", "--unit", kWard});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "unit,procedure_code,procedure_name,received,resolved,resolved_early,resolved_on_time,resolved_late,"
            "in_progress,overdue_now,on_time_rate");
  EXPECT_NE(csv.out.find(kWard + ",1.001193,"), std::string::npos) << csv.out;
  auto over_api = office_->call("GET", "/onestop/v1/report?from=2026-11-01&to=2027-01-01", leader_);
  ASSERT_EQ(over_api.status, 200u) << over_api.raw;
  EXPECT_EQ(over_api.body["lines"], lines) << "the API and the command give the same report";
  EXPECT_EQ(office_->call("GET", "/onestop/v1/report?from=2026-11-01&to=2027-01-01", processing_).status, 403u);
  // Form 07, the register of the period, lists it.
  auto reg = office_->call("GET", "/onestop/v1/register?from=2026-11-01&to=2026-11-30", leader_);
  ASSERT_EQ(reg.status, 200u) << reg.raw;
  auto register_text = pdf_text(reg.raw, dir_);
  EXPECT_NE(register_text.find("SỔ THEO DÕI HỒ SƠ"), std::string::npos) << register_text;
  EXPECT_NE(register_text.find(code.substr(0, 20)), std::string::npos) << register_text;  // the cell wraps the code
  EXPECT_NE(register_text.find("Đã xử lý xong"), std::string::npos) << register_text;
}

TEST_F(OnestopOffice, results_download_only_with_the_dossier_code_and_the_right_second_factor) {
  auto customer = new_profile("Phạm Văn Đức", "0987654321");
  std::string id_number = last_id_number_;
  auto code = file_birth(customer)["code"].get<std::string>();
  office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object());
  auto signed_result = sign_result(code);
  ASSERT_EQ(signed_result.status, 201u) << signed_result.raw;
  ASSERT_EQ(act(leader_, code, "finish").status, 200u);

  auto by_phone = office_->call("POST", "/onestop/v1/results/" + code, "", {{"second_factor", "0987654321"}});
  ASSERT_EQ(by_phone.status, 200u) << by_phone.raw;
  ASSERT_EQ(by_phone.body["results"].size(), 1u);
  EXPECT_FALSE(by_phone.body.dump().find("Phạm Văn Đức") != std::string::npos) << "no personal data in the answer";
  auto by_id = office_->call("POST", "/onestop/v1/results/" + code, "", {{"second_factor", id_number}});
  EXPECT_EQ(by_id.status, 200u);

  auto wrong_code =
      office_->call("POST", "/onestop/v1/results/" + kWard + "-261201-9999", "", {{"second_factor", id_number}});
  EXPECT_EQ(wrong_code.status, 403u) << wrong_code.raw;
  auto sha = by_phone.body["results"][0]["sha256"].get<std::string>();
  auto no_factor = office_->call("POST", "/onestop/v1/results/" + code + "/" + sha, "", json::object());
  EXPECT_EQ(no_factor.status, 403u);

  // Guessing is limited per source, never per dossier alone. Through the proxy (X-Forwarded-For), 40
  // strangers try the applicant's dossier with wrong numbers: 120 wrong tries put it "under attack", yet the
  // applicant's right answer from their own address still gets the result.
  auto from = [&](const std::string& forwarded_for, const std::string& dossier, const std::string& factor) {
    return office_->send("POST", "/onestop/v1/results/" + dossier, "", json{{"second_factor", factor}}.dump(),
                         "application/json", {{"X-Forwarded-For", forwarded_for}});
  };
  for (int s = 0; s < 40; ++s)
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(from("203.0.113." + std::to_string(s), code, "09000000" + std::to_string(10 + i)).status, 403u);
  auto applicant = from("198.51.100.7", code, "0987654321");
  EXPECT_EQ(applicant.status, 200u) << "a stranger cannot lock the applicant out: " << applicant.raw;
  // What the client itself writes to the left of the proxy's entry is not believed: the source is still the
  // stranger's address (one that tried while the dossier was under attack), now past its tries on it.
  auto disguised = from("198.51.100.7, 203.0.113.39", code, "0900000099");
  EXPECT_EQ(disguised.status, 429u) << disguised.raw;
  EXPECT_EQ(disguised.body["code"], "LGSP-429-ONESTOP-ATTEMPTS");

  // One source guessing across dossiers (codes are sequential) is cut off after lookup.max_failures (10), and
  // then even a right answer from it waits for the window.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(from("192.0.2.50", kWard + "-261201-90" + std::to_string(10 + i), id_number).status, 403u);
  auto cut_off = from("192.0.2.50", kWard + "-261201-9020", id_number);
  EXPECT_EQ(cut_off.status, 429u) << cut_off.raw;
  EXPECT_EQ(from("192.0.2.50", code, "0987654321").status, 429u);
  EXPECT_EQ(from("192.0.2.51", code, "0987654321").status, 200u) << "the next address is not affected";
}

TEST_F(OnestopOffice, the_catalogue_exports_as_json_that_imports_again_unchanged) {
  auto exported = office_->cli({"procedure", "export", "--out", (dir_ / "catalogue.json").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto catalogue = json::parse(lgsp::test::read_file(dir_ / "catalogue.json"));
  ASSERT_EQ(catalogue["procedures"].size(), 6u);
  auto shipped = json::parse(lgsp::test::read_file(kSamples / "procedures.json"));
  std::set<std::string> codes, shipped_codes;
  for (const auto& p : catalogue["procedures"]) codes.insert(p["code"]);
  for (const auto& p : shipped["procedures"]) shipped_codes.insert(p["code"]);
  EXPECT_EQ(codes, shipped_codes);
  auto again = office_->cli({"procedure", "import", (dir_ / "catalogue.json").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("imported 0, unchanged 6"), std::string::npos) << again.out;
  // The same version with other rules is refused: a change of the rules is a new version.
  catalogue["procedures"][0]["processing_days"] = 7;
  catalogue["procedures"][0]["steps"][1]["working_days"] =
      7 - catalogue["procedures"][0]["steps"][0]["working_days"].get<double>() -
      catalogue["procedures"][0]["steps"][2]["working_days"].get<double>();
  std::ofstream(dir_ / "changed.json") << catalogue.dump();
  auto changed = office_->cli({"procedure", "import", (dir_ / "changed.json").string()});
  EXPECT_EQ(changed.exit_code, 1) << changed.out;
  EXPECT_NE(changed.err.find("new version"), std::string::npos) << changed.err;
  auto public_list = office_->call("GET", "/onestop/v1/procedures");
  ASSERT_EQ(public_list.status, 200u);
  EXPECT_EQ(public_list.body["procedures"].size(), 6u);
}

TEST_F(OnestopOffice, public_lookup_and_sms_answer_status_and_due_time_without_personal_data) {
  auto code = file_birth(new_profile("Võ Thị Hồng"))["code"].get<std::string>();
  auto lookup = office_->call("GET", "/onestop/v1/lookup/" + code);
  ASSERT_EQ(lookup.status, 200u) << lookup.raw;
  EXPECT_EQ(lookup.body["status"]["code"], 2);
  EXPECT_EQ(lookup.body["current_unit"], kWard);
  EXPECT_TRUE(lookup.body.contains("due_at"));
  EXPECT_EQ(lookup.raw.find("Võ Thị Hồng"), std::string::npos);
  EXPECT_EQ(lookup.raw.find(last_id_number_), std::string::npos);
  // The timeline: the birth registration's three steps, the desk's under way, none naming an official.
  ASSERT_EQ(lookup.body["steps"].size(), 3u) << lookup.raw;
  EXPECT_FALSE(lookup.body["steps"][0]["started_at"].is_null());
  EXPECT_TRUE(lookup.body["steps"][0]["finished_at"].is_null());
  EXPECT_TRUE(lookup.body["steps"][2]["started_at"].is_null());
  EXPECT_FALSE(lookup.body["steps"][1]["unit_name"].get<std::string>().empty());
  EXPECT_EQ(lookup.raw.find("Trần Thị Lan"), std::string::npos) << "who received it is not shown";
  EXPECT_EQ(office_->call("GET", "/onestop/v1/lookup/" + kWard + "-200101-0001").status, 404u);

  auto sms = office_->send("POST", "/onestop/v1/sms", "", "TRACUU " + code, "text/plain");
  ASSERT_EQ(sms.status, 200u);
  EXPECT_EQ(sms.raw.rfind("Ho so " + code + ": Duoc tiep nhan. Hen tra ", 0), 0u) << sms.raw;
  EXPECT_EQ(std::count(sms.raw.begin(), sms.raw.end(), '\n'), 1) << "one line";
  EXPECT_NE(sms.raw.find("Dang o: UBND phuong Ben Thanh"), std::string::npos) << sms.raw;
  EXPECT_EQ(office_->send("POST", "/onestop/v1/sms", "", "XEM " + code, "text/plain").raw,
            "Sai cu phap. Soan: TRACUU <ma ho so>\n");
  EXPECT_EQ(office_->send("POST", "/onestop/v1/sms", "", "tracuu 000.00.13.H29-200101-0001", "text/plain").raw,
            "Khong tim thay ho so 000.00.13.H29-200101-0001\n");
}

TEST_F(OnestopOffice, bad_input_is_refused_with_a_specific_code_and_changes_nothing) {
  auto customer = new_profile();
  // Unauthenticated, wrong role, unknown procedure, missing documents, unknown document, bad file type.
  EXPECT_EQ(office_->call("POST", "/onestop/v1/dossiers", "", json::object()).status, 401u);
  EXPECT_EQ(office_->call("POST", "/onestop/v1/dossiers", "not-a-token", json::object()).status, 401u);
  auto wrong_type = office_->call("POST", "/onestop/v1/dossiers", receiving_,
                                  {{"procedure_code", "1.001193"}, {"customer_code", customer}, {"channel", "1"}});
  EXPECT_EQ(wrong_type.status, 400u) << wrong_type.raw;
  EXPECT_EQ(wrong_type.body["code"], "LGSP-400-ONESTOP-INPUT");
  auto by_admin = office_->call("POST", "/onestop/v1/dossiers", admin_, {{"procedure_code", "1.001193"}});
  EXPECT_EQ(by_admin.status, 403u);
  auto unknown = office_->call("POST", "/onestop/v1/dossiers", receiving_,
                               {{"procedure_code", "9.999999"}, {"customer_code", customer}});
  EXPECT_EQ(unknown.status, 404u) << unknown.raw;
  auto missing = office_->call("POST", "/onestop/v1/dossiers", receiving_,
                               {{"procedure_code", "1.001193"},
                                {"customer_code", customer},
                                {"documents", {{{"code", "TK"}, {"sha256", upload_pdf("tk")}}}}});
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(missing.body["code"], "LGSP-400-ONESTOP-DOCUMENTS");
  std::set<std::string> missing_codes;
  for (const auto& e : missing.body["errors"]) missing_codes.insert(e["code"]);
  EXPECT_EQ(missing_codes, (std::set<std::string>{"GCS", "GTTT"}));
  auto not_uploaded = office_->call("POST", "/onestop/v1/dossiers", receiving_,
                                    {{"procedure_code", "1.001193"},
                                     {"customer_code", customer},
                                     {"documents", {{{"code", "TK"}, {"sha256", std::string(64, 'a')}}}}});
  EXPECT_EQ(not_uploaded.status, 400u);
  EXPECT_EQ(not_uploaded.body["errors"][0]["path"], "/documents/0/sha256");

  auto exe = office_->send("POST", "/onestop/v1/files", receiving_, "MZ\x90\x00 not a document", "application/pdf");
  EXPECT_EQ(exe.status, 415u);
  EXPECT_EQ(exe.body["code"], "LGSP-415-ONESTOP-FILE");
  auto liar = office_->send("POST", "/onestop/v1/files", receiving_, "%PDF-1.4 really a pdf", "image/jpeg");
  EXPECT_EQ(liar.status, 415u);
  EXPECT_NE(liar.body["detail"].get<std::string>().find("application/pdf"), std::string::npos);
  std::string jpeg = "\xFF\xD8\xFF\xE0 fake jfif";
  EXPECT_EQ(office_->send("POST", "/onestop/v1/files", receiving_, jpeg, "image/jpeg").status, 201u);
  std::string tiff("II*\0rest", 8);
  EXPECT_EQ(office_->send("POST", "/onestop/v1/files", receiving_, tiff, "image/tiff").status, 201u);

  // An illegal transition names the current status and what is allowed; the dossier is untouched.
  auto code = file_birth(customer)["code"].get<std::string>();
  auto deliver = act(receiving_, code, "deliver_result");
  EXPECT_EQ(deliver.status, 409u);
  EXPECT_EQ(deliver.body["errors"][0]["current"]["code"], 2);
  auto processing_stops = act(processing_, code, "stop", {{"reasons", {"x"}}});
  EXPECT_EQ(processing_stops.status, 403u) << "only a leader stops a dossier";
  auto stop_without_reason = act(leader_, code, "stop");
  EXPECT_EQ(stop_without_reason.status, 400u);
  auto now = office_->call("GET", "/onestop/v1/dossiers/" + code, receiving_);
  EXPECT_EQ(now.body["status"]["code"], 2);
  EXPECT_EQ(now.body["history"].size(), 1u);
  // A signature that does not verify (made over another digest) is refused (422), and nothing is recorded.
  office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object());
  auto p = prepare(code, result_pdf(code));
  ASSERT_EQ(p.status, 201u) << p.raw;
  auto wrong = complete(code, p.body["prepared"], signature_over(lgsp::contracts::base64_encode(std::string(32, 'x'))));
  EXPECT_EQ(wrong.status, 422u) << wrong.raw;
  EXPECT_EQ(wrong.body["code"], "LGSP-422-ONESTOP-SIGNATURE");
  EXPECT_EQ(office_->call("GET", "/onestop/v1/dossiers/" + code, receiving_).body["history"].size(), 2u);
  // The same prepare still completes with the right signature.
  EXPECT_EQ(complete(code, p.body["prepared"], signature_over(p.body["digest"])).status, 201u);
}

TEST_F(OnestopOffice, citizens_file_online_and_see_only_their_own_dossiers) {
  auto mine = new_profile("Lý Thị Thu");
  auto theirs = new_profile("Hồ Văn Nam");
  auto citizen = office_->add_user("thu-" + mine, "citizen", "Lý Thị Thu", "", mine);
  json req = {{"procedure_code", "1.001193"},
              {"documents",
               {{{"code", "TK"}, {"sha256", upload_pdf("tk online", citizen)}},
                {{"code", "GCS"}, {"sha256", upload_pdf("gcs online", citizen)}},
                {{"code", "GTTT"}, {"sha256", upload_pdf("cccd online", citizen)}}}}};
  auto filed = office_->call("POST", "/onestop/v1/dossiers", citizen, req);
  ASSERT_EQ(filed.status, 201u) << filed.raw;
  EXPECT_EQ(filed.body["status"]["code"], 1) << "online dossiers start new, until the desk accepts them";
  EXPECT_EQ(filed.body["channel"], 2);
  const std::string code = filed.body["code"];
  EXPECT_EQ(act(citizen, code, "accept").status, 403u);
  auto accepted = act(receiving_, code, "accept");
  ASSERT_EQ(accepted.status, 200u) << accepted.raw;
  EXPECT_EQ(accepted.body["status"]["code"], 2);

  auto other = file_birth(theirs)["code"].get<std::string>();
  EXPECT_EQ(office_->call("GET", "/onestop/v1/dossiers/" + other, citizen).status, 403u);
  auto list = office_->call("GET", "/onestop/v1/dossiers", citizen);
  ASSERT_EQ(list.status, 200u);
  ASSERT_EQ(list.body["dossiers"].size(), 1u);
  EXPECT_EQ(list.body["dossiers"][0]["code"], code);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles/" + theirs, citizen).status, 403u);

  // The profile keeps the documents for next time, and the transaction history.
  auto profile = office_->call("GET", "/onestop/v1/profiles/" + mine, citizen);
  ASSERT_EQ(profile.status, 200u);
  EXPECT_EQ(profile.body["documents"].size(), 3u);
  EXPECT_EQ(profile.body["transactions"].size(), 1u);
  EXPECT_TRUE(profile.body["valid"].get<bool>());
  auto withdraw = act(citizen, code, "request_withdrawal", {{"comment", "Tôi nộp nhầm thủ tục"}});
  ASSERT_EQ(withdraw.status, 200u) << withdraw.raw;
  EXPECT_EQ(withdraw.body["status"]["code"], 7);
  auto kept = act(leader_, code, "reject_withdrawal");
  ASSERT_EQ(kept.status, 200u) << kept.raw;
  EXPECT_EQ(kept.body["status"]["code"], 2) << "back where it was";
}

TEST_F(OnestopOffice, another_units_officials_get_404_for_this_units_records_and_a_supervisor_reads_them) {
  auto add = [](const std::vector<std::string>& args) {
    auto r = office_->cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string token = r.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  };
  const std::string other = "000.00.14.H29";
  auto other_leader = add({"user", "add", "tuan14", "--role", "leader", "--unit", other, "--name", "Phan Văn Tuấn"});
  auto other_admin = add({"user", "add", "admin14", "--role", "admin", "--unit", other});
  auto supervisor = add({"user", "add", "so-noi-vu", "--role", "leader", "--unit", "000.00.00.H29", "--scope",
                         "province", "--name", "Thanh tra Sở"});
  auto customer = new_profile("Đinh Thị Hạnh");
  auto filed = file_birth(customer);
  const std::string code = filed["code"], sha = filed["documents"][0]["sha256"];
  const std::string d = "/onestop/v1/dossiers/" + code;

  // Reads and actions of another unit: answered as if the dossier, profile or file did not exist.
  for (auto [method, path, body] : std::vector<std::tuple<std::string, std::string, json>>{
           {"GET", d, nullptr},
           {"POST", d + "/actions/stop", {{"reasons", {"x"}}}},
           {"POST", d + "/handover", json::object()},
           {"POST", d + "/extend", {{"reason", "x"}, {"extra_working_days", 1}}},
           {"GET", d + "/forms/01", nullptr},
           {"POST", d + "/forms/01/seal", json::object()},
           {"GET", "/onestop/v1/profiles/" + customer, nullptr},
           {"GET", "/onestop/v1/files/" + sha, nullptr},
           {"GET", "/onestop/v1/report?from=2020-01-01&to=2030-01-01&unit=" + kWard, nullptr},
       }) {
    auto r = office_->call(method, path, other_leader, body);
    EXPECT_EQ(r.status, 404u) << method << " " << path << ": " << r.raw;
  }
  auto sign = office_->call("POST", d + "/results/prepare", other_leader,
                            {{"name", "x"},
                             {"content_base64", lgsp::contracts::base64_encode("%PDF-1.4\n")},
                             {"certificate", certificate_of("official-01")}});
  EXPECT_EQ(sign.status, 404u) << sign.raw;
  for (const std::string& q : std::vector<std::string>{"", "?unit=" + kWard, "?customer_code=" + customer}) {
    auto list = office_->call("GET", "/onestop/v1/dossiers" + q, other_leader);
    ASSERT_EQ(list.status, 200u) << list.raw;
    EXPECT_TRUE(list.body["dossiers"].empty()) << q << ": " << list.raw;
  }
  auto report = office_->call("GET", "/onestop/v1/report?from=2020-01-01&to=2030-01-01", other_leader);
  ASSERT_EQ(report.status, 200u) << report.raw;
  EXPECT_TRUE(report.body["lines"].empty()) << report.raw;
  auto outbox = office_->call("GET", "/onestop/v1/outbox?limit=1000", other_admin);
  ASSERT_EQ(outbox.status, 200u) << outbox.raw;
  EXPECT_TRUE(outbox.body["records"].empty()) << "another unit's portal records carry the applicant's data";
  EXPECT_FALSE(office_->call("GET", "/onestop/v1/outbox?limit=1000", admin_).body["records"].empty());
  auto grant = office_->call("POST", "/onestop/v1/users", admin_,
                             {{"username", "x14"}, {"role", "leader"}, {"unit", other}, {"name", "X"}});
  EXPECT_EQ(grant.status, 403u) << "an admin makes accounts of their own unit only: " << grant.raw;
  EXPECT_EQ(office_->call("GET", d, receiving_).body["history"].size(), 1u) << "nothing was changed";

  // The unit's own officials, and the provincial supervisor reading (not acting).
  EXPECT_EQ(office_->call("GET", d, leader_).status, 200u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/files/" + sha, leader_).status, 200u);
  EXPECT_EQ(office_->call("GET", d, supervisor).status, 200u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/files/" + sha, supervisor).status, 200u);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/profiles/" + customer, supervisor).status, 200u);
  auto all = office_->call("GET", "/onestop/v1/dossiers", supervisor);
  ASSERT_EQ(all.status, 200u);
  EXPECT_NE(all.raw.find(code), std::string::npos);
  EXPECT_EQ(office_->call("GET", "/onestop/v1/me", supervisor).body["scope"], "province");
  auto acted = act(supervisor, code, "stop", {{"reasons", {"x"}}});
  EXPECT_EQ(acted.status, 403u) << acted.raw;
}

// An office with no trusted proxy: X-Forwarded-For is never believed, whatever it says; and a small upload
// quota.
TEST_F(OnestopOffice, a_forged_x_forwarded_for_is_ignored_without_a_trusted_proxy_and_uploads_have_a_quota) {
  OfficeProcess plain(dir_ / "plain", kWard, "UBND phường Bến Thành", lgsp::test::hsm_sim_env(hsm_),
                      "[uploads]\nmax_files = 2\nunused_max_age_seconds = 1\nsweep_seconds = 1\n");
  auto desk = plain.add_user("desk", "receiving", "Desk");
  plain.start();
  auto guess = [&](int i) {
    return plain.send("POST", "/onestop/v1/results/" + kWard + "-261201-80" + std::to_string(10 + i), "",
                      json{{"second_factor", "079195000001"}}.dump(), "application/json",
                      {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}});
  };
  for (int i = 0; i < 10; ++i) EXPECT_EQ(guess(i).status, 403u);
  auto limited = guess(10);
  EXPECT_EQ(limited.status, 429u) << "every try counted against the real peer: " << limited.raw;
  EXPECT_EQ(limited.body["code"], "LGSP-429-ONESTOP-ATTEMPTS");

  auto upload = [&](const std::string& text) {
    return plain.send("POST", "/onestop/v1/files", desk, "%PDF-1.4\n% " + text + "\n%%EOF\n", "application/pdf");
  };
  auto one = upload("one");
  EXPECT_EQ(one.status, 201u);
  EXPECT_EQ(upload("two").status, 201u);
  auto over = upload("three");
  EXPECT_EQ(over.status, 429u) << over.raw;
  EXPECT_EQ(over.body["code"], "LGSP-429-ONESTOP-QUOTA");

  // No dossier uses them: the server's sweep deletes them once they are older than unused_max_age_seconds.
  const std::string file = "/onestop/v1/files/" + one.body.value("sha256", "");
  EXPECT_EQ(plain.call("GET", file, desk).status, 200u);
  unsigned status = 200;
  for (int i = 0; i < 80 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = plain.call("GET", file, desk).status;
  }
  EXPECT_EQ(status, 404u) << "the unused upload was swept";
}

TEST_F(OnestopOffice, a_strangers_upload_is_refused_on_its_header_and_public_calls_take_small_bodies) {
  // 31 MB announced, nothing sent: without a valid token the office answers without waiting for the body.
  auto anonymous =
      lgsp::test::answer_to_header(office_->port(),
                                   "POST /onestop/v1/files HTTP/1.1\r\nHost: o\r\nContent-Type: application/pdf\r\n"
                                   "Content-Length: 31000000\r\n\r\n");
  EXPECT_EQ(anonymous.rfind("HTTP/1.1 401", 0), 0u) << anonymous;
  EXPECT_NE(anonymous.find("Connection: close"), std::string::npos);
  auto forged = lgsp::test::answer_to_header(
      office_->port(),
      "POST /onestop/v1/dossiers HTTP/1.1\r\nHost: o\r\nAuthorization: Bearer not-a-token\r\n"
      "Content-Length: 31000000\r\n\r\n");
  EXPECT_EQ(forged.rfind("HTTP/1.1 401", 0), 0u) << forged;
  auto inbox = lgsp::test::answer_to_header(
      office_->port(), "POST /onestop/v1/bus/submission HTTP/1.1\r\nHost: o\r\nContent-Length: 31000000\r\n\r\n");
  EXPECT_EQ(inbox.rfind("HTTP/1.1 403", 0), 0u) << inbox;
  auto sms = lgsp::test::answer_to_header(office_->port(),
                                          "POST /onestop/v1/sms HTTP/1.1\r\nHost: o\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_EQ(sms.rfind("HTTP/1.1 413", 0), 0u) << sms;
  // An official's upload is still read and stored.
  EXPECT_FALSE(upload_pdf("a large-enough upload, authenticated").empty());
}

}  // namespace

// The portal has no account here: the records it gets point at expiring links signed with the office's key.
TEST_F(OnestopOffice, the_portal_fetches_a_records_files_by_expiring_signed_links_and_nothing_else) {
  auto d = file_birth(new_profile("Phan Văn Lộc"));
  const std::string code = d["code"];
  auto out = office_->call("GET", "/onestop/v1/outbox?limit=1000", admin_);
  ASSERT_EQ(out.status, 200u) << out.raw;
  json files;
  for (const auto& r : out.body["records"])
    if (r["dossier_code"] == code && r["service"] == "DongBoHoSoMC") files = r["record"]["data"][0]["TaiLieuNop"];
  ASSERT_GE(files.size(), 2u) << out.raw;
  const std::string base = office_->url() + "/onestop/v1/public/files/";
  auto path_of = [&](const json& f) {
    std::string url = f["DuongDanTaiTepTin"];
    EXPECT_EQ(url.rfind(base, 0), 0u) << url;
    return url.substr(office_->url().size());
  };
  const std::string link = path_of(files[0]), other = path_of(files[1]);
  const std::string sha = link.substr(std::string("/onestop/v1/public/files/").size(), 64);
  const std::string query = link.substr(link.find('?'));

  auto valid = office_->send("GET", link, "", "", "");
  ASSERT_EQ(valid.status, 200u) << valid.raw;
  EXPECT_EQ(lgsp::bus::sha256_hex(valid.raw), sha);
  EXPECT_EQ(valid.headers["content-type"], "application/pdf");
  // The officials' route still wants a sign-in.
  EXPECT_EQ(office_->send("GET", "/onestop/v1/files/" + sha, "", "", "").status, 401u);

  auto refused = [&](const std::string& path, unsigned status, const std::string& code_expected) {
    auto r = office_->send("GET", path, "", "", "");
    EXPECT_EQ(r.status, status) << path << " " << r.raw;
    EXPECT_EQ(r.body.value("code", ""), code_expected) << path << " " << r.raw;
  };
  std::string tampered = link;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  refused(tampered, 403, "LGSP-403-ONESTOP-LINK");
  // Another file of the same dossier under this file's signature.
  const std::string other_sha = other.substr(std::string("/onestop/v1/public/files/").size(), 64);
  refused("/onestop/v1/public/files/" + other_sha + query, 403, "LGSP-403-ONESTOP-LINK");
  // A later expiry under the same signature.
  auto e = query.find("expires=") + 8;
  refused("/onestop/v1/public/files/" + sha + "?expires=9" + query.substr(e), 403, "LGSP-403-ONESTOP-LINK");
  refused("/onestop/v1/public/files/" + sha, 400, "LGSP-400-ONESTOP-LINK");
  refused("/onestop/v1/public/files/" + sha + "?expires=abc&sig=" + std::string(64, '0'), 400, "LGSP-400-ONESTOP-LINK");

  // Links signed with the office's own key (as the office would), to reach the checks behind the signature.
  std::ifstream key_file(dir_ / "data" / "file-link.key");
  std::string key;
  std::getline(key_file, key);
  ASSERT_EQ(key.size(), 64u);
  EXPECT_EQ(fs::status(dir_ / "data" / "file-link.key").permissions() & fs::perms::mask, fs::perms(0600));
  lgsp::onestop::FileLinks links(key);
  auto now = std::chrono::system_clock::now();
  auto strip = [&](const std::string& url) { return url.substr(office_->url().size()); };
  refused(strip(links.url(office_->url(), sha, now - std::chrono::seconds(1))), 410, "LGSP-410-ONESTOP-LINK-EXPIRED");
  EXPECT_EQ(office_->send("GET", strip(links.url(office_->url(), sha, now + std::chrono::hours(1))), "", "", "").status,
            200u);
  // A file in no record for the portal (an upload no dossier uses) is not served even with a good signature.
  const std::string loose = upload_pdf("not in any dossier");
  refused(strip(links.url(office_->url(), loose, now + std::chrono::hours(1))), 404, "LGSP-404-ONESTOP-LINK-FILE");
}

TEST_F(OnestopOffice, a_leader_signs_several_dossiers_with_one_batch_of_signatures) {
  // Prepare each, sign every digest in one go (the agent's one-PIN batch), complete each.
  std::vector<std::string> codes;
  std::vector<json> prepared;
  for (int i = 0; i < 3; ++i) {
    codes.push_back(file_birth(new_profile())["code"]);
    ASSERT_EQ(
        office_->call("POST", "/onestop/v1/dossiers/" + codes.back() + "/handover", receiving_, json::object()).status,
        200u);
    auto p = prepare(codes.back(), result_pdf(codes.back()));
    ASSERT_EQ(p.status, 201u) << p.raw;
    EXPECT_NE(p.body["title"].get<std::string>().find(codes.back()), std::string::npos) << p.raw;
    prepared.push_back(p.body);
  }
  std::vector<std::string> signatures;
  for (const auto& p : prepared) signatures.push_back(signature_over(p["digest"]));
  for (std::size_t i = 0; i < codes.size(); ++i) {
    auto c = complete(codes[i], prepared[i]["prepared"], signatures[i]);
    ASSERT_EQ(c.status, 201u) << c.raw;
    // Completing twice: the prepare is gone.
    auto again = complete(codes[i], prepared[i]["prepared"], signatures[i]);
    EXPECT_EQ(again.status, 404u) << again.raw;
    EXPECT_EQ(again.body["code"], "LGSP-404-ONESTOP-PREPARED");
  }
}

TEST_F(OnestopOffice, a_result_is_refused_for_an_unbound_or_revoked_certificate_a_bad_pdf_or_a_foreign_prepare) {
  auto code = file_birth(new_profile())["code"].get<std::string>();
  ASSERT_EQ(office_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", receiving_, json::object()).status,
            200u);
  auto history = [&] {
    return office_->call("GET", "/onestop/v1/dossiers/" + code, receiving_).body["history"].size();
  };
  const auto before = history();
  auto pdf = result_pdf(code);

  // The old body with a server token and a PIN.
  auto old = office_->call("POST", "/onestop/v1/dossiers/" + code + "/results", leader_,
                           {{"name", "x"},
                            {"media_type", "application/pdf"},
                            {"content_base64", "JVBERi0="},
                            {"token", "official-01"},
                            {"pin", "123456"}});
  EXPECT_EQ(old.status, 410u) << old.raw;
  EXPECT_EQ(old.body["code"], "LGSP-410-ONESTOP-RESULT-TOKEN");
  EXPECT_NE(old.body["detail"].get<std::string>().find("results/prepare"), std::string::npos) << old.raw;

  // Another official's certificate (official-02, CCCD 079190000002) is not bound to Minh.
  auto foreign = prepare(code, pdf, "official-02");
  EXPECT_EQ(foreign.status, 403u) << foreign.raw;
  EXPECT_EQ(foreign.body["code"], "LGSP-403-ONESTOP-CERTIFICATE");

  // Not a PDF, and an encrypted PDF.
  auto not_pdf = prepare(code, "just some text, not a PDF at all");
  EXPECT_EQ(not_pdf.status, 415u) << not_pdf.raw;
  EXPECT_EQ(not_pdf.body["code"], "LGSP-415-ONESTOP-NOT-PDF");
  auto damaged = prepare(code, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< >>\n%%EOF\n");
  EXPECT_EQ(damaged.status, 422u) << damaged.raw;
  EXPECT_EQ(damaged.body["code"], "LGSP-422-ONESTOP-PDF-DAMAGED");
  std::ofstream(dir_ / "plain.pdf", std::ios::binary) << pdf;
  auto enc = lgsp::test::run({"/usr/bin/qpdf", "--encrypt", "u", "o", "256", "--", (dir_ / "plain.pdf").string(),
                              (dir_ / "encrypted.pdf").string()});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  std::ifstream in(dir_ / "encrypted.pdf", std::ios::binary);
  std::string encrypted((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto locked = prepare(code, encrypted);
  EXPECT_EQ(locked.status, 422u) << locked.raw;
  EXPECT_EQ(locked.body["code"], "LGSP-422-ONESTOP-PDF-ENCRYPTED");

  // A prepare is its user's and its dossier's only.
  auto p = prepare(code, pdf);
  ASSERT_EQ(p.status, 201u) << p.raw;
  auto other_code = file_birth(new_profile())["code"].get<std::string>();
  office_->call("POST", "/onestop/v1/dossiers/" + other_code + "/handover", receiving_, json::object());
  auto other_dossier = complete(other_code, p.body["prepared"], signature_over(p.body["digest"]));
  EXPECT_EQ(other_dossier.status, 404u) << other_dossier.raw;
  EXPECT_EQ(other_dossier.body["code"], "LGSP-404-ONESTOP-PREPARED");
  auto other_leader = office_->add_user("cuong", "leader", "Lê Văn Cường", "Chủ tịch UBND phường");
  auto other_user = complete(code, p.body["prepared"], signature_over(p.body["digest"]), "official-01", other_leader);
  EXPECT_EQ(other_user.status, 404u) << other_user.raw;

  // A revoked certificate (official-03, in hsm-sim's CRL), bound to Cường by its fingerprint.
  std::ofstream(dir_ / "official-03.pem") << std::ifstream(hsm_ / "pki/official-03.pem").rdbuf();
  auto bind = office_->cli({"user", "bind", "cuong", "--certificate", (dir_ / "official-03.pem").string()});
  ASSERT_EQ(bind.exit_code, 0) << bind.err;
  EXPECT_NE(bind.out.find("certificate "), std::string::npos) << bind.out;
  auto revoked = sign_result(code, "official-03", other_leader);
  EXPECT_EQ(revoked.status, 422u) << revoked.raw;
  EXPECT_EQ(revoked.body["code"], "LGSP-422-ONESTOP-CERTIFICATE-REVOKED");
  // A malformed binding, or one for nobody, is refused by the CLI.
  EXPECT_NE(office_->cli({"user", "bind", "cuong", "--cccd", "12345"}).exit_code, 0);
  EXPECT_NE(office_->cli({"user", "bind", "nobody", "--cccd", "079090000001"}).exit_code, 0);

  EXPECT_EQ(history(), before) << "nothing was recorded";
  // Minh's own prepare still completes.
  EXPECT_EQ(complete(code, p.body["prepared"], signature_over(p.body["digest"])).status, 201u);
}

// The whole flow for real, as the office's page runs it: the official's `lgsp agent` (scripted pinentry for the
// official, hsm-sim's tokens), the office, and a client sending the page's Origin. Two dossiers, one PIN entry.
TEST_F(OnestopOffice, the_official_signs_two_results_through_lgsp_agent_with_one_pin_and_the_citizen_gets_them) {
  const fs::path pinentry_dir = dir_ / "pinentry";
  fs::create_directories(pinentry_dir);
  auto env = lgsp::test::hsm_sim_env(hsm_);
  env.push_back("SCRIPTED_PINENTRY_DIR=" + pinentry_dir.string());
  std::string module;
  for (const auto& e : env)
    if (e.rfind("LGSP_PKCS11_MODULE=", 0) == 0) module = e.substr(19);
  const std::string origin = office_->url();
  const unsigned short port = lgsp::test::free_port();
  lgsp::test::Process agent(
      {LGSP_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port), "--allow-origin", origin, "--pinentry",
       LGSP_SOURCE_DIR "/tests/support/scripted-pinentry", "--module", module},
      dir_ / "agent.log", env);
  auto agent_call = [&](const std::string& method, const std::string& target, const json& body = nullptr) {
    for (int i = 0;; ++i) {
      try {
        lgsp::test::HttpClient client("127.0.0.1", port);
        std::map<std::string, std::string> headers = {{"Origin", origin}};
        if (!body.is_null()) headers["Content-Type"] = "application/json";
        return client.request(method, target, body.is_null() ? "" : body.dump(), headers);
      } catch (const std::exception&) {
        if (i == 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  };

  // The page lists the official's certificates and takes official-01's.
  auto listed = agent_call("GET", "/v1/certificates");
  ASSERT_EQ(listed.status, 200u) << listed.body;
  json chosen, certificates = json::parse(listed.body)["certificates"];
  for (const auto& c : certificates)
    if (c["token_label"] == "official-01") chosen = c;
  ASSERT_FALSE(chosen.is_null()) << listed.body;

  // The leader prepares both results at the office (the page sends its Origin, as a browser does).
  std::vector<std::string> codes, ids, factors;
  json items = json::array();
  for (int i = 0; i < 2; ++i) {
    codes.push_back(file_birth(new_profile())["code"]);
    factors.push_back(last_id_number_);
    ASSERT_EQ(
        office_->call("POST", "/onestop/v1/dossiers/" + codes.back() + "/handover", receiving_, json::object()).status,
        200u);
    auto p = office_->send("POST", "/onestop/v1/dossiers/" + codes.back() + "/results/prepare", leader_,
                           json{{"name", "Trích lục khai sinh (bản điện tử)"},
                                {"content_base64", lgsp::contracts::base64_encode(result_pdf(codes.back()))},
                                {"certificate", chosen["certificate"]}}
                               .dump(),
                           "application/json", {{"Origin", origin}});
    ASSERT_EQ(p.status, 201u) << p.raw;
    ids.push_back(p.body["prepared"]);
    items.push_back({{"digest", p.body["digest"]}, {"title", p.body["title"]}});
  }

  // One batch to the agent: one PIN entry for both.
  auto signed_batch = agent_call("POST", "/v1/sign", {{"certificate", chosen["fingerprint"]}, {"items", items}});
  ASSERT_EQ(signed_batch.status, 200u) << signed_batch.body << lgsp::test::read_file(dir_ / "agent.log");
  auto batch = json::parse(signed_batch.body);
  ASSERT_EQ(batch["signatures"].size(), 2u);
  auto record = lgsp::test::read_file(pinentry_dir / "record");
  EXPECT_EQ(count(record, "=== pinentry"), 1) << record;
  EXPECT_NE(record.find(codes[0]), std::string::npos) << "the PIN dialog names the documents: " << record;

  for (std::size_t i = 0; i < 2; ++i) {
    auto c = office_->send(
        "POST", "/onestop/v1/dossiers/" + codes[i] + "/results/complete", leader_,
        json{{"prepared", ids[i]}, {"signature", batch["signatures"][i]}, {"chain", batch["chain"]}}.dump(),
        "application/json", {{"Origin", origin}});
    ASSERT_EQ(c.status, 201u) << c.raw;
    json result;
    for (const auto& d : c.body["documents"])
      if (d["kind"] == "result") result = d;
    ASSERT_EQ(act(leader_, codes[i], "finish").status, 200u);
    // The citizen downloads the PDF: the official's signature, then the agency seal, both valid for pdfsig.
    auto dl = office_->call("POST", "/onestop/v1/results/" + codes[i] + "/" + result["sha256"].get<std::string>(), "",
                            {{"second_factor", factors[i]}});
    ASSERT_EQ(dl.status, 200u) << dl.raw;
    const auto file = dir_ / ("agent-result-" + std::to_string(i) + ".pdf");
    std::ofstream(file, std::ios::binary) << dl.raw;
    expect_pdfsig_valid(file, 2);
    auto out = pdfsig(file).out;
    auto second = out.find("Signature #2");
    ASSERT_NE(second, std::string::npos) << out;
    EXPECT_NE(out.substr(0, second).find("Nguyễn Văn An"), std::string::npos) << out;
    EXPECT_EQ(out.substr(second).find("Nguyễn Văn An"), std::string::npos) << "the second is the agency seal\n" << out;
  }
}
