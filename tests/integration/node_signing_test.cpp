// The node's seal with the real SoftHSM2 `lgsp-node` token (hsm-sim): batching, verification, and
// /readyz when the HSM is missing or refuses the PIN.
#include "http_client.hpp"
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

// Exports what hsm-sim's env file exports (SOFTHSM2_CONF, LGSP_PKCS11_MODULE, LGSP_PIN) into this process.
fs::path load_hsm_env() {
  const char* dir = std::getenv("LGSP_TEST_HSM_DIR");
  if (!dir) return {};
  std::ifstream in(fs::path(dir) / "env");
  std::string line;
  static const std::regex assignment(R"(^export ([A-Z0-9_]+)=(.*)$)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_match(line, m, assignment)) ::setenv(m[1].str().c_str(), m[2].str().c_str(), 1);
  return dir;
}

class NodeSigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hsm_ = load_hsm_env();
    ASSERT_FALSE(hsm_.empty()) << "run with the hsm_sim CTest fixture (LGSP_TEST_HSM_DIR)";
    pin_ = std::getenv("LGSP_PIN");
    dir_ = fs::temp_directory_path() / ("lgsp-sealing-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_ = Config::load(std::nullopt, Config::process_environment());
    config_.server.listen = HostPort{"127.0.0.1", 0};
    config_.server.threads = 1;
    config_.store.data_dir = dir_;
    config_.signing.ca_chain = hsm_ / "pki/issuing-ca.pem";
  }
  void TearDown() override {
    node_.reset();
    ::setenv("LGSP_PIN", pin_.c_str(), 1);
    fs::remove_all(dir_);
  }
  Node& start() {
    node_ = std::make_unique<Node>(config_);
    node_->on_signed_batch([this](const SignedBatch& b) {
      ++batches_;
      batch_leaves_ += b.size;
    });
    node_->start();
    return *node_;
  }
  // /readyz once the sealer has settled (opened the token or given up on it).
  json readyz(unsigned expected) {
    json body;
    for (int i = 0; i < 200; ++i) {
      lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
      auto r = c.request("GET", "/readyz");
      body = json::parse(r.body);
      if (r.status == expected && body.contains("signing") &&
          body["signing"].value("reason", "") != "the HSM is being opened")
        return body;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "readyz never answered " << expected << ": " << body.dump();
    return body;
  }
  lgsp::signing::TrustStore trust(const std::string& root = "root-ca.pem") {
    lgsp::signing::TrustPolicy policy;
    policy.anchors = lgsp::signing::load_pem_certificates(hsm_ / "pki" / root);
    policy.revocation = lgsp::signing::RevocationMode::kNone;
    return lgsp::signing::TrustStore(std::move(policy));
  }

  fs::path hsm_, dir_;
  std::string pin_;
  Config config_;
  std::unique_ptr<Node> node_;
  std::atomic<int> batches_{0};
  std::atomic<int> batch_leaves_{0};
};

TEST_F(NodeSigningTest, readyz_is_ready_with_the_lgsp_node_token) {
  start();
  auto body = readyz(200);
  EXPECT_EQ(body["signing"]["state"], "ready");
  EXPECT_EQ(body["signing"]["token"], "lgsp-node");
}

TEST_F(NodeSigningTest, concurrent_leaves_share_signatures_and_each_seal_verifies) {
  start();
  readyz(200);
  constexpr int kLeaves = 400;
  std::vector<Sha256> leaves(kLeaves);
  std::vector<std::future<json>> seals(kLeaves);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < kLeaves; i += 8) {
        leaves[i] = sha256("message " + std::to_string(i));
        seals[i] = node_->sealer()->seal(leaves[i]);
      }
    });
  for (auto& t : threads) t.join();
  auto store = trust();
  std::set<std::string> roots;
  for (int i = 0; i < kLeaves; ++i) {
    auto seal = seals[i].get();
    auto check = verify_seal(leaves[i], seal, &store);
    ASSERT_TRUE(check.valid) << i << ": " << check.reason;
    EXPECT_EQ(seal["alg"], "ES256");
    roots.insert(seal["root"]);
  }
  EXPECT_EQ(batch_leaves_.load(), kLeaves);
  EXPECT_LT(batches_.load(), kLeaves / 4) << "leaves must be batched under one signature";
  EXPECT_EQ(static_cast<int>(roots.size()), batches_.load());
}

TEST_F(NodeSigningTest, a_seal_does_not_verify_for_anything_it_was_not_made_for) {
  start();
  readyz(200);
  const Sha256 leaf = sha256("receipt");
  std::vector<std::future<json>> others;
  for (int i = 0; i < 5; ++i) others.push_back(node_->sealer()->seal(sha256("other " + std::to_string(i))));
  json seal = node_->sealer()->seal(leaf).get();
  auto store = trust();
  ASSERT_TRUE(verify_seal(leaf, seal, &store).valid);

  EXPECT_NE(verify_seal(sha256("receipt changed"), seal, &store).reason.find("was changed"), std::string::npos);
  json bad_sig = seal;
  std::string sig = bad_sig["sig"];
  sig[10] = sig[10] == 'A' ? 'B' : 'A';
  bad_sig["sig"] = sig;
  EXPECT_FALSE(verify_seal(leaf, bad_sig, &store).valid);
  json bad_root = seal;
  bad_root["signed_at"] = "2020-01-01T00:00:00.000Z";
  EXPECT_NE(verify_seal(leaf, bad_root, &store).reason.find("does not verify"), std::string::npos);
  json no_proof = seal;
  no_proof.erase("proof");
  EXPECT_NE(verify_seal(leaf, no_proof, &store).reason.find("proof"), std::string::npos);
  auto stranger = trust("untrusted-root.pem");
  EXPECT_NE(verify_seal(leaf, seal, &stranger).reason.find("not trusted"), std::string::npos);
  for (auto& f : others) f.get();
}

TEST_F(NodeSigningTest, readyz_is_503_naming_an_absent_token) {
  config_.signing.token = "no-such-token";
  start();
  auto body = readyz(503);
  EXPECT_EQ(body["signing"]["state"], "unavailable");
  EXPECT_NE(body["reason"].get<std::string>().find("HSM unavailable"), std::string::npos) << body.dump();
  // A message cannot be sealed either: the caller gets the reason, nothing hangs.
  auto sealed = node_->sealer()->seal(sha256("x"));
  EXPECT_THROW(sealed.get(), SealError);
}

TEST_F(NodeSigningTest, readyz_is_503_when_the_pin_is_wrong) {
  ::setenv("LGSP_PIN", "000000", 1);
  start();
  auto body = readyz(503);
  EXPECT_NE(body["reason"].get<std::string>().find("PIN"), std::string::npos) << body.dump();
  // After the reopen interval the node has not tried the same wrong PIN again (a real token would lock).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  body = readyz(503);
  EXPECT_NE(body["reason"].get<std::string>().find("restart"), std::string::npos) << body.dump();
}

TEST_F(NodeSigningTest, readyz_is_503_without_a_module) {
  config_.signing.module.clear();
  start();
  auto body = readyz(503);
  EXPECT_NE(body["reason"].get<std::string>().find("no PKCS#11 module"), std::string::npos) << body.dump();
}

TEST_F(NodeSigningTest, signing_can_be_disabled_explicitly) {
  config_.signing.enabled = false;
  start();
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  ASSERT_TRUE(node_->wait_store());
  auto r = c.request("GET", "/readyz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body)["signing"]["state"], "disabled");
  EXPECT_EQ(node_->sealer(), nullptr);
}

}  // namespace
