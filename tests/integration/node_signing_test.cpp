// The node's seal with the real SoftHSM2 `lgsp-node` token (hsm-sim): batching, verification, and
// /readyz when the HSM is missing or refuses the PIN.
#include "http_client.hpp"
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/trust.hpp"
#include "process.hpp"
#include "slow_signer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;

// Exports what hsm-sim's env file exports (SOFTHSM2_CONF, LGSP_PKCS11_MODULE, LGSP_PIN) into this process.
fs::path load_hsm_env() {
  const char* dir = std::getenv("LGSP_TEST_HSM_DIR");
  if (!dir) return {};
  lgsp::test::export_hsm_sim_env(dir);
  return dir;
}

// Submits `count` distinct leaves from 8 threads at once; the seals arrive later.
std::pair<std::vector<Sha256>, std::vector<std::future<json>>> seal_from_8_threads(Sealer& sealer, int count) {
  std::vector<Sha256> leaves(count);
  std::vector<std::future<json>> seals(count);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < count; i += 8) {
        leaves[i] = sha256("message " + std::to_string(i));
        seals[i] = sealer.seal(leaves[i]);
      }
    });
  for (auto& t : threads) t.join();
  return {std::move(leaves), std::move(seals)};
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
  auto [leaves, seals] = seal_from_8_threads(*node_->sealer(), kLeaves);
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

// A token that signs five times a second still seals thousands of messages: the leaves that queue
// while one signature runs share the next one, up to the batch limit. The number of signatures,
// not the time taken, is what shows it.
TEST_F(NodeSigningTest, a_token_that_signs_five_times_a_second_still_seals_thousands_of_leaves) {
  lgsp::signing::TokenModule module(std::getenv("LGSP_PKCS11_MODULE"));
  std::atomic<int> opened{0};
  std::vector<std::size_t> sizes;
  std::mutex sizes_mutex;
  BatchSignerOptions options;  // the node's window (5 ms); a batch limit the 3,000 leaves reach
  options.max_batch = 1024;
  BatchSigner sealer(
      [&]() -> std::unique_ptr<lgsp::signing::Signer> {
        ++opened;
        auto token = module.open_signer(
            lgsp::signing::KeySelector{"lgsp-node", std::nullopt},
            [&](const std::string&) { return std::optional<std::string>(pin_); },
            lgsp::signing::load_pem_certificates(hsm_ / "pki/issuing-ca.pem"));
        return std::make_unique<lgsp::test::SlowSigner>(std::move(token), std::chrono::milliseconds(200));
      },
      options,
      [&](const SignedBatch& b, double) {
        std::lock_guard lock(sizes_mutex);
        sizes.push_back(b.size);
      });
  constexpr int kLeaves = 3000;
  auto [leaves, seals] = seal_from_8_threads(sealer, kLeaves);
  auto store = trust();
  for (int i = 0; i < kLeaves; ++i) {
    auto check = verify_seal(leaves[i], seals[i].get(), &store);
    ASSERT_TRUE(check.valid) << i << ": " << check.reason;
  }
  EXPECT_EQ(opened.load(), 1);
  std::lock_guard lock(sizes_mutex);
  std::size_t sealed = 0;
  for (auto n : sizes) {
    EXPECT_LE(n, options.max_batch);
    sealed += n;
  }
  EXPECT_EQ(sealed, static_cast<std::size_t>(kLeaves));
  // 3,000 leaves in at most 1024 per signature: three full batches, plus what came in before the
  // first signature started. One signature per leaf would take ten minutes at this speed.
  EXPECT_LE(sizes.size(), 6u) << "batch sizes: " << json(sizes).dump();
  EXPECT_GE(sizes.size(), 3u);
}

