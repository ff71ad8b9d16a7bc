// The node's TLS listener with hsm-sim's PKI: HTTPS only, client certificates verified against the
// configured CAs and handed to handlers as a fingerprint. The client is the stock curl, so the test
// does not share TLS code with what it tests.
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

fs::path hsm_dir() {
  const char* d = std::getenv("LGSP_TEST_HSM_DIR");
  return d ? fs::path(d) : fs::path();
}

struct Curl {
  int exit_code;
  std::string status;  // "000" when no HTTP answer
  std::string body;
};

class NodeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = hsm_dir() / "pki";
    ASSERT_TRUE(fs::exists(pki_ / "tls-node-a.pem")) << "run with the hsm_sim CTest fixture (LGSP_TEST_HSM_DIR)";
    dir_ = fs::temp_directory_path() / ("lgsp-tls-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // The node presents its certificate with the issuing CA, so a client needs only the root.
    std::ofstream(dir_ / "node-chain.pem")
        << lgsp::test::read_file(pki_ / "tls-node-a.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
    std::ofstream(dir_ / "client-chain.pem")
        << lgsp::test::read_file(pki_ / "tls-client.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
    config_.server.listen = HostPort{"127.0.0.1", 0};
    config_.server.threads = 2;
    config_.store.data_dir = dir_ / "var";
    config_.signing.enabled = false;
    config_.tls.certificate = dir_ / "node-chain.pem";
    config_.tls.private_key = pki_ / "tls-node-a.key";
    config_.tls.client_ca = pki_ / "root-ca.pem";
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }
  void start() {
    node_ = std::make_unique<Node>(config_);
    node_->router().add("GET", "/whoami", [](HttpRequest& r, Reply reply) {
      reply(HttpResponse::text(200, r.peer_certificate_sha256.empty() ? "anonymous" : r.peer_certificate_sha256));
    });
    node_->start();
  }
  Curl curl(const std::string& scheme, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(scheme + "://127.0.0.1:" + std::to_string(node_->endpoint().port) + "/whoami");
    auto r = lgsp::test::run(argv);
    auto nl = r.out.rfind('\n');
    return {r.exit_code, nl == std::string::npos ? r.out : r.out.substr(nl + 1),
            nl == std::string::npos ? "" : r.out.substr(0, nl)};
  }
  std::string fingerprint(const fs::path& pem) {
    auto der = lgsp::test::run({"/usr/bin/openssl", "x509", "-in", pem.string(), "-outform", "DER"});
    return sha256_hex(der.out);
  }
  std::vector<std::string> trust_root() { return {"--cacert", (pki_ / "root-ca.pem").string()}; }

  fs::path pki_;
  fs::path dir_;
  Config config_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTlsTest, serves_https_that_verifies_against_the_root_alone) {
  start();
  auto r = curl("https", trust_root());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.status, "200");
  EXPECT_EQ(r.body, "anonymous");
}

TEST_F(NodeTlsTest, refuses_plain_http_on_the_tls_port) {
  start();
  auto r = curl("http");
  EXPECT_NE(r.status, "200");
}

TEST_F(NodeTlsTest, hands_the_verified_client_certificate_fingerprint_to_handlers) {
  start();
  auto client = trust_root();
  client.insert(client.end(),
                {"--cert", (dir_ / "client-chain.pem").string(), "--key", (pki_ / "tls-client.key").string()});
  auto r = curl("https", client);
  ASSERT_EQ(r.status, "200") << r.body;
  EXPECT_EQ(r.body, fingerprint(pki_ / "tls-client.pem"));
}

TEST_F(NodeTlsTest, refuses_a_client_certificate_from_an_untrusted_ca) {
  start();
  ASSERT_TRUE(node_->wait_store());  // refusals are recorded in the store once it is open
  auto client = trust_root();
  client.insert(client.end(), {"--cert", (pki_ / "untrusted-signer.pem").string(), "--key",
                               (pki_ / "untrusted-signer.key").string()});
  auto r = curl("https", client);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.status, "000");
  // The refusal is recorded, so an operator can see who was turned away.
  ASSERT_TRUE(node_->wait_store());
  bool recorded = false;
  for (int i = 0; i < 100 && !recorded; ++i) {
    node_->store()->read([&](Transaction& tx) {
      recorded =
          !tx.query("SELECT 1 FROM node_event WHERE kind = 'http.rejected' AND detail LIKE '%tls-handshake%'").empty();
    });
    if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(recorded);
}

TEST_F(NodeTlsTest, requires_a_client_certificate_when_configured) {
  config_.tls.require_client_certificate = true;
  start();
  EXPECT_EQ(curl("https", trust_root()).status, "000");
  auto client = trust_root();
  client.insert(client.end(),
                {"--cert", (dir_ / "client-chain.pem").string(), "--key", (pki_ / "tls-client.key").string()});
  EXPECT_EQ(curl("https", client).status, "200");
}

TEST_F(NodeTlsTest, a_missing_certificate_file_is_a_start_up_error_naming_it) {
  config_.tls.certificate = dir_ / "nope.pem";
  node_ = std::make_unique<Node>(config_);
  try {
    node_->start();
    FAIL() << "started without a certificate";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("tls.certificate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
