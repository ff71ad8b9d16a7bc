// Two nodes over mutual TLS, as a province and a ward run them: a province department sends to a ward
// service through its own node; the province node delivers to the ward node with its node certificate,
// and the ward node runs the same pipeline (peer node, ACL, contract, its own seal) before delivering
// to the ward's system. Both nodes are `lgsp serve` processes with hsm-sim's tokens and TLS PKI.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "process.hpp"
#include "tls_node.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kProvince = "000.00.00.H29";
const std::string kWard = "000.00.13.H29";
const std::string kDepartment = kProvince + "/SOTP";     // the sender, on the province node
const std::string kService = kWard + "/MOTCUA/hoso/v1";  // the ward's one-stop system, on the ward node

class TwoNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    pki_ = hsm_ / "pki";
    env_ = lgsp::test::hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-two-nodes-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);

    Config rc;
    rc.server.listen = HostPort{"127.0.0.1", 0};
    rc.server.threads = 1;
    rc.store.data_dir = dir_ / "receiver";
    rc.signing.enabled = false;
    receiver_ = std::make_unique<Node>(rc);
    receiver_->router().add("POST", "/in", [this](HttpRequest& r, Reply reply) {
      std::lock_guard lock(mutex_);
      received_.push_back({{"client", r.header("lgsp-client").value_or("")},
                           {"id", r.header("lgsp-message-id").value_or("")},
                           {"body", r.body}});
      reply(HttpResponse::json(200, json::object()));
    });
    receiver_->start();
    province_port_ = lgsp::test::free_port();
    ward_port_ = lgsp::test::free_port();
  }
  void TearDown() override {
    for (auto* p : {province_.get(), ward_.get()})
      if (p) p->signal(SIGTERM);
    province_.reset();
    ward_.reset();
    receiver_.reset();
    fs::remove_all(dir_);
  }
  // Writes NAME.toml for a node with TLS certificate `cert` (tls-node-a / tls-node-b) and returns it.
  fs::path write_config(const std::string& name, const std::string& cert, unsigned short port) {
    return lgsp::test::write_tls_node_config(dir_, pki_, name, cert, port);
  }
  void with_registry(const std::string& name, const std::function<void(Registry&)>& body) {
    Config c;
    c.store.data_dir = dir_ / (name + "-data");
    auto store = open_embedded_store(c);
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    body(reg);
  }
  std::unique_ptr<lgsp::test::Process> serve(const fs::path& config, const std::string& name) {
    return std::make_unique<lgsp::test::Process>(std::vector<std::string>{kLgsp, "serve", "--config", config.string()},
                                                 dir_ / (name + ".log"), env_);
  }
  // curl over HTTPS, trusting the test root; returns {http status, body}.
  std::pair<std::string, std::string> curl(unsigned short port, const std::string& method, const std::string& path,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        "/usr/bin/curl", "-sS", "--max-time", "10", "--cacert",      (pki_ / "root-ca.pem").string(), "-X",
        method,          "-o",  "-",          "-w", "\n%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
    auto r = lgsp::test::run(argv);
    auto nl = r.out.rfind('\n');
    return {r.out.substr(nl + 1), r.out.substr(0, nl)};
  }
  bool wait_ready(unsigned short port) {
    for (int i = 0; i < 400; ++i) {
      if (curl(port, "GET", "/readyz").first == "200") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }

  fs::path hsm_, pki_, dir_;
  std::vector<std::string> env_;
  std::unique_ptr<Node> receiver_;
  std::unique_ptr<lgsp::test::Process> province_, ward_;
  unsigned short province_port_ = 0, ward_port_ = 0;
  std::mutex mutex_;
  std::vector<json> received_;
};

TEST_F(TwoNodeTest, a_message_crosses_from_the_province_node_to_the_ward_node_over_mutual_tls) {
  auto province_config = write_config("province", "tls-node-a", province_port_);
  auto ward_config = write_config("ward", "tls-node-b", ward_port_);
  std::string key;
  with_registry("province", [&](Registry& reg) {
    reg.add_member(kProvince, "Sở Tư pháp Thành phố Hồ Chí Minh");
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kDepartment);
    reg.add_subsystem(kWard + "/MOTCUA");
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "https://127.0.0.1:" + std::to_string(ward_port_) + "/v1/messages";  // the ward node
    s.retry = {10, 100, 1000};
    reg.add_service(s);
    reg.grant(kDepartment, kService);
    key = reg.create_api_key(kDepartment);
  });
  with_registry("ward", [&](Registry& reg) {
    reg.add_member(kProvince, "Sở Tư pháp Thành phố Hồ Chí Minh");
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kDepartment);
    reg.add_subsystem(kWard + "/MOTCUA");
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver_->endpoint().port) + "/in";  // the ward's system
    reg.add_service(s);
    reg.grant(kDepartment, kService);
    reg.add_peer_node("province", lgsp::test::read_file(pki_ / "tls-node-a.pem"));
  });
  ward_ = serve(ward_config, "ward");
  province_ = serve(province_config, "province");
  ASSERT_TRUE(wait_ready(ward_port_)) << lgsp::test::read_file(dir_ / "ward.log");
  ASSERT_TRUE(wait_ready(province_port_)) << lgsp::test::read_file(dir_ / "province.log");

  const std::string body =
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json");
  std::ofstream(dir_ / "payload.json") << body;
  auto sent = curl(province_port_, "POST", "/v1/messages",
                   {"-H", "Authorization: Bearer " + key, "-H", "LGSP-Client: " + kDepartment, "-H",
                    "LGSP-Service: " + kService, "-H", "LGSP-Message-Id: cross-1", "-H",
                    "Content-Type: application/json", "--data-binary", "@" + (dir_ / "payload.json").string()});
  ASSERT_EQ(sent.first, "202") << sent.second;

  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard lock(mutex_);
      if (!received_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(received_.size(), 1u) << lgsp::test::read_file(dir_ / "province.log")
                                    << lgsp::test::read_file(dir_ / "ward.log");
    EXPECT_EQ(received_[0]["client"], kDepartment);
    EXPECT_EQ(received_[0]["id"], "cross-1");
    EXPECT_EQ(received_[0]["body"], body);
  }
  // The province node saw the ward node accept it; the ward node logged who forwarded it.
  json status;
  for (int i = 0; i < 200; ++i) {
    auto st = curl(province_port_, "GET", "/v1/messages/cross-1",
                   {"-H", "Authorization: Bearer " + key, "-H", "LGSP-Client: " + kDepartment});
    status = json::parse(st.second);
    if (status.value("state", "") == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(status.value("state", ""), "delivered") << status.dump();
  auto logged = lgsp::test::run({"/usr/bin/sqlite3", (dir_ / "ward-data/lgsp.db").string(),
                                 "SELECT json_extract(body, '$.via_node') FROM message_log WHERE kind = 'accepted'"});
  EXPECT_EQ(logged.out, "province\n");

  // A certificate from the right CA that is not registered as a node or subsystem gets 401.
  std::ofstream(dir_ / "client-chain.pem")
      << lgsp::test::read_file(pki_ / "tls-client.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
  auto stranger = curl(ward_port_, "POST", "/v1/messages",
                       {"--cert", (dir_ / "client-chain.pem").string(), "--key", (pki_ / "tls-client.key").string(),
                        "-H", "LGSP-Client: " + kDepartment, "-H", "LGSP-Service: " + kService, "-H",
                        "LGSP-Message-Id: cross-2", "--data-binary", "@" + (dir_ / "payload.json").string()});
  EXPECT_EQ(stranger.first, "401") << stranger.second;
}

}  // namespace
