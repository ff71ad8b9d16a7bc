// Civil-status extracts (trích lục) issued end to end through two nodes (docs/onestop.md, "Civil-registry extracts
// (trích lục)"): the ward's one-stop office on the ward node asks the civil-status registry, whose node proxies to
// a stand-in registry system in this process (the real one, the Justice ministry's civil-status database, cannot
// run here). The stand-in answers found (a PAdES-signed PDF made at set-up with the signing library and the
// registry's seal, hsm-sim's peer-signer "Sở Tư pháp / Hệ thống Hộ tịch"), not found, refused, and bad answers: a
// document whose bytes do not match its hash, one altered after signing, one signed on hsm-sim's agency-seal token
// (valid, trusted, but not the registry's seal), a contract-valid answer to another request, a contract-invalid
// answer, no answer in time, and the registry down. Everything else is real: `lgsp serve` nodes over mutual TLS,
// `lgsp onestop serve` with the agency seal on hsm-sim, and pdfsig on what the citizen downloads.
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/token.hpp"
#include "office_process.hpp"
#include "officials.hpp"
#include "tls_node.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";
const std::string kWard = "000.00.13.H29";      // UBND phường Bến Thành
const std::string kRegistry = "000.00.09.H29";  // Sở Tư pháp Thành phố Hồ Chí Minh (civil-status registry)
const std::string kService = kRegistry + "/HOTICH/trichluc/v1";
const std::string kDocuments = kRegistry + "/HOTICH/trichluc.document/v1";

// A one-page PDF as a registry's printer would make it (xref offsets exact, so any reader takes it).
std::vector<unsigned char> extract_pdf(const std::string& line) {
  std::string content = "BT /F1 14 Tf 72 760 Td (" + line + ") Tj ET\n";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R "
      ">>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream"};
  std::string pdf = "%PDF-1.7\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto o : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", o);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return {pdf.begin(), pdf.end()};
}

lgsp::signing::Appearance registry_look() {
  lgsp::signing::Appearance look;
  look.box = lgsp::signing::VisibleBox{1, 330, 40, 230, 75};
  look.signer_name = "Sở Tư pháp Thành phố Hồ Chí Minh";
  look.agency = "Hệ thống Hộ tịch";
  look.reason = "Cấp bản sao trích lục hộ tịch điện tử";
  look.location = "Thành phố Hồ Chí Minh";
  return look;
}