// A sync caller's seal waits only the call window: calls arriving within it share one signature,
// and none waits for the (much longer) window of the asynchronous pipeline.
TEST_F(NodeSigningTest, urgent_leaves_wait_only_the_call_window_and_share_its_signature) {
  config_.signing.batch_window_ms = 1000;
  config_.signing.call_batch_window_us = 100000;
  start();
  readyz(200);
  auto urgent = [&](const Sha256& leaf) {
    auto promise = std::make_shared<std::promise<json>>();
    node_->sealer()->seal_urgent(leaf, [promise](Seal seal, std::exception_ptr error) {
      if (error)
        promise->set_exception(error);
      else
        promise->set_value(seal.json());
    });
    return promise->get_future();
  };
  const auto started = std::chrono::steady_clock::now();
  auto first = urgent(sha256("call 1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto second = urgent(sha256("call 2"));
  ASSERT_EQ(first.wait_for(std::chrono::milliseconds(700)), std::future_status::ready)
      << "an urgent leaf must not wait for the 1 s batch window";
  const auto a = first.get();
  const auto b = second.get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(700));
  EXPECT_EQ(a["root"], b["root"]) << "both calls arrived within the call window: one signature";
  EXPECT_EQ(a["batch_size"], 2);
  auto store = trust();
  EXPECT_TRUE(verify_seal(sha256("call 1"), a, &store).valid);
  EXPECT_TRUE(verify_seal(sha256("call 2"), b, &store).valid);
}

TEST_F(NodeSigningTest, without_a_call_window_an_urgent_leaf_is_signed_at_once) {
  config_.signing.batch_window_ms = 1000;
  start();
  readyz(200);
  auto promise = std::make_shared<std::promise<json>>();
  node_->sealer()->seal_urgent(sha256("call"),
                               [promise](Seal seal, std::exception_ptr) { promise->set_value(seal.json()); });
  auto future = promise->get_future();
  ASSERT_EQ(future.wait_for(std::chrono::milliseconds(700)), std::future_status::ready);
  EXPECT_EQ(future.get()["batch_size"], 1);
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

TEST_F(NodeSigningTest, recovers_when_the_token_is_plugged_in_later) {
  // A SoftHSM2 configuration whose token folder is empty at first: the token is "unplugged".
  const char* conf = std::getenv("SOFTHSM2_CONF");
  ASSERT_NE(conf, nullptr);
  const std::string saved_conf = conf;
  fs::create_directories(dir_ / "tokens");
  std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << (dir_ / "tokens").string()
                                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
  start();
  auto body = readyz(503);
  EXPECT_EQ(body["signing"]["state"], "unavailable") << body.dump();
  EXPECT_THROW(node_->sealer()->seal(sha256("while unplugged")).get(), SealError);

  fs::copy(hsm_ / "tokens", dir_ / "tokens", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  body = readyz(200);  // the sealer reopens the token every 2 s
  EXPECT_EQ(body["signing"]["state"], "ready") << body.dump();
  const Sha256 leaf = sha256("after plugging in");
  auto check = verify_seal(leaf, node_->sealer()->seal(leaf).get(), nullptr);
  EXPECT_TRUE(check.valid) << check.reason;
  node_.reset();
  ::setenv("SOFTHSM2_CONF", saved_conf.c_str(), 1);
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

// `lgsp verify-receipt` on a receipt sealed by the node: valid as issued; each tampering is refused
// (exit 1) with its own reason; usage errors exit 2.
class VerifyReceiptCliTest : public NodeSigningTest {
 protected:
  void SetUp() override {
    NodeSigningTest::SetUp();
    if (HasFatalFailure()) return;
    fs::create_directories(dir_);
    start();
    readyz(200);
    payload_ = R"({"hoTen":"Nguyen Van A","soGiayTo":"001099000123"})";
    receipt_.message_id = "5f0c6a3e-2b7d-4c1e-9a52-0d3c1f8e7b10";
    receipt_.client = "000.00.13.H29/MOTCUA";
    receipt_.service = "000.00.00.H29/HOTICH/trichluc.yeucau/v1";
    receipt_.accepted_at = "2026-11-23T07:50:00.123Z";
    receipt_.payload_sha256 = sha256_hex(payload_);
    // Company in the batch, so the proof has steps to tamper with.
    std::vector<std::future<json>> others;
    for (int i = 0; i < 3; ++i) others.push_back(node_->sealer()->seal(sha256("other " + std::to_string(i))));
    receipt_.signature = node_->sealer()->seal(receipt_.leaf()).get();
    for (auto& f : others) f.get();
    std::ofstream(dir_ / "payload.json") << payload_;
  }
  std::string write(const std::string& name, const json& record) {
    auto path = dir_ / name;
    std::ofstream(path) << record.dump(2);
    return path.string();
  }
  // With --trust (the test PKI's root) and --node-cert (the lgsp-node token's certificate) unless
  // `extra` names them.
  lgsp::test::RunResult verify(const json& record, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kLgsp, "verify-receipt", "--receipt", write("receipt.json", record)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto has = [&](const char* flag) { return std::find(extra.begin(), extra.end(), flag) != extra.end(); };
    if (!has("--trust")) argv.insert(argv.end(), {"--trust", root_ca()});
    if (!has("--node-cert") && !has("--data-dir")) argv.insert(argv.end(), {"--node-cert", node_cert()});
    return lgsp::test::run(argv);
  }
  // The same receipt written as given (for documents nlohmann would not write, like repeated keys).
  lgsp::test::RunResult verify_text(const std::string& text) {
    std::ofstream(dir_ / "raw.json") << text;
    return lgsp::test::run({kLgsp, "verify-receipt", "--receipt", (dir_ / "raw.json").string(), "--trust", root_ca(),
                            "--node-cert", node_cert()});
  }
  std::string root_ca() const { return (hsm_ / "pki/root-ca.pem").string(); }
  std::string node_cert() const { return (hsm_ / "pki/lgsp-node.pem").string(); }
  std::string payload_path() const { return (dir_ / "payload.json").string(); }

  std::string payload_;
  Receipt receipt_;
};

TEST_F(VerifyReceiptCliTest, accepts_the_receipt_as_issued_with_payload_and_trust) {
  auto r = verify(receipt_.to_json(), {"--payload", payload_path(), "--trust", root_ca()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid: sealed by"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("note:"), std::string::npos) << "trusted, so no warning: " << r.out;
}

// Without --trust the certificate a seal carries proves nothing: a usage error, not "valid".
TEST_F(VerifyReceiptCliTest, refuses_to_run_without_trust_or_a_pinned_node_certificate) {
  const std::string receipt = write("receipt.json", receipt_.to_json());
  auto no_trust = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--node-cert", node_cert()});
  EXPECT_EQ(no_trust.exit_code, 2) << no_trust.out;
  EXPECT_NE(no_trust.err.find("give --trust"), std::string::npos) << no_trust.err;
  EXPECT_EQ(no_trust.out.find("valid"), std::string::npos) << no_trust.out;
  auto no_pin = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--trust", root_ca()});
  EXPECT_EQ(no_pin.exit_code, 2) << no_pin.out;
  EXPECT_NE(no_pin.err.find("give --node-cert"), std::string::npos) << no_pin.err;
  // A CA certificate pins nothing: the node's certificate is what is pinned.
  auto ca_only = verify(receipt_.to_json(), {"--node-cert", (hsm_ / "pki/issuing-ca.pem").string()});
  EXPECT_EQ(ca_only.exit_code, 2) << ca_only.out;
  EXPECT_NE(ca_only.err.find("no node certificate to pin"), std::string::npos) << ca_only.err;
}

// Another agency's seal key (hsm-sim's agency-seal token, under the same trusted root) seals a receipt
// that verifies with the certificate it carries and chains to the root: it is still not the node's.
TEST_F(VerifyReceiptCliTest, refuses_a_receipt_sealed_by_another_certificate_under_the_trusted_root) {
  auto genuine = verify(receipt_.to_json());
  ASSERT_EQ(genuine.exit_code, 0) << genuine.err;
  node_.reset();
  config_.signing.token = "agency-seal";
  start();
  readyz(200);
  Receipt forged = receipt_;
  forged.signature = node_->sealer()->seal(forged.leaf()).get();
  node_.reset();
  auto r = verify(forged.to_json(), {"--payload", payload_path()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("not a pinned node certificate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Con dấu UBND phường Bến Thành"), std::string::npos) << "names the sealer: " << r.err;
  // The same with the delivered headers.
  auto header = lgsp::test::run({kLgsp, "verify-receipt", "--seal-header", forged.signature.dump(), "--message-id",
                                 forged.message_id, "--client", forged.client, "--service", forged.service,
                                 "--accepted-at", forged.accepted_at, "--payload", payload_path(), "--trust", root_ca(),
                                 "--node-cert", node_cert()});
  EXPECT_EQ(header.exit_code, 1) << header.out;
  EXPECT_NE(header.err.find("not a pinned node certificate"), std::string::npos) << header.err;
  // The node's own store pins its token's certificate and its registered peers', not agency-seal.
  auto from_store = verify(forged.to_json(), {"--data-dir", dir_.string()});
  EXPECT_EQ(from_store.exit_code, 1) << from_store.out;
  EXPECT_NE(from_store.err.find("not a pinned node certificate"), std::string::npos) << from_store.err;
  auto genuine_from_store = verify(receipt_.to_json(), {"--data-dir", dir_.string()});
  EXPECT_EQ(genuine_from_store.exit_code, 0) << genuine_from_store.err;
}

TEST_F(VerifyReceiptCliTest, refuses_a_receipt_with_a_repeated_key) {
  const std::string good = receipt_.to_json().dump();
  ASSERT_EQ(verify_text(good).exit_code, 0);
  // A second "client" after the first: which one a reader takes depends on the parser.
  auto top = verify_text("{\"client\":\"000.00.99.H29/KHAC\"," + good.substr(1));
  EXPECT_EQ(top.exit_code, 1) << top.out;
  EXPECT_NE(top.err.find("the key 'client' appears twice"), std::string::npos) << top.err;
  // Inside the seal, too.
  json record = receipt_.to_json();
  std::string text = record.dump();
  const auto at = text.find("\"sig\":");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"sig\":\"AAAA\",");
  auto nested = verify_text(text);
  EXPECT_EQ(nested.exit_code, 1) << nested.out;
  EXPECT_NE(nested.err.find("the key 'sig' appears twice"), std::string::npos) << nested.err;
  // The same key in two different objects is fine.
  EXPECT_EQ(verify_text(good).exit_code, 0);
}

TEST_F(VerifyReceiptCliTest, refuses_a_payload_that_is_not_the_one_received) {
  std::ofstream(dir_ / "other.json") << R"({"hoTen":"Nguyen Van B","soGiayTo":"001099000123"})";
  auto r = verify(receipt_.to_json(), {"--payload", (dir_ / "other.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lgsp: receipt "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is not the one the receipt names"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, refuses_each_changed_receipt_field) {
  for (const char* field : {"message_id", "client", "service", "accepted_at", "payload_sha256"}) {
    json record = receipt_.to_json();
    std::string value = record[field];
    value.back() = value.back() == '0' ? '1' : '0';
    record[field] = value;
    auto r = verify(record);
    EXPECT_EQ(r.exit_code, 1) << field;
    EXPECT_NE(r.err.find("was changed"), std::string::npos) << field << ": " << r.err;
  }
}

TEST_F(VerifyReceiptCliTest, refuses_a_changed_proof_step) {
  json record = receipt_.to_json();
  ASSERT_FALSE(record["signature"]["proof"].empty());
  std::string step = record["signature"]["proof"][0];
  step.back() = step.back() == '0' ? '1' : '0';
  record["signature"]["proof"][0] = step;
  auto r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was changed"), std::string::npos) << r.err;

  record["signature"]["proof"][0] = "X:" + step.substr(2);
  r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("proof is malformed"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, refuses_a_changed_signature_or_signing_time) {
  json record = receipt_.to_json();
  std::string sig = record["signature"]["sig"];
  sig[4] = sig[4] == 'A' ? 'B' : 'A';
  record["signature"]["sig"] = sig;
  auto r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;

  record = receipt_.to_json();
  record["signature"]["signed_at"] = "2026-01-01T00:00:00.000Z";
  r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, refuses_a_certificate_that_does_not_chain_to_the_trusted_root) {
  auto r = verify(receipt_.to_json(), {"--trust", (hsm_ / "pki/untrusted-root.pem").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not trusted"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, refuses_a_record_without_a_seal_or_fields) {
  json record = receipt_.to_json();
  record.erase("signature");
  auto r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a JSON object"), std::string::npos) << r.err;

  record = receipt_.to_json();
  record.erase("client");
  r = verify(record);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a receipt"), std::string::npos) << r.err;

  r = verify_text("{not json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a receipt"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, checks_the_delivered_headers_with_seal_header) {
  std::vector<std::string> argv{kLgsp,          "verify-receipt",    "--seal-header", receipt_.signature.dump(),
                                "--message-id", receipt_.message_id, "--client",      receipt_.client,
                                "--service",    receipt_.service,    "--accepted-at", receipt_.accepted_at,
                                "--payload",    payload_path(),      "--trust",       root_ca(),
                                "--node-cert",  node_cert()};
  auto r = lgsp::test::run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  auto wrong_service = argv;
  wrong_service[9] = "000.00.00.H29/HOTICH/other/v1";
  r = lgsp::test::run(wrong_service);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was changed"), std::string::npos) << r.err;

  auto with_digest = argv;
  with_digest[12] = "--payload-sha256";
  with_digest[13] = sha256_hex("another body");
  r = lgsp::test::run(with_digest);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was changed"), std::string::npos) << r.err;
}

TEST_F(VerifyReceiptCliTest, usage_errors_exit_2) {
  const std::string receipt = write("receipt.json", receipt_.to_json());
  auto neither = lgsp::test::run({kLgsp, "verify-receipt"});
  EXPECT_EQ(neither.exit_code, 2) << neither.err;
  auto both =
      lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--seal-header", receipt_.signature.dump()});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  auto missing_fields = lgsp::test::run({kLgsp, "verify-receipt", "--seal-header", receipt_.signature.dump(), "--trust",
                                         root_ca(), "--node-cert", node_cert()});
  EXPECT_EQ(missing_fields.exit_code, 2);
  EXPECT_NE(missing_fields.err.find("--seal-header needs --message-id"), std::string::npos) << missing_fields.err;
  auto stray = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--client", "x"});
  EXPECT_EQ(stray.exit_code, 2) << stray.err;
  auto no_file = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", (dir_ / "missing.json").string()});
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
  auto no_payload =
      lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--payload", (dir_ / "missing.bin").string()});
  EXPECT_EQ(no_payload.exit_code, 2) << no_payload.err;
  auto bad_trust = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--trust",
                                    (dir_ / "missing.pem").string(), "--node-cert", node_cert()});
  EXPECT_EQ(bad_trust.exit_code, 2) << bad_trust.err;
  auto bad_pin = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", receipt, "--trust", root_ca(), "--node-cert",
                                  (dir_ / "missing.pem").string()});
  EXPECT_EQ(bad_pin.exit_code, 2) << bad_pin.err;
  auto no_store = lgsp::test::run(
      {kLgsp, "verify-receipt", "--receipt", receipt, "--trust", root_ca(), "--data-dir", (dir_ / "nowhere").string()});
  EXPECT_EQ(no_store.exit_code, 2) << no_store.err;
  EXPECT_NE(no_store.err.find("no node store here"), std::string::npos) << no_store.err;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere")) << "refused without creating a store";
}

}  // namespace
