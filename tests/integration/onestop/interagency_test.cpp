// The sample inter-agency procedure (1.012788: birth registration, permanent residence, health insurance card for
// a child under 6) done across two bus nodes, as a ward and a district run them: the ward's one-stop office on
// the ward node, the police and the social insurance offices on the district node. Every hand-over between
// agencies is an onestop.* message through `lgsp serve` nodes over mutual TLS, sealed by each node and checked
// by the receiving office; everything is a real process with hsm-sim's tokens and PKI.
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/token.hpp"
#include "office_process.hpp"
#include "officials.hpp"
#include "tls_node.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <functional>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";
const std::string kWard = "000.00.13.H29";     // UBND phường Bến Thành
const std::string kPolice = "000.00.21.H29";   // Công an phường Bến Thành (permanent residence)
const std::string kInsurer = "000.00.31.H29";  // Bảo hiểm xã hội Quận 1 (health insurance card)

std::string service(const std::string& agency, const std::string& kind) {
  return agency + "/MOTCUA/onestop." + kind + "/v1";
}

class Interagency : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    pki_ = hsm_ / "pki";
    env_ = lgsp::test::hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-interagency-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ward_node_port_ = lgsp::test::free_port();
    district_node_port_ = lgsp::test::free_port();
  }
  void TearDown() override {
    for (auto* o : {ward_.get(), police_.get(), insurer_.get()})
      if (o) o->stop();
    for (auto* p : {ward_node_.get(), district_node_.get()})
      if (p) p->signal(SIGTERM);
    ward_node_.reset();
    district_node_.reset();
    fs::remove_all(dir_);
  }

  fs::path node_config(const std::string& name, const std::string& cert, unsigned short port) {
    return lgsp::test::write_tls_node_config(dir_, pki_, name, cert, port);
  }
  void with_registry(const std::string& name, const std::function<void(Registry&)>& body) {
    Config c;
    c.store.data_dir = dir_ / (name + "-data");
    auto store = open_embedded_store(c);
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    for (const auto& [code, name] :
         {std::pair{kWard, "UBND phường Bến Thành"}, std::pair{kPolice, "Công an phường Bến Thành"},
          std::pair{kInsurer, "Bảo hiểm xã hội Quận 1"}}) {
      reg.add_member(code, name);
      reg.add_subsystem(code + "/MOTCUA");
    }
    body(reg);
  }
  static void add_service(Registry& reg, const std::string& id, const std::string& contract,
                          const std::string& endpoint) {
    Service s;
    s.id = id;
    s.request_contract = contract;
    s.endpoint = endpoint;
    s.retry = {20, 100, 1000};
    reg.add_service(s);
  }
  std::string office_config(const std::string& api_key_file, unsigned short node_port) const {
    return lgsp::test::office_signing_config(hsm_) + "[bus]\nurl = \"https://127.0.0.1:" + std::to_string(node_port) +
           "\"\napi_key_file = \"" + api_key_file + "\"\nca = \"" + (pki_ / "root-ca.pem").string() +
           "\"\ntrust_roots = \"" + (pki_ / "root-ca.pem").string() + "\"\nnode_certificates = \"" +
           (pki_ / "lgsp-node.pem").string() + "\"\nretry_seconds = 1\n";
  }
  std::unique_ptr<lgsp::test::Process> serve_node(const fs::path& config, const std::string& name) {
    return std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{LGSP_BINARY, "serve", "--config", config.string()}, dir_ / (name + ".log"), env_);
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
  std::string logs() const {
    std::string all;
    for (const char* n : {"ward-node", "district-node"})
      all += std::string("--- ") + n + "\n" + lgsp::test::read_file(dir_ / (std::string(n) + ".log"));
    for (auto* o : {ward_.get(), police_.get(), insurer_.get()})
      if (o) all += "--- office\n" + o->log();
    return all;
  }
  // Polls `probe` until it is true (20 s at most).
  static bool eventually(const std::function<bool()>& probe) {
    for (int i = 0; i < 800; ++i) {
      if (probe()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  static std::string write_key(const fs::path& file, const std::string& key) {
    std::ofstream(file) << key << "\n";
    return file.string();
  }

  fs::path hsm_, pki_, dir_;
  std::vector<std::string> env_;
  unsigned short ward_node_port_ = 0, district_node_port_ = 0;
  std::unique_ptr<lgsp::test::Process> ward_node_, district_node_;
  std::unique_ptr<OfficeProcess> ward_, police_, insurer_;
};

TEST_F(Interagency, the_ward_district_sample_procedure_is_completed_across_two_nodes) {
  auto ward_node_cfg = node_config("ward-node", "tls-node-a", ward_node_port_);
  auto district_node_cfg = node_config("district-node", "tls-node-b", district_node_port_);
  ward_ = std::make_unique<OfficeProcess>(dir_ / "ward", kWard, "UBND phường Bến Thành", env_);
  police_ = std::make_unique<OfficeProcess>(dir_ / "police", kPolice, "Công an phường Bến Thành", env_);
  insurer_ = std::make_unique<OfficeProcess>(dir_ / "insurer", kInsurer, "Bảo hiểm xã hội Quận 1", env_);
  const std::string ward_node = "https://127.0.0.1:" + std::to_string(ward_node_port_) + "/v1/messages";
  const std::string district_node = "https://127.0.0.1:" + std::to_string(district_node_port_) + "/v1/messages";

  std::string ward_key, police_key, insurer_key;
  with_registry("ward-node", [&](Registry& reg) {
    add_service(reg, service(kWard, "status"), "onestop.dossier-status@v1", ward_->url() + "/onestop/v1/bus/status");
    add_service(reg, service(kWard, "result"), "onestop.result-notice@v1", ward_->url() + "/onestop/v1/bus/result");
    for (const auto& other : {kPolice, kInsurer}) {
      add_service(reg, service(other, "submission"), "onestop.dossier-submission@v1", district_node);
      reg.grant(kWard + "/MOTCUA", service(other, "submission"));
      reg.grant(other + "/MOTCUA", service(kWard, "status"));
      reg.grant(other + "/MOTCUA", service(kWard, "result"));
    }
    reg.add_peer_node("district", lgsp::test::read_file(pki_ / "tls-node-b.pem"));
    ward_key = reg.create_api_key(kWard + "/MOTCUA");
  });
  with_registry("district-node", [&](Registry& reg) {
    add_service(reg, service(kWard, "status"), "onestop.dossier-status@v1", ward_node);
    add_service(reg, service(kWard, "result"), "onestop.result-notice@v1", ward_node);
    for (auto* office : {police_.get(), insurer_.get()}) {
      std::string agency = office == police_.get() ? kPolice : kInsurer;
      add_service(reg, service(agency, "submission"), "onestop.dossier-submission@v1",
                  office->url() + "/onestop/v1/bus/submission");
      reg.grant(kWard + "/MOTCUA", service(agency, "submission"));
      reg.grant(agency + "/MOTCUA", service(kWard, "status"));
      reg.grant(agency + "/MOTCUA", service(kWard, "result"));
    }
    reg.add_peer_node("ward", lgsp::test::read_file(pki_ / "tls-node-a.pem"));
    police_key = reg.create_api_key(kPolice + "/MOTCUA");
    insurer_key = reg.create_api_key(kInsurer + "/MOTCUA");
  });
  // Each office's config names its own node; rewritten now that the keys exist.
  auto attach = [&](OfficeProcess& o, const std::string& key, unsigned short port) {
    std::ofstream(o.dir() / "onestop.toml", std::ios::app) << office_config(write_key(o.dir() / "bus.key", key), port);
  };
  attach(*ward_, ward_key, ward_node_port_);
  attach(*police_, police_key, district_node_port_);
  attach(*insurer_, insurer_key, district_node_port_);

  ward_node_ = serve_node(ward_node_cfg, "ward-node");
  district_node_ = serve_node(district_node_cfg, "district-node");
  ASSERT_TRUE(node_ready(ward_node_port_)) << logs();
  ASSERT_TRUE(node_ready(district_node_port_)) << logs();

  ASSERT_EQ(ward_->cli({"procedure", "import", (kSamples / "procedures.json").string()}).exit_code, 0);
  auto w_desk = ward_->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
  auto w_clerk = ward_->add_user("hung", "processing", "Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch");
  auto w_leader = ward_->add_user("minh", "leader", "Đỗ Quang Minh", "Phó Chủ tịch UBND phường");
  auto w_admin = ward_->add_user("admin", "admin", "Quản trị");
  auto p_officer = police_->add_user("tuan", "processing", "Thiếu tá Phan Anh Tuấn", "Cán bộ đăng ký cư trú");
  auto p_leader = police_->add_user("son", "leader", "Trung tá Vũ Hải Sơn", "Trưởng Công an phường");
  auto s_officer = insurer_->add_user("ha", "processing", "Ngô Thu Hà", "Chuyên viên cấp sổ, thẻ");
  auto s_leader = insurer_->add_user("binh", "leader", "Đặng Văn Bình", "Giám đốc BHXH Quận 1");
  // Each leader's signing identity: the CCCD number in their token's certificate (hsm-sim's official-01, -02).
  for (auto [office, user, cccd] :
       std::vector<std::tuple<OfficeProcess*, std::string, std::string>>{{ward_.get(), "minh", "079090000001"},
                                                                         {police_.get(), "son", "079190000002"},
                                                                         {insurer_.get(), "binh", "079190000002"}}) {
    auto bound = office->cli({"user", "bind", user, "--cccd", cccd});
    ASSERT_EQ(bound.exit_code, 0) << bound.err;
  }
  ward_->start();
  police_->start();
  insurer_->start();

  // The ward's desk receives the dossier (online procedure, filed with the parent at the desk).
  auto profile = ward_->call("POST", "/onestop/v1/profiles", w_desk,
                             {{"full_name", "Trương Thị Hạnh"},
                              {"id_number", "079190012345"},
                              {"date_of_birth", "1990-05-20"},
                              {"gender", "female"},
                              {"hometown", "Phường Bến Thành, Thành phố Hồ Chí Minh"},
                              {"ethnicity", "Kinh"},
                              {"nationality", "Việt Nam"},
                              {"permanent_address", "45 Lê Thánh Tôn, phường Bến Thành"},
                              {"phone", "0903123456"}});
  ASSERT_EQ(profile.status, 201u) << profile.raw;
  auto upload = [&](const std::string& text) {
    auto r = ward_->send("POST", "/onestop/v1/files", w_desk, "%PDF-1.4\n% " + text + "\n%%EOF\n", "application/pdf");
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("sha256", "");
  };
  auto filed = ward_->call("POST", "/onestop/v1/dossiers", w_desk,
                           {{"procedure_code", "1.012788"},
                            {"customer_code", profile.body["customer_code"]},
                            {"channel", 2},
                            {"documents",
                             {{{"code", "TKLT"}, {"sha256", upload("to khai lien thong")}},
                              {{"code", "GCS"}, {"sha256", upload("giay chung sinh")}}}}});
  ASSERT_EQ(filed.status, 201u) << filed.raw;
  const std::string code = filed.body["code"];
  ASSERT_EQ(filed.body["steps"].size(), 6u);
  EXPECT_EQ(filed.body["steps"][3]["unit"], kPolice);
  EXPECT_EQ(filed.body["steps"][4]["unit"], kInsurer);
  auto hand_over = [&](OfficeProcess& o, const std::string& token) {
    auto r = o.call("POST", "/onestop/v1/dossiers/" + code + "/handover", token, json::object());
    EXPECT_EQ(r.status, 200u) << r.raw;
    return r.body;
  };
  // Each leader signs a PDF result on their own token (the dossier's receipt slip stands for the result here).
  auto officials = std::make_unique<lgsp::test::Officials>(hsm_);
  auto slip = ward_->call("GET", "/onestop/v1/dossiers/" + code + "/forms/01", w_desk);
  ASSERT_EQ(slip.status, 200u) << slip.raw;
  auto sign = [&](OfficeProcess& o, const std::string& token, const std::string& name, const std::string& official) {
    auto r = officials->sign_result(o, token, code, name, slip.raw, official);
    EXPECT_EQ(r.status, 201u) << r.raw;
  };
  hand_over(*ward_, w_desk);
  hand_over(*ward_, w_clerk);
  // The ward registers the birth and signs the extract, then sends the dossier to the police (step 4).
  sign(*ward_, w_leader, "Trích lục khai sinh", "official-01");
  auto to_police = hand_over(*ward_, w_leader);
  EXPECT_EQ(to_police["current_unit"], kPolice);
  auto rejected_locally = ward_->call("POST", "/onestop/v1/dossiers/" + code + "/handover", w_leader, json::object());
  EXPECT_EQ(rejected_locally.status, 409u) << "the step is the police's now: " << rejected_locally.raw;

  // The police office receives it over the bus and does its step.
  json at_police;
  ASSERT_TRUE(eventually([&] {
    auto r = police_->call("GET", "/onestop/v1/dossiers/" + code, p_officer);
    at_police = r.body;
    return r.status == 200;
  })) << logs();
  EXPECT_EQ(at_police["origin_agency"], kWard);
  EXPECT_EQ(at_police["status"]["code"], 2);
  EXPECT_EQ(at_police["current_step"], 4);
  EXPECT_EQ(at_police["applicant"]["full_name"], "Trương Thị Hạnh");
  ASSERT_EQ(
      police_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/start_processing", p_officer, json::object())
          .status,
      200u);
  sign(*police_, p_leader, "Xác nhận đăng ký thường trú", "official-02");
  auto p_done = police_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/finish", p_leader, json::object());
  ASSERT_EQ(p_done.status, 200u) << p_done.raw;

  // Its result reaches the ward, which sends the dossier on to social insurance (step 5).
  json at_insurer;
  ASSERT_TRUE(eventually([&] {
    auto r = insurer_->call("GET", "/onestop/v1/dossiers/" + code, s_officer);
    at_insurer = r.body;
    return r.status == 200;
  })) << logs();
  EXPECT_EQ(at_insurer["current_step"], 5);
  ASSERT_EQ(
      insurer_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/start_processing", s_officer, json::object())
          .status,
      200u);
  sign(*insurer_, s_leader, "Thẻ bảo hiểm y tế (bản điện tử)", "official-02");
  ASSERT_EQ(insurer_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/finish", s_leader, json::object()).status,
            200u);

  // Back at the ward for the last step: the result is handed to the parent.
  json at_ward;
  ASSERT_TRUE(eventually([&] {
    at_ward = ward_->call("GET", "/onestop/v1/dossiers/" + code, w_desk).body;
    return at_ward["current_step"] == 6 && at_ward["current_unit"] == kWard;
  })) << at_ward.dump()
      << logs();
  ASSERT_EQ(ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/finish", w_leader, json::object()).status,
            200u);
  auto delivered =
      ward_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/deliver_result", w_desk, json::object());
  ASSERT_EQ(delivered.status, 200u) << delivered.raw;
  EXPECT_EQ(delivered.body["status"]["code"], 10);

  // The ward's record shows both agencies' work: their steps finished by their people, their results (by
  // hash), and their status reports as they came.
  const auto& d = delivered.body;
  EXPECT_EQ(d["steps"][3]["handed_by"], "Trung tá Vũ Hải Sơn");
  EXPECT_EQ(d["steps"][4]["handed_by"], "Đặng Văn Bình");
  for (const auto& s : d["steps"]) EXPECT_TRUE(s.contains("finished_at")) << s.dump();
  int remote_results = 0, remote_status = 0;
  for (const auto& doc : d["documents"]) remote_results += doc["kind"] == "remote_result";
  for (const auto& h : d["history"]) remote_status += h["action"] == "remote_status";
  EXPECT_EQ(remote_results, 2);
  EXPECT_GE(remote_status, 4) << "each agency reports receipt, processing and finishing";
  std::vector<std::string> units;
  for (const auto& h : d["history"])
    if (h["action"] == "remote_result") units.push_back(h["unit"]);
  EXPECT_EQ(units, (std::vector<std::string>{kPolice, kInsurer}));

  // Everything the ward had for the bus was accepted by its node.
  auto pending = ward_->call("GET", "/onestop/v1/bus-outbox?pending=1", w_admin);
  ASSERT_EQ(pending.status, 200u);
  EXPECT_TRUE(pending.body["messages"].empty()) << pending.raw;
  auto all = ward_->call("GET", "/onestop/v1/bus-outbox", w_admin).body["messages"];
  ASSERT_EQ(all.size(), 2u) << "two submissions: to the police and to social insurance";
  // Paged by id, oldest first.
  auto first = ward_->call("GET", "/onestop/v1/bus-outbox?limit=1", w_admin).body["messages"];
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["id"], all[0]["id"]);
  auto next = ward_->call("GET", "/onestop/v1/bus-outbox?limit=1&after=" + first[0]["id"].dump(), w_admin);
  ASSERT_EQ(next.body["messages"].size(), 1u) << next.raw;
  EXPECT_EQ(next.body["messages"][0]["id"], all[1]["id"]);
  EXPECT_EQ(ward_->call("GET", "/onestop/v1/bus-outbox?limit=x", w_admin).status, 400u);

  // A delivery without a valid seal is refused by the office, whoever sends it.
  auto forged = ward_->send("POST", "/onestop/v1/bus/result", "", at_police.dump(), "application/json");
  EXPECT_EQ(forged.status, 403u) << forged.raw;
  EXPECT_EQ(forged.body["code"], "LGSP-403-ONESTOP-SEAL");

  // Nor is one sealed for real by another key of the same PKI: the agency's own seal token (con dấu) makes
  // a seal that verifies and chains to the office's trust roots, but only the nodes in
  // bus.node_certificates may deliver.
  Receipt receipt;
  receipt.message_id = "forged-by-agency-seal-1";
  receipt.client = kPolice + "/MOTCUA";
  receipt.service = service(kWard, "result");
  receipt.accepted_at = "2026-12-02T08:00:00.000Z";
  const std::string body = at_police.dump();
  receipt.payload_sha256 = sha256_hex(body);
  std::string seal_text;
  officials.reset();  // one PKCS#11 module per process
  {
    lgsp::test::export_hsm_sim_env(hsm_);  // SoftHSM2's configuration, for the token opened in this process
    lgsp::signing::TokenModule module(std::getenv("LGSP_PKCS11_MODULE"));
    const std::string pin = std::getenv("LGSP_PIN");
    BatchSigner agency_seal([&] {
      return module.open_signer(
          {"agency-seal", std::nullopt}, [pin](const std::string&) { return std::optional<std::string>(pin); },
          lgsp::signing::load_pem_certificates(pki_ / "issuing-ca.pem"));
    });
    seal_text = agency_seal.seal(receipt.leaf()).get().dump();
  }
  auto sealed = ward_->send("POST", "/onestop/v1/bus/result", "", body, "application/json",
                            {{"LGSP-Message-Id", receipt.message_id},
                             {"LGSP-Client", receipt.client},
                             {"LGSP-Service", receipt.service},
                             {"LGSP-Accepted-At", receipt.accepted_at},
                             {"LGSP-Signature", seal_text}});
  EXPECT_EQ(sealed.status, 403u) << sealed.raw;
  EXPECT_EQ(sealed.body["code"], "LGSP-403-ONESTOP-SEAL");
  // Refused for the signer, after the seal itself verified (not for a broken signature).
  EXPECT_NE(sealed.raw.find("not by a node in bus.node_certificates"), std::string::npos) << sealed.raw;
}

}  // namespace