// The registry's seal: hsm-sim's peer-signer, a server-held software key of "Sở Tư pháp / Hệ thống Hộ tịch",
// signing through the library's prepare/complete (the key signs the digest, as any remote signer would).
std::vector<unsigned char> seal_as_registry(const std::vector<unsigned char>& pdf, const fs::path& pki) {
  auto cert = lgsp::signing::load_pem_certificates(pki / "peer-signer.pem");
  auto chain = lgsp::signing::load_pem_certificates(pki / "issuing-ca.pem");
  auto prepared = lgsp::signing::pades_prepare(pdf, registry_look(), cert.at(0).get(), chain);
  FILE* f = std::fopen((pki / "peer-signer.key").c_str(), "r");
  EXPECT_NE(f, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  EXPECT_NE(key, nullptr);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  std::vector<unsigned char> signature(512);
  std::size_t length = signature.size();
  bool ok = ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
            EVP_PKEY_sign(ctx, signature.data(), &length, prepared.digest.data(), prepared.digest.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  EXPECT_TRUE(ok);
  signature.resize(length);
  return lgsp::signing::pades_complete(prepared, signature, chain);
}

std::string hex_of(const std::vector<unsigned char>& bytes) {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

class Trichluc : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    pki_ = hsm_ / "pki";
    env_ = lgsp::test::hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-trichluc-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ward_node_port_ = lgsp::test::free_port();
    registry_node_port_ = lgsp::test::free_port();
  }
  void TearDown() override {
    if (ward_) ward_->stop();
    for (auto* p : {ward_node_.get(), registry_node_.get()})
      if (p) p->signal(SIGTERM);
    ward_node_.reset();
    registry_node_.reset();
    if (standin_) standin_->stop();
    fs::remove_all(dir_);
  }

  // The stand-in registry system: answers by the register entry asked for.
  void start_standin() {
    good_ = seal_as_registry(extract_pdf("TRICH LUC KHAI SINH (BAN SAO) SO 451/TLKS-BS - TRAN GIA BAO"), pki_);
    // Altered after signing: one byte of the page text (inside the signed range).
    tampered_ = good_;
    const std::string needle = "TRAN GIA BAO";
    auto at = std::search(tampered_.begin(), tampered_.end(), needle.begin(), needle.end());
    ASSERT_NE(at, tampered_.end());
    *(at + 11) = 'U';
    {  // Signed on a real token of the same PKI, but the ward's own seal, not the registry's.
      lgsp::test::export_hsm_sim_env(hsm_);
      lgsp::signing::TokenModule module(std::getenv("LGSP_PKCS11_MODULE"));
      const std::string pin = std::getenv("LGSP_PIN");
      auto signer = module.open_signer(
          {"agency-seal", std::nullopt}, [pin](const std::string&) { return std::optional<std::string>(pin); },
          lgsp::signing::load_pem_certificates(pki_ / "issuing-ca.pem"));
      wrong_signer_ = lgsp::signing::pades_sign(extract_pdf("TRICH LUC KHAI SINH (BAN SAO) SO 452/TLKS-BS"), *signer,
                                                registry_look());
    }
    for (const auto* doc : {&good_, &tampered_, &wrong_signer_}) documents_[hex_of(*doc)] = *doc;
    // A registry that serves other bytes than the ones its answer names.
    documents_[std::string(64, 'a')] = good_;

    Config c;
    c.server.listen = HostPort{"127.0.0.1", 0};
    c.server.threads = 2;
    c.store.data_dir = dir_ / "standin";
    c.signing.enabled = false;
    standin_ = std::make_unique<Node>(c);
    standin_->router().add("POST", "/hotich/trichluc", [this](HttpRequest& r, Reply reply) {
      json in = json::parse(r.body);
      {
        std::lock_guard lock(seen_mutex_);
        last_request_ = in;
      }
      const std::string entry = in["lookup"]["registration"].value("entry_number", "");
      json answer = {{"request_id", in["request_id"]}, {"status", "found"}};
      json extract = {{"extract_number", "451/TLKS-BS"},
                      {"event_type", "birth"},
                      {"registered_at", "2019-05-06"},
                      {"registration_office", kWard},
                      {"book_number", "01"},
                      {"entry_number", entry},
                      {"person", {{"full_name", "Trần Gia Bảo"}, {"date_of_birth", "2019-04-30"}}},
                      {"issued_at", "2026-12-05T10:05:31+07:00"},
                      {"issuer", {{"name", "Nguyễn Văn Hùng"}, {"title", "Giám đốc Sở Tư pháp"}}}};
      auto document = [](const std::string& sha, std::size_t size) {
        return json{{"sha256", sha}, {"size", size}, {"media_type", "application/pdf"}};
      };
      if (entry == "125") {
        answer["extract"] = extract;
        answer["document"] = document(hex_of(good_), good_.size());
        answer["message"] = "Cấp 01 bản sao trích lục khai sinh điện tử.";
      } else if (entry == "404") {
        answer = {{"request_id", in["request_id"]},
                  {"status", "not_found"},
                  {"message", "Không tìm thấy đăng ký khai sinh số 404, quyển 01 năm 2019."}};
      } else if (entry == "403") {
        answer = {{"request_id", in["request_id"]},
                  {"status", "refused"},
                  {"message", "Người yêu cầu không có quyền yêu cầu cấp bản sao trích lục này."}};
      } else if (entry == "HASH") {
        answer["extract"] = extract;
        answer["document"] = document(std::string(64, 'a'), good_.size());
      } else if (entry == "TAMPERED") {
        answer["extract"] = extract;
        answer["document"] = document(hex_of(tampered_), tampered_.size());
      } else if (entry == "WRONG") {
        answer["extract"] = extract;
        answer["document"] = document(hex_of(wrong_signer_), wrong_signer_.size());
      } else if (entry == "OTHER") {
        answer["request_id"] = "someone-else-0001";
        answer["extract"] = extract;
      } else if (entry == "INVALID") {
        answer = {{"request_id", in["request_id"]}, {"status", "maybe"}};
      } else if (entry == "SLOW") {
        std::thread([reply, answer] {
          std::this_thread::sleep_for(std::chrono::milliseconds(2500));
          reply(HttpResponse::json(200, answer));
        }).detach();
        return;
      }
      reply(HttpResponse::json(200, answer));
    });
    standin_->router().add("GET", "/hotich/documents/{sha}", [this](HttpRequest& r, Reply reply) {
      const std::string& sha = r.path_params.at("sha");
      auto found = documents_.find(sha);
      if (found == documents_.end()) return reply(HttpResponse::json(404, {{"error", "no such document"}}));
      HttpResponse resp;
      resp.status = 200;
      resp.content_type = "application/pdf";
      resp.body.assign(found->second.begin(), found->second.end());
      reply(std::move(resp));
    });
    standin_->start();
  }

  void with_registry(const std::string& name, const std::function<void(Registry&)>& body) {
    Config c;
    c.store.data_dir = dir_ / (name + "-data");
    auto store = open_embedded_store(c);
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kWard + "/MOTCUA");
    reg.add_member(kRegistry, "Sở Tư pháp Thành phố Hồ Chí Minh");
    reg.add_subsystem(kRegistry + "/HOTICH");
    body(reg);
  }
  static void add_services(Registry& reg, const std::string& call, const std::string& documents, int timeout_ms) {
    Service s;
    s.id = kService;
    s.request_contract = "hotich.trichluc-request@v1";
    s.response_contract = "hotich.trichluc-result@v1";
    s.endpoint = call;
    s.timeout_ms = timeout_ms;
    reg.add_service(s);
    Service d;
    d.id = kDocuments;
    d.request_contract = "hotich.trichluc-request@v1";  // a GET without a body: nothing to validate
    d.endpoint = documents;
    d.timeout_ms = timeout_ms;
    reg.add_service(d);
    reg.grant(kWard + "/MOTCUA", kService);
    reg.grant(kWard + "/MOTCUA", kDocuments);
  }
  bool node_ready(unsigned short port) {
    for (int i = 0; i < 400; ++i) {
      auto r =
          lgsp::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                           (pki_ / "root-ca.pem").string(), "https://127.0.0.1:" + std::to_string(port) + "/readyz"});
      if (r.out == "200") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  std::unique_ptr<lgsp::test::Process> serve_node(const std::string& name, const std::string& cert,
                                                  unsigned short port) {
    auto config = lgsp::test::write_tls_node_config(dir_, pki_, name, cert, port);
    return std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{LGSP_BINARY, "serve", "--config", config.string()}, dir_ / (name + ".log"), env_);
  }
  std::string logs() const {
    std::string all;
    for (const char* n : {"ward-node", "registry-node"})
      all += std::string("--- ") + n + "\n" + lgsp::test::read_file(dir_ / (std::string(n) + ".log"));
    if (ward_) all += "--- office\n" + ward_->log();
    return all;
  }

  fs::path hsm_, pki_, dir_;
  std::vector<std::string> env_;
  unsigned short ward_node_port_ = 0, registry_node_port_ = 0;
  std::unique_ptr<lgsp::test::Process> ward_node_, registry_node_;
  std::unique_ptr<OfficeProcess> ward_;
  std::unique_ptr<Node> standin_;
  std::vector<unsigned char> good_, tampered_, wrong_signer_;
  std::map<std::string, std::vector<unsigned char>> documents_;
  std::mutex seen_mutex_;
  json last_request_;  // what the stand-in registry last received
};

