#include "node_fixture.hpp"

#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "probe_adapter.hpp"
#include "tls_node.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace lgsp::adapters::test {

namespace {
const fs::path kExamples = LGSP_SOURCE_DIR "/contracts/onestop.dossier-submission/v1/examples";
}

std::string valid_payload() { return lgsp::test::read_file(kExamples / "valid-1-step-to-department.json"); }
std::string invalid_payload() { return R"({"not":"a dossier"})"; }

void NodeTest::SetUp() {
  register_probe_kind();
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  hsm_ = hsm;
  pki_ = hsm_ / "pki";
  env_ = lgsp::test::hsm_sim_env(hsm_);
  dir_ = fs::temp_directory_path() / ("lgsp-adapters-" + std::to_string(::getpid()) + "-" +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  node_port_ = lgsp::test::free_port();
  runner_port_ = lgsp::test::free_port();

  bus::Config c;
  c.store.data_dir = dir_ / "node-data";
  auto store = bus::open_embedded_store(c);
  auto catalogue = contracts::Catalogue::load(LGSP_SOURCE_DIR "/contracts");
  bus::Registry reg(*store, &catalogue);
  reg.add_member(kWard, "UBND phường Bến Thành");
  reg.add_subsystem(kAdapterClient);
  reg.add_subsystem(kProvider);
  for (const auto& id : {kService, kUngranted}) {
    bus::Service s;
    s.id = id;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(runner_port_) + "/adapters/inbox/in";
    s.timeout_ms = 2000;
    s.retry = {50, 50, 200};
    reg.add_service(s);
  }
  reg.grant(kAdapterClient, kService);
  api_key_ = reg.create_api_key(kAdapterClient);
  std::ofstream(dir_ / "adapter.key") << api_key_ << "\n";
}

void NodeTest::TearDown() {
  if (node_) {
    node_->signal(SIGTERM);
    node_->wait(std::chrono::seconds(10));
  }
  node_.reset();
  fs::remove_all(dir_);
}

void NodeTest::start_node(const std::string& ready_path) {
  if (!tls_)
    std::ofstream(dir_ / "node.toml") << "[server]\nlisten = \"127.0.0.1:" << node_port_ << "\"\nthreads = 2\n"
                                      << "[store]\ndata_dir = \"node-data\"\n"
                                      << "[signing]\nca_chain = \"" << (pki_ / "issuing-ca.pem").string()
                                      << "\"\ntoken = \"" << token_ << "\"\n"
                                      << "[delivery]\npoll_interval_ms = 20\n";
  node_ = std::make_unique<lgsp::test::Process>(
      std::vector<std::string>{LGSP_BINARY, "serve", "--config", (dir_ / "node.toml").string()}, dir_ / "node.log",
      env_);
  for (int i = 0; i < 400; ++i) {
    if (tls_) {
      auto r = lgsp::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                                (pki_ / "root-ca.pem").string(), node_url() + ready_path});
      if (r.out == "200") return;
    } else {
      try {
        lgsp::test::HttpClient c("127.0.0.1", node_port_);
        if (c.request("GET", ready_path).status == 200) return;
      } catch (const std::exception&) {
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL() << "the node never became ready:\n" << node_log();
}

void NodeTest::use_tls() {
  tls_ = true;
  lgsp::test::write_tls_node_config(dir_, pki_, "node", "tls-node-a", node_port_);
  bus::Config c;
  c.store.data_dir = dir_ / "node-data";
  auto store = bus::open_embedded_store(c);
  bus::Registry reg(*store, nullptr);
  reg.add_certificate(kAdapterClient, lgsp::test::read_file(pki_ / "tls-client.pem"));
}

fs::path NodeTest::write_runner_config(const std::string& node_certificates) {
  auto file = dir_ / "adapters.toml";
  std::ofstream(file) << "[runner]\nlisten = \"127.0.0.1:" << runner_port_ << "\"\nstate_dir = \"adapters-state\"\n"
                      << "[node]\nurl = \"" << node_url() << "\"\ntimeout_ms = 5000\n"
                      << "trust_roots = \"" << (pki_ / "root-ca.pem").string() << "\"\n"
                      << "node_certificates = \"" << (pki_ / node_certificates).string() << "\"\n"
                      << "[[adapter]]\nname = \"inbox\"\nkind = \"probe\"\nclient = \"" << kAdapterClient
                      << "\"\napi_key_file = \"adapter.key\"\nservice = \"" << kService << "\"\n";
  return file;
}

std::string NodeTest::node_log() const { return lgsp::test::read_file(dir_ / "node.log"); }

}  // namespace lgsp::adapters::test
