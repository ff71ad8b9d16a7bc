// The admin API with [tls]: HTTPS with the node's certificate, and a client certificate that authenticates only
// when pinned to an admin name and role (one that merely chains to tls.client_ca does not). The client is curl.
#include "lgsp/bus/admin_credentials.hpp"
#include "lgsp/bus/node.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

class AdminTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* d = std::getenv("LGSP_TEST_HSM_DIR");
    pki_ = d ? fs::path(d) / "pki" : fs::path();
    ASSERT_TRUE(fs::exists(pki_ / "tls-node-a.pem")) << "run with the hsm_sim CTest fixture (LGSP_TEST_HSM_DIR)";
    dir_ = fs::temp_directory_path() / ("lgsp-admin-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "node-chain.pem")
        << lgsp::test::read_file(pki_ / "tls-node-a.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
    for (const std::string who : {"tls-client", "tls-node-b"})
      std::ofstream(dir_ / (who + "-chain.pem"))
          << lgsp::test::read_file(pki_ / (who + ".pem")) << lgsp::test::read_file(pki_ / "issuing-ca.pem");
    Config config;
    config.server.listen = HostPort{"127.0.0.1", 0};
    config.server.threads = 1;
    config.admin.listen = HostPort{"127.0.0.1", 0};
    config.store.data_dir = dir_ / "var";
    config.signing.enabled = false;
    config.tls.certificate = dir_ / "node-chain.pem";
    config.tls.private_key = pki_ / "tls-node-a.key";
    config.tls.client_ca = pki_ / "root-ca.pem";
    node_ = std::make_unique<Node>(config);
    node_->start();
    ASSERT_TRUE(node_->wait_store());
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }
  // The HTTP status curl got ("000": none) for METHOD on the admin path, as `who` (a client certificate) or
  // with `token`.
  std::string status(const std::string& method, const std::string& scheme, const std::string& who,
                     const std::string& token = "") {
    std::vector<std::string> argv = {"/usr/bin/curl",
                                     "-sS",
                                     "--max-time",
                                     "10",
                                     "-o",
                                     "/dev/null",
                                     "-w",
                                     "%{http_code}",
                                     "-X",
                                     method,
                                     "--cacert",
                                     (pki_ / "root-ca.pem").string()};
    if (!who.empty())
      argv.insert(argv.end(),
                  {"--cert", (dir_ / (who + "-chain.pem")).string(), "--key", (pki_ / (who + ".key")).string()});
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    if (method == "POST") argv.insert(argv.end(), {"-H", "Content-Type: application/json", "-d", "{}"});
    argv.push_back(scheme + "://127.0.0.1:" + std::to_string(node_->admin_endpoint()->port) + "/admin/v1/members");
    return lgsp::test::run(argv).out;
  }

  fs::path pki_, dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(AdminTlsTest, a_pinned_client_certificate_authenticates_with_its_role_and_an_unpinned_one_does_not) {
  AdminCredentials credentials(*node_->store());
  credentials.add_certificate("ops-desk", AdminRole::auditor, lgsp::test::read_file(pki_ / "tls-client.pem"));
  EXPECT_EQ(status("GET", "https", "tls-client"), "200");
  EXPECT_EQ(status("POST", "https", "tls-client"), "403") << "an auditor's certificate may not change anything";
  // tls-node-b chains to the same root, but is not pinned for the admin API.
  EXPECT_EQ(status("GET", "https", "tls-node-b"), "401");
  EXPECT_EQ(status("GET", "https", ""), "401");
  // A token still works over HTTPS, without a client certificate.
  auto token = credentials.create_token("operator", AdminRole::registry_admin);
  EXPECT_EQ(status("POST", "https", "", token), "400") << "past authentication: the empty body is refused";
  // Plain HTTP is not served on the admin port when [tls] is set.
  EXPECT_NE(status("GET", "http", "", token), "200");
}

}  // namespace