// One set of servers for every case (CI stays lean): each refusal on the same dossier, recorded in its history,
// then the extract issued, finished, delivered and downloaded by the citizen.
TEST_F(Trichluc, an_extract_is_issued_through_two_nodes_and_every_bad_answer_is_refused_and_recorded) {
  start_standin();
  const std::string standin = "http://127.0.0.1:" + std::to_string(standin_->endpoint().port) + "/hotich";
  const std::string registry_node = "https://127.0.0.1:" + std::to_string(registry_node_port_) + "/v1/call/";
  ward_ = std::make_unique<OfficeProcess>(dir_ / "ward", kWard, "UBND phường Bến Thành", env_);
  std::string key;
  with_registry("ward-node", [&](Registry& reg) {
    add_services(reg, registry_node + kService, registry_node + kDocuments, 8000);
    reg.add_peer_node("registry", lgsp::test::read_file(pki_ / "tls-node-b.pem"));
    key = reg.create_api_key(kWard + "/MOTCUA");
  });
  with_registry("registry-node", [&](Registry& reg) {
    // The registry node gives its system 1.5 s: longer is a 504 the ward's node passes on.
    add_services(reg, standin + "/trichluc", standin + "/documents", 1500);
    reg.add_peer_node("ward", lgsp::test::read_file(pki_ / "tls-node-a.pem"));
  });
  std::ofstream(ward_->dir() / "bus.key") << key << "\n";
  std::ofstream(ward_->dir() / "onestop.toml", std::ios::app)
      << lgsp::test::office_signing_config(hsm_) << "[bus]\nurl = \"https://127.0.0.1:" << ward_node_port_
      << "\"\napi_key_file = \"" << (ward_->dir() / "bus.key").string() << "\"\nca = \""
      << (pki_ / "root-ca.pem").string() << "\"\ntrust_roots = \"" << (pki_ / "root-ca.pem").string()
      << "\"\nnode_certificates = \"" << (pki_ / "lgsp-node.pem").string() << "\"\n"
      << "[registry]\nservice = \"" << kService << "\"\ndocument_service = \"" << kDocuments
      << "\"\nseal_certificates = \"" << (pki_ / "peer-signer.pem").string() << "\"\ntimeout_seconds = 20\n";
  ward_node_ = serve_node("ward-node", "tls-node-a", ward_node_port_);
  registry_node_ = serve_node("registry-node", "tls-node-b", registry_node_port_);
  ASSERT_TRUE(node_ready(ward_node_port_)) << logs();
  ASSERT_TRUE(node_ready(registry_node_port_)) << logs();

  ASSERT_EQ(ward_->cli({"procedure", "import", (kSamples / "procedures.json").string()}).exit_code, 0);
  auto desk = ward_->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
  auto clerk = ward_->add_user("hung", "processing", "Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch");
  auto leader = ward_->add_user("minh", "leader", "Đỗ Quang Minh", "Phó Chủ tịch UBND phường");
  ward_->start();

  auto profile = ward_->call("POST", "/onestop/v1/profiles", desk,
                             {{"full_name", "Hoàng Thị Thu"},
                              {"id_number", "079190006789"},
                              {"date_of_birth", "1990-03-02"},
                              {"gender", "female"},
                              {"hometown", "Nghệ An"},
                              {"ethnicity", "Kinh"},
                              {"nationality", "Việt Nam"},
                              {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                              {"phone", "0987654321"}});
  ASSERT_EQ(profile.status, 201u) << profile.raw;
  auto upload = [&](const std::string& text) {
    auto r = ward_->send("POST", "/onestop/v1/files", desk, "%PDF-1.4\n% " + text + "\n%%EOF\n", "application/pdf");
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("sha256", "");
  };
  auto file = [&](const std::string& procedure, const json& documents) {
    auto r = ward_->call("POST", "/onestop/v1/dossiers", desk,
                         {{"procedure_code", procedure},
                          {"customer_code", profile.body["customer_code"]},
                          {"channel", 1},
                          {"documents", documents}});
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("code", "");
  };
  const std::string code = file("2.000635", json::array({{{"code", "TK"}, {"sha256", upload("to khai")}},
                                                         {{"code", "GTTT"}, {"sha256", upload("cccd")}}}));
  ASSERT_EQ(
      ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/start_processing", clerk, json::object()).status,
      200u);
  auto ask = [&](const std::string& entry, const std::string& token = "") {
    return ward_->call(
        "POST", "/onestop/v1/dossiers/" + code + "/extract", token.empty() ? clerk : token,
        {{"event_type", "birth"},
         {"lookup",
          {{"registration",
            {{"registration_office", kWard}, {"book_number", "01"}, {"book_year", 2019}, {"entry_number", entry}}}}},
         {"relation", "parent"},
         {"purpose", "Bổ sung hồ sơ nhập học lớp 1 cho con"}});
  };
  auto expect_refused = [&](const std::string& entry, unsigned status, const std::string& error,
                            const std::string& says) {
    SCOPED_TRACE(entry);
    auto r = ask(entry);
    EXPECT_EQ(r.status, status) << r.raw << logs();
    EXPECT_EQ(r.body.value("code", ""), error) << r.raw;
    EXPECT_NE(r.body.value("detail", "").find(says), std::string::npos) << r.raw;
    return r;
  };

  // Who may ask, and for what.
  EXPECT_EQ(ask("125", desk).status, 403u) << "the desk receives; a processing official asks the registry";
  const std::string other = file("1.001193", json::array({{{"code", "TK"}, {"sha256", upload("to khai sinh")}},
                                                          {{"code", "GCS"}, {"sha256", upload("giay chung sinh")}},
                                                          {{"code", "GTTT"}, {"sha256", upload("cccd me")}}}));
  auto wrong_procedure = ward_->call("POST", "/onestop/v1/dossiers/" + other + "/extract", clerk,
                                     {{"event_type", "birth"}, {"lookup", {{"person", json::object()}}}});
  EXPECT_EQ(wrong_procedure.body.value("code", ""), "LGSP-409-ONESTOP-EXTRACT-PROCEDURE") << wrong_procedure.raw;
  auto incomplete = ward_->call("POST", "/onestop/v1/dossiers/" + code + "/extract", clerk, {{"event_type", "birth"}});
  EXPECT_EQ(incomplete.status, 400u) << incomplete.raw;
  EXPECT_EQ(incomplete.body.value("code", ""), "LGSP-400-ONESTOP-INPUT");
  // Lookup data the contract refuses come back from the node with its paths.
  auto bad_lookup = ask("");
  EXPECT_EQ(bad_lookup.status, 400u) << bad_lookup.raw;
  EXPECT_EQ(bad_lookup.body.value("code", ""), "LGSP-400-ONESTOP-INPUT") << bad_lookup.raw;

  // The registry's own answers, with its message.
  expect_refused("404", 422, "LGSP-422-ONESTOP-EXTRACT-NOT-FOUND", "Không tìm thấy đăng ký khai sinh số 404");
  expect_refused("403", 422, "LGSP-422-ONESTOP-EXTRACT-REFUSED", "không có quyền");
  // Documents that must never be issued.
  expect_refused("HASH", 502, "LGSP-502-ONESTOP-EXTRACT-DOCUMENT", "are not the document the answer names");
  expect_refused("TAMPERED", 502, "LGSP-502-ONESTOP-EXTRACT-SIGNATURE", "does not verify");
  expect_refused("WRONG", 502, "LGSP-502-ONESTOP-EXTRACT-SIGNER", "Con dấu UBND phường Bến Thành");
  expect_refused("OTHER", 502, "LGSP-502-ONESTOP-EXTRACT-MALFORMED", "someone-else-0001");
  expect_refused("INVALID", 502, "LGSP-502-ONESTOP-REGISTRY", "LGSP-502-RESPONSE-CONTRACT");
  expect_refused("SLOW", 504, "LGSP-504-ONESTOP-REGISTRY-TIMEOUT", "LGSP-504-PROVIDER");

  // Nothing was issued, and every refusal is in the dossier's history with what the registry or the bus said.
  auto d = ward_->call("GET", "/onestop/v1/dossiers/" + code, clerk).body;
  for (const auto& doc : d["documents"]) EXPECT_NE(doc["kind"], "result") << doc.dump();
  std::vector<std::string> recorded;
  for (const auto& h : d["history"])
    if (h["action"] == "extract_refused") recorded.push_back(h["details"].value("code", ""));
  EXPECT_EQ(recorded, (std::vector<std::string>{"LGSP-400-ONESTOP-INPUT", "LGSP-422-ONESTOP-EXTRACT-NOT-FOUND",
                                                "LGSP-422-ONESTOP-EXTRACT-REFUSED", "LGSP-502-ONESTOP-EXTRACT-DOCUMENT",
                                                "LGSP-502-ONESTOP-EXTRACT-SIGNATURE", "LGSP-502-ONESTOP-EXTRACT-SIGNER",
                                                "LGSP-502-ONESTOP-EXTRACT-MALFORMED", "LGSP-502-ONESTOP-REGISTRY",
                                                "LGSP-504-ONESTOP-REGISTRY-TIMEOUT"}))
      << d["history"].dump();
  for (const auto& h : d["history"]) {
    if (h["action"] == "extract_refused" && h["details"].value("code", "") == "LGSP-422-ONESTOP-EXTRACT-NOT-FOUND") {
      EXPECT_EQ(h["details"].value("message", ""), "Không tìm thấy đăng ký khai sinh số 404, quyển 01 năm 2019.");
    }
  }
  EXPECT_EQ(ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/finish", leader, json::object()).status,
            409u)
      << "no result yet";

  // Found: checked, sealed by the ward over the registry's signature, and the dossier's result.
  auto issued = ask("125");
  ASSERT_EQ(issued.status, 201u) << issued.raw << logs();
  json result;
  for (const auto& doc : issued.body["documents"])
    if (doc["kind"] == "result") result = doc;
  ASSERT_TRUE(result.is_object()) << issued.raw;
  EXPECT_EQ(result["name"], "Trích lục khai sinh (bản sao) số 451/TLKS-BS");
  EXPECT_EQ(result["signature_format"], "pades");
  EXPECT_NE(result.value("signer", "").find("Hệ thống Hộ tịch"), std::string::npos) << result.dump();
  EXPECT_NE(result.value("sealer", "").find("Con dấu UBND phường Bến Thành"), std::string::npos) << result.dump();
  bool received = false;
  for (const auto& h : issued.body["history"])
    if (h["action"] == "extract_received") {
      received = true;
      EXPECT_EQ(h["details"]["document_sha256"], hex_of(good_));
      EXPECT_EQ(h["details"]["extract_number"], "451/TLKS-BS");
      EXPECT_FALSE(h["details"].value("call_id", "").empty());
      EXPECT_EQ(h["comment"], "Cấp 01 bản sao trích lục khai sinh điện tử.");
    }
  EXPECT_TRUE(received) << issued.raw;
  {  // What the registry was asked: the dossier's code as request id, the applicant as requester.
    std::lock_guard lock(seen_mutex_);
    EXPECT_EQ(last_request_["request_id"], code);
    EXPECT_EQ(last_request_["requester"], json({{"full_name", "Hoàng Thị Thu"},
                                                {"id_number", "079190006789"},
                                                {"phone", "0987654321"},
                                                {"relation", "parent"}}));
    EXPECT_EQ(last_request_["copies"], 1);
    EXPECT_EQ(last_request_["purpose"], "Bổ sung hồ sơ nhập học lớp 1 cho con");
  }

  // The registry down (its address refuses connections; the registry node, running, sees the change at once):
  // refused and recorded, the issued result untouched.
  {
    Config c;
    c.store.data_dir = dir_ / "registry-node-data";
    auto store = open_embedded_store(c);
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    auto s = reg.find_service(kService);
    ASSERT_TRUE(s.has_value());
    s->endpoint = "http://127.0.0.1:" + std::to_string(lgsp::test::free_port()) + "/hotich/trichluc";
    reg.update_service(*s);
  }
  auto down = ask("125");
  EXPECT_EQ(down.status, 502u) << down.raw;
  EXPECT_EQ(down.body.value("code", ""), "LGSP-502-ONESTOP-REGISTRY") << down.raw;
  EXPECT_NE(down.raw.find("LGSP-502-PROVIDER"), std::string::npos) << down.raw;

  // The leader finishes, the desk hands it over; the citizen downloads the result with the dossier code.
  ASSERT_EQ(ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/finish", leader, json::object()).status,
            200u);
  ASSERT_EQ(
      ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/deliver_result", desk, json::object()).status,
      200u);
  auto listed = ward_->call("POST", "/onestop/v1/results/" + code, "", {{"second_factor", "079190006789"}});
  ASSERT_EQ(listed.status, 200u) << listed.raw;
  auto pdf = ward_->call("POST", "/onestop/v1/results/" + code + "/" + result["sha256"].get<std::string>(), "",
                         {{"second_factor", "079190006789"}});
  ASSERT_EQ(pdf.status, 200u) << pdf.raw.substr(0, 300);
  ASSERT_EQ(pdf.headers["content-type"], "application/pdf");
  // The registry's signed bytes are the start of the result: the ward's seal is an incremental update.
  ASSERT_GT(pdf.raw.size(), good_.size());
  EXPECT_EQ(pdf.raw.compare(0, good_.size(), std::string(good_.begin(), good_.end())), 0);
  std::ofstream(dir_ / "result.pdf", std::ios::binary) << pdf.raw;
  // pdfsig (poppler, NSS trusting hsm-sim's root): both signatures valid and trusted.
  const std::string nss = "sql:" + (dir_ / "nss").string();
  fs::create_directories(dir_ / "nss");
  ASSERT_EQ(lgsp::test::run({"/usr/bin/certutil", "-N", "-d", nss, "--empty-password"}).exit_code, 0);
  ASSERT_EQ(lgsp::test::run({"/usr/bin/certutil", "-A", "-d", nss, "-n", "lgsp-test-root", "-t", "CT,C,C", "-i",
                             (pki_ / "root-ca.pem").string()})
                .exit_code,
            0);
  auto checked = lgsp::test::run({"/usr/bin/pdfsig", "-nssdir", nss, (dir_ / "result.pdf").string()});
  auto count = [](const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(checked.out, "Signature Validation: Signature is Valid."), 2) << checked.out << checked.err;
  EXPECT_EQ(count(checked.out, "Certificate Validation: Certificate is Trusted."), 2) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("Hệ thống Hộ tịch"), std::string::npos) << checked.out;
}

}  // namespace
