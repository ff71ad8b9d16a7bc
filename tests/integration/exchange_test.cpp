// The asynchronous exchange end to end: a sealing node (SoftHSM2 lgsp-node via hsm-sim) in front of a
// receiver (another node's listener), with the registry, contracts, idempotency, ordering, retries,
// the dead-letter queue, the message log and `lgsp log verify`.
#include "lgsp/bus/exchange.hpp"
#include "http_client.hpp"
#include "lgsp/bus/chain_timestamp.hpp"
#include "lgsp/bus/dead_letters.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/contracts/base64.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWard = "000.00.13.H29";
const std::string kClient = kWard + "/MOTCUA";
const std::string kProvider = kWard + "/HOTICH";
const std::string kService = kProvider + "/hoso/v1";

std::string payload(const std::string& file = "valid-1-step-to-department.json") {
  return lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples" / file);
}

// What the receiver saw, in arrival order.
struct Arrival {
  std::string id;
  std::string conversation;
  std::string signature;
  std::string accepted_at;
  std::string body;
};

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    lgsp::test::export_hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-exchange-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);

    Config rc;
    rc.server.listen = HostPort{"127.0.0.1", 0};
    rc.server.threads = 2;
    rc.store.data_dir = dir_ / "receiver";
    rc.signing.enabled = false;
    receiver_ = std::make_unique<Node>(rc);
    receiver_->router().add("POST", "/in", [this](HttpRequest& r, Reply reply) {
      unsigned status = 200;
      {
        std::lock_guard lock(mutex_);
        arrivals_.push_back({r.header("lgsp-message-id").value_or(""), r.header("lgsp-conversation-id").value_or(""),
                             r.header("lgsp-signature").value_or(""), r.header("lgsp-accepted-at").value_or(""),
                             r.body});
        if (answer_) status = answer_(arrivals_.back());
      }
      reply(HttpResponse::json(status, json::object()));
    });
    receiver_->start();

    start_node(hsm_ / "pki/issuing-ca.pem");
    ASSERT_TRUE(node_->wait_store());
    Registry reg(*node_->store(), &node_->catalogue());
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kClient);
    reg.add_subsystem(kProvider);
    reg.add_subsystem(kWard + "/OTHER");
    add_service(kService, 8, 30);
    key_ = reg.create_api_key(kClient);
    other_key_ = reg.create_api_key(kWard + "/OTHER");
    wait_sealer();
  }
  // (Re)starts the node on its store, signing with `ca_chain` as signing.ca_chain (none when empty).
  void start_node(const fs::path& ca_chain, const std::string& token = "lgsp-node") {
    services_.reset();
    node_.reset();
    Config nc = Config::load(std::nullopt, Config::process_environment());
    nc.signing.token = token;
    nc.server.listen = HostPort{"127.0.0.1", 0};
    nc.server.threads = 2;
    nc.store.data_dir = dir_ / "node";
    nc.signing.ca_chain = ca_chain;
    node_ = std::make_unique<Node>(nc);
    ExchangeOptions options;
    options.poll_interval = std::chrono::milliseconds(20);
    services_ = std::make_unique<NodeServices>(*node_, options);
    node_->start();
    services_->start();
  }
  void wait_sealer() {
    for (int i = 0; i < 200; ++i) {
      std::string why;
      if (node_->sealer()->ready(why)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  void TearDown() override {
    services_.reset();
    node_.reset();
    receiver_.reset();
    fs::remove_all(dir_);
  }
  void add_service(const std::string& id, int attempts, int backoff_ms, bool keep_payload = true) {
    Registry reg(*node_->store(), &node_->catalogue());
    Service s;
    s.id = id;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver_->endpoint().port) + "/in";
    s.timeout_ms = 2000;
    s.retry = {attempts, backoff_ms, backoff_ms * 4};
    s.keep_payload = keep_payload;
    reg.add_service(s);
    reg.grant(kClient, id);
  }
  // Puts the issuing CA's certificate where the stored sealing certificate was, then runs
  // `lgsp log verify` on the stopped node's store: every seal that names the certificate must fail.
  lgsp::test::RunResult verify_with_swapped_certificate(const std::string& data,
                                                        const std::vector<std::string>& options = {}) {
    auto swap = lgsp::test::run(
        {"/usr/bin/sqlite3", data + "/lgsp.db", "UPDATE seal_certificate SET cert = json_extract(chain, '$[0]')"});
    EXPECT_EQ(swap.exit_code, 0) << swap.err;
    std::vector<std::string> argv = {kLgsp, "log", "verify", "--data-dir", data};
    argv.insert(argv.end(), options.begin(), options.end());
    return lgsp::test::run(argv);
  }
  lgsp::test::ClientResponse send(const std::string& id, const std::string& body = payload(),
                                  std::map<std::string, std::string> headers = {},
                                  const std::string& service = kService) {
    lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
    headers.emplace("Content-Type", "application/json");
    headers.emplace("Authorization", "Bearer " + key_);
    headers.emplace("LGSP-Client", kClient);
    headers.emplace("LGSP-Service", service);
    headers.emplace("LGSP-Message-Id", id);
    return c.request("POST", "/v1/messages", body, headers);
  }
  json status(const std::string& id) {
    lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
    auto r =
        c.request("GET", "/v1/messages/" + id, "", {{"Authorization", "Bearer " + key_}, {"LGSP-Client", kClient}});
    return r.status == 200 ? json::parse(r.body) : json{{"http", r.status}};
  }
  // Waits until the message reaches `state` (delivered / dead), or fails after a few seconds.
  bool wait_state(const std::string& id, const std::string& state) {
    for (int i = 0; i < 400; ++i) {
      if (status(id).value("state", "") == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << id << " never reached " << state << ": " << status(id).dump();
    return false;
  }
  std::vector<Arrival> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  std::string code_of(const lgsp::test::ClientResponse& r) { return json::parse(r.body).value("code", ""); }

  fs::path hsm_, dir_;
  std::unique_ptr<Node> receiver_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<NodeServices> services_;
  std::string key_, other_key_;
  std::mutex mutex_;
  std::vector<Arrival> arrivals_;
  std::function<unsigned(const Arrival&)> answer_;
};

TEST_F(ExchangeTest, accepts_with_a_sealed_receipt_and_delivers_the_payload_as_sent) {
  const std::string body = payload();
  auto r = send("msg-0001", body);
  ASSERT_EQ(r.status, 202u) << r.body;
  auto receipt = Receipt::from_json(json::parse(r.body));
  EXPECT_EQ(receipt.payload_sha256, sha256_hex(body));
  EXPECT_EQ(receipt.client, kClient);
  auto check = verify_seal(receipt.leaf(), receipt.signature, nullptr);
  EXPECT_TRUE(check.valid) << check.reason;

  ASSERT_TRUE(wait_state("msg-0001", "delivered"));
  auto got = arrivals();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, body);
  // The receiver can check the node's signature from the headers alone.
  Receipt rebuilt{got[0].id, kService, kClient, got[0].accepted_at, sha256_hex(got[0].body), {}};
  EXPECT_TRUE(verify_seal(rebuilt.leaf(), json::parse(got[0].signature), nullptr).valid);
  auto st = status("msg-0001");
  ASSERT_EQ(st["attempts"].size(), 1u);
  EXPECT_EQ(st["attempts"][0]["status"], 200);
}

TEST_F(ExchangeTest, stores_seals_naming_the_certificate_and_hands_out_full_seals) {
  auto r = send("cert-1");
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(wait_state("cert-1", "delivered"));
  const json handed = json::parse(r.body)["signature"];
  ASSERT_TRUE(handed.contains("cert") && handed.contains("chain")) << handed.dump();
  // What the node keeps: the seal names its certificate, which is kept once.
  std::string stored, record;
  std::int64_t certificates = 0;
  node_->store()->read([&](Transaction& tx) {
    stored = tx.query("SELECT seal FROM message_body").at(0).text("seal");
    record = tx.query("SELECT body FROM message_log WHERE kind = 'accepted'").at(0).text("body");
    certificates = tx.query("SELECT count(*) AS n FROM seal_certificate").at(0).integer("n");
  });
  const json kept = json::parse(stored);
  EXPECT_FALSE(kept.contains("cert"));
  EXPECT_EQ(kept["cert_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(json::parse(record)["signature"], kept);
  EXPECT_EQ(certificates, 1);
  // Everything handed out carries the same full seal: the repeat, the status, the delivery.
  auto again = send("cert-1");
  ASSERT_EQ(again.status, 200u);
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(status("cert-1")["receipt"]["signature"], handed);
  auto got = arrivals();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].signature, handed.dump());
  // The log verifies from the store and from an archive, which carries the certificate.
  services_.reset();
  node_.reset();
  const std::string data = (dir_ / "node").string();
  const std::string root = (hsm_ / "pki/root-ca.pem").string();
  auto verified = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  // From a record after the batch record: the certificate comes from the store.
  auto tail = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--from", "2", "--trust", root});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  const std::string archive = (dir_ / "log.json").string();
  ASSERT_EQ(lgsp::test::run({kLgsp, "log", "export", "--data-dir", data, "--from", "2", "--out", archive}).exit_code,
            0);
  auto offline = lgsp::test::run({kLgsp, "log", "verify", "--archive", archive, "--trust", root});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  // A certificate swapped in the store no longer matches the name in the seals.
  auto swapped = verify_with_swapped_certificate(data, {"--from", "2"});
  EXPECT_EQ(swapped.exit_code, 1);
}

// A node first run without signing.ca_chain seals with an empty chain; restarted with the chain, it
// stores the chain, and every stored seal goes out with it from then on (the archive verifies too).
TEST_F(ExchangeTest, a_chain_configured_later_reaches_the_seals_stored_before_it) {
  start_node({});
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  auto first = send("chain-1");
  ASSERT_EQ(first.status, 202u) << first.body;
  ASSERT_EQ(json::parse(first.body)["signature"]["chain"], json::array()) << "hsm-sim's token holds no CA";
  ASSERT_TRUE(wait_state("chain-1", "delivered"));

  start_node(hsm_ / "pki/issuing-ca.pem");
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  // An old seal expanded before anything new is sealed still has the chain the store holds.
  EXPECT_EQ(status("chain-1")["receipt"]["signature"]["chain"], json::array());
  auto second = send("chain-2");
  ASSERT_EQ(second.status, 202u) << second.body;
  const json chain = json::parse(second.body)["signature"]["chain"];
  ASSERT_EQ(chain.size(), 1u);
  auto again = send("chain-1");
  ASSERT_EQ(again.status, 200u);
  const json repeated = json::parse(again.body)["signature"];
  EXPECT_EQ(repeated["chain"], chain);
  EXPECT_EQ(status("chain-1")["receipt"]["signature"]["chain"], chain);
  // The rest of the receipt is what was handed out the first time.
  json before = json::parse(first.body);
  before["signature"]["chain"] = chain;
  EXPECT_EQ(json::parse(again.body), before);
  ASSERT_TRUE(wait_state("chain-2", "delivered"));

  services_.reset();
  node_.reset();
  const std::string data = (dir_ / "node").string();
  const std::string root = (hsm_ / "pki/root-ca.pem").string();
  auto verified = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  const std::string archive = (dir_ / "log.json").string();
  ASSERT_EQ(lgsp::test::run({kLgsp, "log", "export", "--data-dir", data, "--out", archive}).exit_code, 0);
  auto offline = lgsp::test::run({kLgsp, "log", "verify", "--archive", archive, "--trust", root});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
}

// The chain a proxied call stores (with its batch record) is the chain the exchange hands out
// for messages stored before: a node that only proxies calls after the restart still sends the
// new chain.
TEST_F(ExchangeTest, a_chain_stored_by_a_proxied_call_reaches_the_old_messages_seals) {
  start_node({});
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  ASSERT_EQ(send("calls-chain-1").status, 202u);
  ASSERT_TRUE(wait_state("calls-chain-1", "delivered"));

  start_node(hsm_ / "pki/issuing-ca.pem");
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  ASSERT_EQ(status("calls-chain-1")["receipt"]["signature"]["chain"], json::array());
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  auto call =
      c.request("POST", "/v1/call/" + kService, payload(),
                {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key_}, {"LGSP-Client", kClient}});
  ASSERT_EQ(call.status, 200u) << call.body;
  const json chain = json::parse(call.headers.at("lgsp-signature"))["chain"];
  ASSERT_EQ(chain.size(), 1u);
  // The batch record (which stores the chain) is appended after the answer.
  json seen;
  for (int i = 0; i < 200 && seen != chain; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    seen = status("calls-chain-1")["receipt"]["signature"]["chain"];
  }
  EXPECT_EQ(seen, chain);
}

// A stored seal whose certificate is gone from the store (changed behind the node's back) is never
// handed out as if it were whole: status and a repeat answer 500 naming it, and the delivery is not
// sent but retried, then dead-lettered with the reason.
TEST_F(ExchangeTest, a_seal_whose_certificate_left_the_store_is_not_handed_out) {
  const std::string slow = kProvider + "/slow/v1";
  add_service(slow, 3, 300);
  {
    std::lock_guard lock(mutex_);
    answer_ = [](const Arrival&) { return 503u; };
  }
  ASSERT_EQ(send("orphan-1", payload(), {}, slow).status, 202u);
  for (int i = 0; i < 200 && arrivals().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  services_.reset();
  node_.reset();
  const std::size_t before = arrivals().size();
  ASSERT_GE(before, 1u);
  ASSERT_EQ(
      lgsp::test::run({"/usr/bin/sqlite3", (dir_ / "node/lgsp.db").string(), "DELETE FROM seal_certificate"}).exit_code,
      0);
  {
    std::lock_guard lock(mutex_);
    answer_ = nullptr;
  }

  start_node(hsm_ / "pki/issuing-ca.pem");
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  auto got =
      c.request("GET", "/v1/messages/orphan-1", "", {{"Authorization", "Bearer " + key_}, {"LGSP-Client", kClient}});
  EXPECT_EQ(got.status, 500u);
  EXPECT_EQ(code_of(got), "LGSP-500-INTERNAL");
  EXPECT_NE(json::parse(got.body).value("detail", "").find("does not hold"), std::string::npos) << got.body;
  auto repeat = send("orphan-1", payload(), {}, slow);
  EXPECT_EQ(repeat.status, 500u) << repeat.body;
  EXPECT_NE(repeat.body.find("does not hold"), std::string::npos) << repeat.body;

  std::string state, last_error;
  std::int64_t attempts = 0;
  for (int i = 0; i < 400 && state != "dead"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    node_->store()->read([&](Transaction& tx) {
      auto rows = tx.query("SELECT state, last_error, attempts FROM message WHERE id = 'orphan-1'");
      state = rows.at(0).text("state");
      last_error = rows[0].optional_text("last_error").value_or("");
      attempts = rows[0].integer("attempts");
    });
  }
  EXPECT_EQ(state, "dead");
  EXPECT_EQ(attempts, 3) << "the service's retry policy: 3 attempts, the last ones without sending";
  EXPECT_NE(last_error.find("does not hold"), std::string::npos) << last_error;
  EXPECT_EQ(arrivals().size(), before) << "a seal nobody can verify must not be sent";
}

TEST_F(ExchangeTest, a_repeated_id_returns_the_same_receipt_and_is_not_delivered_again) {
  auto first = send("msg-dup");
  ASSERT_EQ(first.status, 202u);
  auto again = send("msg-dup");
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(json::parse(again.body), json::parse(first.body));
  auto conflict = send("msg-dup", payload("valid-2-whole-dossier-minimal.json"));
  EXPECT_EQ(conflict.status, 409u);
  EXPECT_EQ(code_of(conflict), "LGSP-409-MESSAGE-ID");
  ASSERT_TRUE(wait_state("msg-dup", "delivered"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(arrivals().size(), 1u);
}

TEST_F(ExchangeTest, refuses_with_specific_codes_and_records_the_refusals) {
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  auto anonymous = c.request("POST", "/v1/messages", payload(),
                             {{"LGSP-Client", kClient}, {"LGSP-Service", kService}, {"LGSP-Message-Id", "a1"}});
  EXPECT_EQ(anonymous.status, 401u);
  auto mismatch = send("a2", payload(), {{"LGSP-Client", kWard + "/OTHER"}});
  EXPECT_EQ(mismatch.status, 403u);
  EXPECT_EQ(code_of(mismatch), "LGSP-403-CLIENT");
  auto ungranted = c.request("POST", "/v1/messages", payload(),
                             {{"Authorization", "Bearer " + other_key_},
                              {"LGSP-Client", kWard + "/OTHER"},
                              {"LGSP-Service", kService},
                              {"LGSP-Message-Id", "a3"}});
  EXPECT_EQ(ungranted.status, 403u);
  EXPECT_EQ(code_of(ungranted), "LGSP-403-ACL");
  auto invalid = send("a4", payload("invalid-bad-dossier-code.json"));
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_EQ(code_of(invalid), "LGSP-400-CONTRACT");
  EXPECT_FALSE(json::parse(invalid.body)["errors"].empty());
  EXPECT_EQ(send("a5", "{not json").status, 400u);
  EXPECT_EQ(send("bad id with spaces").status, 400u);
  EXPECT_EQ(send("a6", payload(), {}, kProvider + "/nope/v1").status, 404u);

  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int recorded = 0, refused_on_header = 0;
  node_->store()->read([&](Transaction& tx) {
    recorded = static_cast<int>(
        tx.query("SELECT count(*) AS n FROM node_event WHERE kind = 'message.rejected'").at(0).integer("n"));
    // The anonymous one and the mismatched LGSP-Client are refused on their header, before their body is read
    // (and before the pipeline): recorded by the HTTP layer.
    refused_on_header =
        static_cast<int>(tx.query("SELECT count(*) AS n FROM node_event WHERE kind = 'http.rejected' AND (detail LIKE "
                                  "'%LGSP-401-AUTH%' OR detail LIKE '%LGSP-403-CLIENT%')")
                             .at(0)
                             .integer("n"));
  });
  EXPECT_EQ(recorded, 5);
  EXPECT_EQ(refused_on_header, 2);
  EXPECT_TRUE(arrivals().empty());
  EXPECT_EQ(status("a4")["http"], 404) << "nothing refused is stored";
}

TEST_F(ExchangeTest, a_flood_of_refused_requests_leaves_node_event_bounded_and_the_node_serving) {
  // Unauthenticated messages and calls with a 12 KB header, and requests whose headers are over the
  // limit: each used to store its header values in node_event (24 MB/s until the disk was full).
  const std::string big(12000, 'x');
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  for (int i = 0; i < 1500; ++i) {
    auto r =
        c.request("POST", "/v1/messages", payload(),
                  {{"LGSP-Client", big}, {"LGSP-Service", kService}, {"LGSP-Message-Id", "f" + std::to_string(i)}});
    ASSERT_EQ(r.status, 401u) << r.body;
  }
  for (int i = 0; i < 300; ++i) {
    auto r = c.request("GET", "/v1/call/" + kService + "/records", "", {{"LGSP-Client", big}});
    ASSERT_EQ(r.status, 401u) << r.body;
  }
  for (int i = 0; i < 100; ++i) {
    lgsp::test::HttpClient raw("127.0.0.1", node_->endpoint().port);
    auto r = raw.raw("GET /healthz HTTP/1.1\r\nHost: node\r\nX-Big: " + std::string(20000, 'y') + "\r\n\r\n");
    ASSERT_EQ(r.status, 431u);
  }
  node_->store()->write([](Transaction&) {}).get();  // what was handed to the store before is durable
  std::int64_t rows = 0, bytes = 0;
  node_->store()->read([&](Transaction& tx) {
    auto r = tx.query("SELECT count(*) AS n, coalesce(sum(length(detail)), 0) AS bytes FROM node_event");
    rows = r.at(0).integer("n");
    bytes = r[0].integer("bytes");
  });
  // Three kinds with one code each, at most 20 each a minute (twice if the flood straddles a minute).
  EXPECT_LE(rows, 2 * 3 * 20);
  EXPECT_GE(rows, 3) << "a sample is kept";
  EXPECT_LE(bytes, rows * 1200) << "values are cut short";
  EXPECT_EQ(node_->refusals()->totals().counted, 1900u);
  EXPECT_EQ(send("after-the-flood").status, 202u);
}

TEST_F(ExchangeTest, a_conversation_is_delivered_in_order_even_when_its_first_message_is_retried) {
  // The first message of conversation C is refused twice; the second must wait for it. Another
  // conversation is not held up.
  std::atomic<int> refusals{0};
  answer_ = [&](const Arrival& a) -> unsigned { return a.id == "c-1" && refusals++ < 2 ? 503 : 200; };
  ASSERT_EQ(send("c-1", payload(), {{"LGSP-Conversation-Id", "C"}}).status, 202u);
  ASSERT_EQ(send("c-2", payload(), {{"LGSP-Conversation-Id", "C"}}).status, 202u);
  ASSERT_EQ(send("d-1", payload(), {{"LGSP-Conversation-Id", "D"}}).status, 202u);
  ASSERT_TRUE(wait_state("c-2", "delivered"));
  ASSERT_TRUE(wait_state("d-1", "delivered"));
  std::vector<std::string> order;
  for (const auto& a : arrivals())
    if (a.conversation == "C") order.push_back(a.id);
  EXPECT_EQ(order, (std::vector<std::string>{"c-1", "c-1", "c-1", "c-2"}));
  auto got = arrivals();
  auto d = std::find_if(got.begin(), got.end(), [](const Arrival& a) { return a.id == "d-1"; });
  auto c2 = std::find_if(got.begin(), got.end(), [](const Arrival& a) { return a.id == "c-2"; });
  EXPECT_LT(d - got.begin(), c2 - got.begin()) << "conversation D must not wait for C";
  EXPECT_EQ(status("c-1")["attempts"].size(), 3u);
}

TEST_F(ExchangeTest, a_dead_message_holds_back_its_conversation_until_it_is_replayed) {
  // h-1 dies at its first refusal; h-2 of the same conversation must not overtake it, nor be sent beside it
  // once it is replayed. Conversation E, sent after h-1 died, goes on.
  add_service(kProvider + "/strict/v1", 1, 20);
  std::atomic<bool> up{false};
  answer_ = [&](const Arrival& a) -> unsigned { return a.id == "h-1" && !up ? 503 : 200; };
  ASSERT_EQ(send("h-1", payload(), {{"LGSP-Conversation-Id", "H"}}, kProvider + "/strict/v1").status, 202u);
  ASSERT_EQ(send("h-2", payload(), {{"LGSP-Conversation-Id", "H"}}, kProvider + "/strict/v1").status, 202u);
  ASSERT_TRUE(wait_state("h-1", "dead"));
  ASSERT_EQ(send("e-1", payload(), {{"LGSP-Conversation-Id", "E"}}, kProvider + "/strict/v1").status, 202u);
  ASSERT_TRUE(wait_state("e-1", "delivered"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several delivery rounds
  EXPECT_EQ(status("h-2")["state"], "accepted");
  EXPECT_TRUE(status("h-2")["attempts"].empty());

  up = true;
  EXPECT_EQ(replay_dead_letters(*node_->store(), "h-1", ""), 1u);
  ASSERT_TRUE(wait_state("h-2", "delivered"));
  EXPECT_EQ(status("h-1")["state"], "delivered");
  std::vector<std::string> order;
  for (const auto& a : arrivals())
    if (a.conversation == "H") order.push_back(a.id);
  EXPECT_EQ(order, (std::vector<std::string>{"h-1", "h-1", "h-2"}));
}

TEST_F(ExchangeTest, retries_then_dead_letters_then_replay_delivers) {
  add_service(kProvider + "/fragile/v1", 3, 20);
  std::atomic<bool> up{false};
  answer_ = [&](const Arrival&) -> unsigned { return up ? 200 : 500; };
  ASSERT_EQ(send("f-1", payload(), {}, kProvider + "/fragile/v1").status, 202u);
  ASSERT_TRUE(wait_state("f-1", "dead"));
  auto st = status("f-1");
  EXPECT_EQ(st["attempts"].size(), 3u);
  EXPECT_NE(st["last_error"].get<std::string>().find("HTTP 500"), std::string::npos);
  auto dead = list_dead_letters(*node_->store());
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message_id, "f-1");

  up = true;
  auto cli = lgsp::test::run({kLgsp, "dlq", "replay", "f-1", "--data-dir", (dir_ / "node").string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "replayed 1 message\n");
  ASSERT_TRUE(wait_state("f-1", "delivered"));
  EXPECT_TRUE(list_dead_letters(*node_->store()).empty());
  auto again = lgsp::test::run({kLgsp, "dlq", "replay", "f-1", "--data-dir", (dir_ / "node").string()});
  EXPECT_EQ(again.exit_code, 1);
}

TEST_F(ExchangeTest, drops_the_payload_after_delivery_when_the_service_keeps_none) {
  add_service(kProvider + "/private/v1", 3, 20, false);
  ASSERT_EQ(send("p-1", payload(), {}, kProvider + "/private/v1").status, 202u);
  ASSERT_TRUE(wait_state("p-1", "delivered"));
  bool dropped = false;
  std::string digest;
  node_->store()->read([&](Transaction& tx) {
    auto rows = tx.query(
        "SELECT b.payload IS NULL AS dropped, m.payload_sha256 FROM message m JOIN message_body b ON b.seq = m.seq"
        " WHERE m.id = 'p-1'");
    dropped = rows.at(0).integer("dropped") == 1;
    digest = rows[0].text("payload_sha256");
  });
  EXPECT_TRUE(dropped);
  EXPECT_EQ(digest, sha256_hex(payload()));
}

TEST_F(ExchangeTest, log_verify_passes_then_names_the_first_modified_record) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(send("l-" + std::to_string(i)).status, 202u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(wait_state("l-" + std::to_string(i), "delivered"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // batch records are appended on their own
  services_.reset();
  node_.reset();  // the CLI works on the store of a stopped (or running) node
  const std::string data = (dir_ / "node").string();
  const std::string root = (hsm_ / "pki/root-ca.pem").string();
  auto ok = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("log intact"), std::string::npos);

  auto exported =
      lgsp::test::run({kLgsp, "log", "export", "--data-dir", data, "--out", (dir_ / "archive.json").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto offline =
      lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "archive.json").string(), "--trust", root});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;

  // Someone edits a delivered record in the database.
  auto edit = lgsp::test::run({"/usr/bin/sqlite3", data + "/lgsp.db",
                               "UPDATE message_log SET body = replace(body, '200', '201') WHERE seq = "
                               "(SELECT min(seq) FROM message_log WHERE kind = 'delivered'); "
                               "SELECT min(seq) FROM message_log WHERE kind = 'delivered';"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  const std::string seq = edit.out.substr(0, edit.out.find('\n'));
  auto broken = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("log record " + seq + " : "), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("was changed"), std::string::npos) << broken.err;

  // A tampered archive is caught offline too.
  auto archive = json::parse(lgsp::test::read_file(dir_ / "archive.json"));
  archive["records"][1]["subject"] = "someone else";
  std::ofstream(dir_ / "tampered.json") << archive.dump();
  EXPECT_EQ(lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "tampered.json").string()}).exit_code, 1);
}

TEST_F(ExchangeTest, proxied_calls_and_batches_name_the_certificate_in_the_log_and_still_verify) {
  // The same service answers synchronously through /v1/call (the receiver's /in answers {}).
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  std::vector<json> handed;
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("POST", "/v1/call/" + kService, payload(),
                       {{"Content-Type", "application/json"},
                        {"Authorization", "Bearer " + key_},
                        {"LGSP-Client", kClient},
                        {"LGSP-Message-Id", "call-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200u) << r.body;
    handed.push_back(json::parse(r.headers.at("lgsp-signature")));
  }
  // What is handed out carries the certificates; what is logged names them.
  for (const auto& seal : handed) {
    EXPECT_TRUE(seal.contains("cert") && seal.contains("chain")) << seal.dump();
    EXPECT_FALSE(seal.contains("cert_sha256"));
  }
  auto der = lgsp::contracts::base64_decode(handed[0].at("cert").get<std::string>());
  ASSERT_TRUE(der);
  const std::string cert_sha256 = sha256_hex(*der);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // call and batch records are appended on their own
  services_.reset();
  node_.reset();
  const std::string data = (dir_ / "node").string();
  const std::string root = (hsm_ / "pki/root-ca.pem").string();
  auto bodies = lgsp::test::run({"/usr/bin/sqlite3", data + "/lgsp.db",
                                 "SELECT kind, body FROM message_log WHERE kind IN ('call', 'batch') ORDER BY seq"});
  ASSERT_EQ(bodies.exit_code, 0) << bodies.err;
  int calls = 0;
  int batches = 0;
  std::istringstream lines(bodies.out);
  for (std::string line; std::getline(lines, line);) {
    const auto bar = line.find('|');
    const std::string kind = line.substr(0, bar);
    auto body = json::parse(line.substr(bar + 1));
    const json& seal = kind == "call" ? body.at("signature") : body;
    EXPECT_EQ(seal.value("cert_sha256", ""), cert_sha256) << line;
    EXPECT_FALSE(seal.contains("cert")) << line;
    EXPECT_FALSE(seal.contains("chain")) << line;
    ++(kind == "call" ? calls : batches);
  }
  EXPECT_EQ(calls, 3);
  EXPECT_GE(batches, 1);
  auto ok = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const std::string archive = (dir_ / "calls.json").string();
  ASSERT_EQ(lgsp::test::run({kLgsp, "log", "export", "--data-dir", data, "--out", archive}).exit_code, 0);
  auto offline = lgsp::test::run({kLgsp, "log", "verify", "--archive", archive, "--trust", root});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  // A certificate swapped in the store no longer matches the name in the call and batch records.
  auto swapped = verify_with_swapped_certificate(data);
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_NE(swapped.err.find("is not the one the seal names"), std::string::npos) << swapped.err;
  // One taken out of the store leaves records naming a certificate the log does not hold.
  auto removed = lgsp::test::run({"/usr/bin/sqlite3", data + "/lgsp.db", "DELETE FROM seal_certificate"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  auto missing = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("which the log does not hold"), std::string::npos) << missing.err;
}

// The node keeps registry answers between requests (RegistryCache); a change made with the CLI, in
// another process, on the running node's store applies to the very next request.
TEST_F(ExchangeTest, registry_changes_from_the_cli_apply_to_the_next_request_of_the_running_node) {
  const std::string data = (dir_ / "node").string();
  auto call = [&] {
    lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
    return c.request(
        "POST", "/v1/call/" + kService, payload(),
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key_}, {"LGSP-Client", kClient}});
  };
  for (int i = 0; i < 3; ++i) {  // the answers are cached now
    ASSERT_EQ(send("live-" + std::to_string(i)).status, 202u);
    ASSERT_EQ(call().status, 200u);
  }
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), kLgsp);
    args.insert(args.end(), {"--data-dir", data});
    auto r = lgsp::test::run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  cli({"acl", "revoke", kClient, kService});
  auto refused = send("live-revoked");
  EXPECT_EQ(refused.status, 403u) << refused.body;
  EXPECT_EQ(call().status, 403u);
  cli({"acl", "grant", kClient, kService});
  EXPECT_EQ(send("live-granted").status, 202u);
  EXPECT_EQ(call().status, 200u);
  // A revoked API key no longer authenticates.
  cli({"apikey", "revoke", key_.substr(5, 12)});
  EXPECT_EQ(send("live-key-revoked").status, 401u);
  EXPECT_EQ(call().status, 401u);
}

TEST_F(ExchangeTest, under_concurrent_load_each_message_is_delivered_exactly_once) {
  // The deliverer's due-query can overlap deliveries finishing: none may be taken for due again.
  std::vector<std::thread> senders;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 8; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i)
        if (send("load-" + std::to_string(t) + "-" + std::to_string(i)).status == 202) ++accepted;
    });
  for (auto& t : senders) t.join();
  ASSERT_EQ(accepted.load(), 320);
  for (int t = 0; t < 8; ++t) ASSERT_TRUE(wait_state("load-" + std::to_string(t) + "-39", "delivered"));
  for (int i = 0; i < 200 && arrivals().size() < 320; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::set<std::string> ids;
  for (const auto& a : arrivals()) ids.insert(a.id);
  EXPECT_EQ(ids.size(), 320u);
  EXPECT_EQ(arrivals().size(), 320u) << "some message was delivered twice";
}

TEST_F(ExchangeTest, the_chain_head_is_time_stamped_by_a_tsa_and_checked_by_log_verify) {
  // hsm-sim's TSA: openssl ts -reply behind a small HTTP front.
  const auto port = lgsp::test::free_port();
  lgsp::test::Process tsa(
      {"/usr/bin/python3", LGSP_SOURCE_DIR "/hsm-sim/tsa_server.py", hsm_.string(), std::to_string(port)},
      dir_ / "tsa.log");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(send("t-" + std::to_string(i)).status, 202u);
  ASSERT_TRUE(wait_state("t-2", "delivered"));
  OutboundClient client;
  ChainTimestamper stamper([this] { return node_->store(); }, client, "http://127.0.0.1:" + std::to_string(port) + "/",
                           std::chrono::hours(1));
  std::string why;
  bool stamped = false;
  for (int i = 0; i < 100 && !stamped; ++i) {  // the TSA process may still be starting
    stamped = stamper.stamp_now(why);
    if (!stamped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(stamped) << why;
  why.clear();  // what the attempts made before the TSA was up left there
  EXPECT_FALSE(stamper.stamp_now(why)) << "an unchanged head is not stamped again";
  EXPECT_TRUE(why.empty()) << why;

  services_.reset();
  node_.reset();
  const std::string data = (dir_ / "node").string();
  const std::string root = (hsm_ / "pki/root-ca.pem").string();
  auto ok = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto count = lgsp::test::run(
      {"/usr/bin/sqlite3", data + "/lgsp.db", "SELECT count(*) FROM message_log WHERE kind = 'timestamp'"});
  EXPECT_EQ(count.out, "1\n");

  // A token for another head does not pass.
  auto edit = lgsp::test::run({"/usr/bin/sqlite3", data + "/lgsp.db",
                               "UPDATE message_log SET body = json_set(body, '$.head_hash', '" + std::string(64, 'a') +
                                   "') WHERE kind = 'timestamp'"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  auto broken = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", data, "--trust", root});
  EXPECT_EQ(broken.exit_code, 1);
}

TEST_F(ExchangeTest, status_is_visible_to_the_sender_only) {
  ASSERT_EQ(send("s-1").status, 202u);
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  auto other = c.request("GET", "/v1/messages/s-1", "",
                         {{"Authorization", "Bearer " + other_key_}, {"LGSP-Client", kWard + "/OTHER"}});
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(c.request("GET", "/v1/messages/s-1").status, 401u);
  EXPECT_EQ(status("s-1")["service"], kService);
}

// Every branch of the header checks and of authentication answers its own code, and nothing is stored.
TEST_F(ExchangeTest, refuses_malformed_lgsp_headers_an_empty_payload_and_a_wrong_key) {
  auto service_missing = send("h-1", payload(), {{"LGSP-Service", ""}});
  EXPECT_EQ(service_missing.status, 400u);
  EXPECT_EQ(code_of(service_missing), "LGSP-400-HEADER");
  auto service_malformed = send("h-2", payload(), {{"LGSP-Service", "HOTICH/hoso"}});
  EXPECT_EQ(service_malformed.status, 400u);
  EXPECT_EQ(code_of(service_malformed), "LGSP-400-HEADER");
  auto id_missing = send("");
  EXPECT_EQ(id_missing.status, 400u);
  EXPECT_EQ(code_of(id_missing), "LGSP-400-HEADER");
  auto id_too_long = send(std::string(129, 'x'));
  EXPECT_EQ(id_too_long.status, 400u);
  EXPECT_EQ(code_of(id_too_long), "LGSP-400-HEADER");
  EXPECT_EQ(send(std::string(128, 'x')).status, 202u) << "128 characters is the longest id";
  auto conversation = send("h-3", payload(), {{"LGSP-Conversation-Id", "two words"}});
  EXPECT_EQ(conversation.status, 400u);
  EXPECT_EQ(code_of(conversation), "LGSP-400-HEADER");
  EXPECT_NE(json::parse(conversation.body).value("detail", "").find("LGSP-Conversation-Id"), std::string::npos);
  auto empty = send("h-4", "");
  EXPECT_EQ(empty.status, 400u);
  EXPECT_EQ(code_of(empty), "LGSP-400-CONTRACT");
  auto no_client = send("h-5", payload(), {{"LGSP-Client", ""}});
  EXPECT_EQ(no_client.status, 400u);
  EXPECT_EQ(code_of(no_client), "LGSP-400-HEADER");
  auto wrong_key = send("h-6", payload(), {{"Authorization", "Bearer not-a-key"}});
  EXPECT_EQ(wrong_key.status, 401u);
  EXPECT_EQ(code_of(wrong_key), "LGSP-401-AUTH");
  auto not_bearer = send("h-7", payload(), {{"Authorization", "Basic " + key_}});
  EXPECT_EQ(not_bearer.status, 401u);
  auto problem = json::parse(wrong_key.body);
  EXPECT_FALSE(problem.value("title", "").empty());
  EXPECT_FALSE(problem.value("title_vi", "").empty());
  for (const char* id : {"h-1", "h-2", "h-3", "h-4", "h-5", "h-6", "h-7"}) EXPECT_EQ(status(id)["http"], 404) << id;
  EXPECT_TRUE(wait_state(std::string(128, 'x'), "delivered"));
  EXPECT_EQ(arrivals().size(), 1u);
}

TEST_F(ExchangeTest, refusals_are_counted_by_code_in_the_metrics) {
  ASSERT_EQ(send("c-1", payload(), {{"Authorization", "Bearer not-a-key"}}).status, 401u);
  ASSERT_EQ(send("c-2", payload("invalid-bad-dossier-code.json")).status, 400u);
  ASSERT_EQ(send("c-3", payload("invalid-bad-dossier-code.json")).status, 400u);
  ASSERT_EQ(send("c-4").status, 202u);
  ASSERT_EQ(send("c-4").status, 200u);
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  const std::string text = c.request("GET", "/metrics").body;
  auto value_of = [&](const std::string& labels) {
    const std::string key = "lgsp_messages_total{" + labels + "} ";
    auto at = text.find(key);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + key.size()));
  };
  EXPECT_EQ(value_of("code=\"LGSP-401-AUTH\",outcome=\"rejected\""), 1.0) << text;
  EXPECT_EQ(value_of("code=\"LGSP-400-CONTRACT\",outcome=\"rejected\""), 2.0) << text;
  EXPECT_EQ(value_of("code=\"\",outcome=\"accepted\""), 1.0) << text;
  EXPECT_EQ(value_of("code=\"\",outcome=\"repeated\""), 1.0) << text;
}

// A node that cannot sign must not acknowledge: 503, nothing stored, nothing delivered.
TEST_F(ExchangeTest, answers_503_and_stores_nothing_when_the_node_cannot_sign) {
  Config uc;
  uc.server.listen = HostPort{"127.0.0.1", 0};
  uc.server.threads = 1;
  uc.store.data_dir = dir_ / "unsigned";
  uc.signing.enabled = false;
  Node unsigned_node(uc);
  NodeServices unsigned_services(unsigned_node);
  unsigned_node.start();
  unsigned_services.start();
  ASSERT_TRUE(unsigned_node.wait_store());
  Registry reg(*unsigned_node.store(), &unsigned_node.catalogue());
  reg.add_member(kWard, "UBND phường Bến Thành");
  reg.add_subsystem(kClient);
  reg.add_subsystem(kProvider);
  Service s;
  s.id = kService;
  s.request_contract = "onestop.dossier-submission@v1";
  s.endpoint = "http://127.0.0.1:" + std::to_string(receiver_->endpoint().port) + "/in";
  reg.add_service(s);
  reg.grant(kClient, kService);
  const std::string key = reg.create_api_key(kClient);

  lgsp::test::HttpClient c("127.0.0.1", unsigned_node.endpoint().port);
  auto r = c.request("POST", "/v1/messages", payload(),
                     {{"Content-Type", "application/json"},
                      {"Authorization", "Bearer " + key},
                      {"LGSP-Client", kClient},
                      {"LGSP-Service", kService},
                      {"LGSP-Message-Id", "u-1"}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(code_of(r), "LGSP-503-SIGNING");
  std::int64_t stored = -1;
  unsigned_node.store()->read(
      [&](Transaction& tx) { stored = tx.query("SELECT count(*) AS n FROM message").at(0).integer("n"); });
  EXPECT_EQ(stored, 0);
  unsigned_services.stop();
  unsigned_node.stop();
  EXPECT_TRUE(arrivals().empty());
}

TEST_F(ExchangeTest, dlq_and_log_commands_refuse_bad_arguments) {
  const std::string data = (dir_ / "node").string();
  auto no_id = lgsp::test::run({kLgsp, "dlq", "replay", "--data-dir", data});
  EXPECT_EQ(no_id.exit_code, 2) << no_id.err;
  auto unknown = lgsp::test::run({kLgsp, "dlq", "replay", "no-such-message", "--data-dir", data});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_FALSE(unknown.err.empty());
  auto empty_list = lgsp::test::run({kLgsp, "dlq", "list", "--json", "--data-dir", data});
  EXPECT_EQ(empty_list.exit_code, 0) << empty_list.err;
  EXPECT_EQ(json::parse(empty_list.out), json::array());

  std::ofstream(dir_ / "other.json") << R"({"format": "something-else", "records": []})";
  auto other = lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "other.json").string()});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("not an LGSP log archive"), std::string::npos) << other.err;
  std::ofstream(dir_ / "truncated.json") << R"({"format": "lgsp-log-archive-v1", "records": [{"seq": 1)";
  auto truncated = lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "truncated.json").string()});
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("malformed archive"), std::string::npos) << truncated.err;
  std::ofstream(dir_ / "fieldless.json") << R"({"format": "lgsp-log-archive-v1", "prev_hash": "00", "records": [{}]})";
  EXPECT_EQ(lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "fieldless.json").string()}).exit_code, 1);
  auto missing = lgsp::test::run({kLgsp, "log", "verify", "--archive", (dir_ / "absent.json").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  auto no_out = lgsp::test::run({kLgsp, "log", "export", "--data-dir", data});
  EXPECT_EQ(no_out.exit_code, 2) << no_out.err;
}

// The receipt answers "was this message accepted": a repeat for another service is not that message.
TEST_F(ExchangeTest, a_repeated_id_for_another_service_is_a_conflict_not_the_old_receipt) {
  const std::string other = kProvider + "/lienthong/v1";
  add_service(other, 3, 20);
  ASSERT_EQ(send("r-1").status, 202u);
  auto elsewhere = send("r-1", payload(), {}, other);
  EXPECT_EQ(elsewhere.status, 409u);
  EXPECT_EQ(code_of(elsewhere), "LGSP-409-MESSAGE-ID");
  EXPECT_NE(json::parse(elsewhere.body).value("detail", "").find("accepted for service " + kService), std::string::npos)
      << elsewhere.body;
  ASSERT_TRUE(wait_state("r-1", "delivered"));
  EXPECT_EQ(status("r-1")["service"], kService);
  EXPECT_EQ(arrivals().size(), 1u);
}

// Milliseconds since the epoch of an attempt time ("2026-11-23T07:12:10.123Z").
std::int64_t epoch_ms(const std::string& at) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

TEST_F(ExchangeTest, retries_back_off_exponentially_with_jitter) {
  add_service(kProvider + "/backoff/v1", 4, 100);  // backoff 100, 200, 400 ms (at most 4 x 100), x [0.5, 1)
  answer_ = [](const Arrival&) -> unsigned { return 503; };
  ASSERT_EQ(send("b-1", payload(), {}, kProvider + "/backoff/v1").status, 202u);
  ASSERT_TRUE(wait_state("b-1", "dead"));
  auto attempts = status("b-1")["attempts"];
  ASSERT_EQ(attempts.size(), 4u);
  std::vector<std::int64_t> at;
  for (const auto& a : attempts) {
    at.push_back(epoch_ms(a["at"].get<std::string>()));
    EXPECT_EQ(a["status"], 503);
  }
  // Lower bounds only (a loaded machine can only make gaps longer): half of 100, 200, 400 ms.
  EXPECT_GE(at[1] - at[0], 50);
  EXPECT_GE(at[2] - at[1], 100);
  EXPECT_GE(at[3] - at[2], 200) << "the third gap must exceed any constant 100 ms backoff";
}

// A provider that does not answer within the service's timeout_ms, and one that refuses connections:
// both are failed attempts, retried, then dead-lettered with the error.
TEST_F(ExchangeTest, a_timeout_or_a_refused_connection_is_retried_then_dead_lettered) {
  Config sc;
  sc.server.listen = HostPort{"127.0.0.1", 0};
  sc.server.threads = 1;
  sc.store.data_dir = dir_ / "slow";
  sc.signing.enabled = false;
  Node slow(sc);
  std::atomic<int> slow_arrivals{0};
  slow.router().add("POST", "/in", [&](HttpRequest&, Reply reply) {
    ++slow_arrivals;
    std::thread([reply] {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      reply(HttpResponse::json(200, json::object()));
    }).detach();
  });
  slow.start();
  Registry reg(*node_->store(), &node_->catalogue());
  Service timeout;
  timeout.id = kProvider + "/slow/v1";
  timeout.request_contract = "onestop.dossier-submission@v1";
  timeout.endpoint = "http://127.0.0.1:" + std::to_string(slow.endpoint().port) + "/in";
  timeout.timeout_ms = 150;
  timeout.retry = {2, 20, 80};
  reg.add_service(timeout);
  reg.grant(kClient, timeout.id);
  Service refused = timeout;
  refused.id = kProvider + "/down/v1";
  refused.endpoint = "http://127.0.0.1:" + std::to_string(lgsp::test::free_port()) + "/in";
  reg.add_service(refused);
  reg.grant(kClient, refused.id);

  ASSERT_EQ(send("t-1", payload(), {}, timeout.id).status, 202u);
  ASSERT_EQ(send("t-2", payload(), {}, refused.id).status, 202u);
  ASSERT_TRUE(wait_state("t-1", "dead"));
  ASSERT_TRUE(wait_state("t-2", "dead"));
  auto timed_out = status("t-1");
  EXPECT_EQ(timed_out["attempts"].size(), 2u);
  EXPECT_NE(timed_out["last_error"].get<std::string>().find("within 150 ms"), std::string::npos) << timed_out;
  EXPECT_EQ(slow_arrivals.load(), 2);
  auto down = status("t-2");
  EXPECT_EQ(down["attempts"].size(), 2u);
  EXPECT_TRUE(down["attempts"][0]["status"].is_null());
  EXPECT_FALSE(down["last_error"].get<std::string>().empty());
  EXPECT_EQ(list_dead_letters(*node_->store()).size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the slow answers finish in their threads
  slow.stop();
}

// The registry is read per request: a revoked grant or API key refuses the very next message.
TEST_F(ExchangeTest, registry_changes_apply_to_the_next_message_without_restart) {
  ASSERT_EQ(send("g-1").status, 202u);
  Registry reg(*node_->store(), &node_->catalogue());
  reg.revoke(kClient, kService);
  auto revoked = send("g-2");
  EXPECT_EQ(revoked.status, 403u);
  EXPECT_EQ(code_of(revoked), "LGSP-403-ACL");
  reg.grant(kClient, kService);
  EXPECT_EQ(send("g-3").status, 202u);
  for (const auto& k : reg.api_keys())
    if (k.subsystem == kClient) reg.revoke_api_key(k.id);
  auto no_key = send("g-4");
  EXPECT_EQ(no_key.status, 401u);
  EXPECT_EQ(code_of(no_key), "LGSP-401-AUTH");
}

TEST_F(ExchangeTest, dlq_list_shows_every_dead_message_and_replay_all_delivers_them) {
  add_service(kProvider + "/flaky/v1", 1, 20);
  std::atomic<bool> up{false};
  answer_ = [&](const Arrival&) -> unsigned { return up ? 200 : 502; };
  for (const char* id : {"d-1", "d-2"}) ASSERT_EQ(send(id, payload(), {}, kProvider + "/flaky/v1").status, 202u);
  ASSERT_TRUE(wait_state("d-1", "dead"));
  ASSERT_TRUE(wait_state("d-2", "dead"));
  const std::string data = (dir_ / "node").string();

  auto lines = lgsp::test::run({kLgsp, "dlq", "list", "--data-dir", data});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_NE(lines.out.find(kClient + "\td-1\t" + kProvider + "/flaky/v1\t1\t"), std::string::npos) << lines.out;
  EXPECT_NE(lines.out.find("\td-2\t"), std::string::npos) << lines.out;
  EXPECT_NE(lines.out.find("HTTP 502"), std::string::npos) << lines.out;
  auto listed = lgsp::test::run({kLgsp, "dlq", "list", "--json", "--data-dir", data});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto dead = json::parse(listed.out);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0]["message_id"], "d-1");
  EXPECT_EQ(dead[0]["attempts"], 1);

  // --all with --client: that client's dead messages only.
  auto others = lgsp::test::run({kLgsp, "dlq", "replay", "--all", "--client", kProvider, "--data-dir", data});
  ASSERT_EQ(others.exit_code, 0) << others.err;
  EXPECT_EQ(others.out, "replayed 0 messages\n");
  EXPECT_EQ(list_dead_letters(*node_->store()).size(), 2u);

  up = true;
  auto replay = lgsp::test::run({kLgsp, "dlq", "replay", "--all", "--client", kClient, "--data-dir", data});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out, "replayed 2 messages\n");
  ASSERT_TRUE(wait_state("d-1", "delivered"));
  ASSERT_TRUE(wait_state("d-2", "delivered"));
  EXPECT_EQ(status("d-1")["attempts"].size(), 2u);
  std::int64_t replays = 0;
  node_->store()->read([&](Transaction& tx) {
    replays = tx.query("SELECT count(*) AS n FROM message_log WHERE kind = 'replay'").at(0).integer("n");
  });
  EXPECT_EQ(replays, 2);
  auto empty = lgsp::test::run({kLgsp, "dlq", "replay", "--all", "--data-dir", data});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "replayed 0 messages\n");
}

// `lgsp log verify` beyond the chain: the sealed head (at shutdown) shows records removed from the
// end, the stored messages must agree with what the log says about them, and a head kept elsewhere
// (`lgsp log head`, --expect-head) shows a truncation that took the sealed heads too. Each tampering
// is made on a copy of the stopped node's store.
class LogTamperingTest : public ExchangeTest {
 protected:
  void SetUp() override {
    ExchangeTest::SetUp();
    if (HasFatalFailure()) return;
    for (int i = 0; i < 4; ++i) ASSERT_EQ(send("t-" + std::to_string(i)).status, 202u);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(wait_state("t-" + std::to_string(i), "delivered"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // batch records are appended on their own
    services_.reset();                                            // seals the head on shutdown
    node_.reset();
    data_ = (dir_ / "node").string();
    root_ = (hsm_ / "pki/root-ca.pem").string();
  }
  // A copy of the store with `sql` run on it.
  std::string tampered(const std::string& name, const std::string& sql) {
    const fs::path copy = dir_ / name;
    fs::remove_all(copy);
    fs::create_directories(copy);
    for (const auto& f : fs::directory_iterator(data_)) fs::copy(f.path(), copy / f.path().filename());
    auto r = lgsp::test::run({"/usr/bin/sqlite3", (copy / "lgsp.db").string(), sql});
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    return copy.string();
  }
  lgsp::test::RunResult verify(const std::string& data, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kLgsp, "log", "verify", "--data-dir", data, "--trust", root_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return lgsp::test::run(argv);
  }
  void expect_broken(const std::string& name, const std::string& sql, const std::string& reason) {
    auto r = verify(tampered(name, sql));
    EXPECT_EQ(r.exit_code, 1) << name << ": " << r.out;
    EXPECT_EQ(r.out.find("log intact"), std::string::npos) << name << ": " << r.out;
    EXPECT_NE(r.err.find(reason), std::string::npos) << name << ": " << r.err;
  }
  std::string head_of(const std::string& data) {
    auto head = lgsp::test::run({kLgsp, "log", "head", "--data-dir", data});
    EXPECT_EQ(head.exit_code, 0) << head.err;
    return head.out.substr(0, head.out.find('\n'));
  }
  std::string data_, root_;
};

TEST_F(LogTamperingTest, an_untouched_store_is_intact_and_reports_its_heads) {
  auto r = verify(data_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("log intact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 stored messages agree with the log"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seals pinned to 1 own node certificate"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("last sealed head: none"), std::string::npos) << "sealed on shutdown: " << r.out;
  const std::string kept = head_of(data_);
  EXPECT_NE(r.out.find("head: " + kept), std::string::npos) << r.out;
  auto expected = verify(data_, {"--expect-head", kept});
  EXPECT_EQ(expected.exit_code, 0) << expected.err;
  auto bad = verify(data_, {"--expect-head", "12:nothex"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST_F(LogTamperingTest, deleting_the_last_records_breaks_the_sealed_head) {
  expect_broken("tail", "DELETE FROM message_log WHERE seq > (SELECT max(seq) - 3 FROM message_log)",
                "records were removed from its end");
}

TEST_F(LogTamperingTest, deleting_the_last_records_and_the_sealed_heads_breaks_the_head_kept_elsewhere) {
  const std::string kept = head_of(data_);
  // The last record is the batch record of the head's own seal: removing it and the sealed heads
  // leaves nothing in the store to notice; the head kept elsewhere does.
  const std::string copy = tampered(
      "tail-and-heads", "DELETE FROM log_head; DELETE FROM message_log WHERE seq = (SELECT max(seq) FROM message_log)");
  auto without = verify(copy);
  EXPECT_EQ(without.exit_code, 0) << without.err;
  auto with = verify(copy, {"--expect-head", kept});
  EXPECT_EQ(with.exit_code, 1) << with.out;
  EXPECT_NE(with.err.find("records were removed from its end"), std::string::npos) << with.err;
}

TEST_F(LogTamperingTest, deleting_a_middle_record_breaks_the_chain) {
  expect_broken("middle", "DELETE FROM message_log WHERE seq = 3", "record 3 is missing");
}

TEST_F(LogTamperingTest, changing_a_stored_payload_is_found) {
  expect_broken("payload", "UPDATE message_body SET payload = CAST('{\"x\":1}' AS BLOB) WHERE seq = 2",
                "the stored payload is not the one the log recorded");
}

TEST_F(LogTamperingTest, changing_a_messages_client_is_found) {
  expect_broken("client", "UPDATE message SET client = '000.00.13.H29/OTHER' WHERE seq = 1",
                "has no accepted record in the log");
}

TEST_F(LogTamperingTest, changing_a_messages_state_is_found) {
  expect_broken("state", "UPDATE message SET state = 'dead' WHERE seq = 1",
                "its state is 'dead' but the log's last record for it says 'delivered'");
}

TEST_F(LogTamperingTest, deleting_a_message_is_found) {
  expect_broken("deleted",
                "DELETE FROM message_body WHERE seq = 4; DELETE FROM delivery_attempt WHERE message_seq = 4;"
                " DELETE FROM message WHERE seq = 4",
                "which the store no longer holds");
}

// The same store, then records sealed with another agency's valid key (agency-seal, under the same
// root): a rewriter holding such a key gets "NOT intact", naming whose seal it is.
TEST_F(LogTamperingTest, records_sealed_with_another_agencys_key_are_not_intact) {
  ASSERT_EQ(verify(data_).exit_code, 0);
  start_node(hsm_ / "pki/issuing-ca.pem", "agency-seal");
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  ASSERT_EQ(send("foreign-1").status, 202u);
  ASSERT_TRUE(wait_state("foreign-1", "delivered"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  services_.reset();
  node_.reset();
  auto r = verify(data_);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("not a pinned node certificate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Con dấu UBND phường Bến Thành"), std::string::npos) << "names the sealer: " << r.err;
  // Pinning that certificate too (an operator who means it) makes it count.
  auto pinned = verify(data_, {"--node-cert", (hsm_ / "pki/agency-seal.pem").string()});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.err;
  // Without any known node certificate there is nothing to verify against: a usage error.
  auto unknown = lgsp::test::run({"/usr/bin/env", "LGSP_PKCS11_MODULE=/nonexistent/libsofthsm2.so", kLgsp, "log",
                                  "verify", "--data-dir", data_, "--trust", root_});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.err.find("give it with --node-cert"), std::string::npos) << unknown.err;
}

// A running node seals the head every signing.head_seal_every_seconds when the log moved, and not
// again for only the batch record of its own seal.
TEST_F(ExchangeTest, a_running_node_seals_the_log_head_at_intervals) {
  ::setenv("LGSP_SIGNING_HEAD_SEAL_EVERY_SECONDS", "1", 1);
  start_node(hsm_ / "pki/issuing-ca.pem");
  ::unsetenv("LGSP_SIGNING_HEAD_SEAL_EVERY_SECONDS");
  ASSERT_TRUE(node_->wait_store());
  wait_sealer();
  ASSERT_EQ(send("h-1").status, 202u);
  ASSERT_TRUE(wait_state("h-1", "delivered"));
  auto sealed_heads = [&](std::int64_t& delivered, std::int64_t& covered, std::int64_t& rows) {
    node_->store()->read([&](Transaction& tx) {
      delivered = tx.query("SELECT max(seq) AS seq FROM message_log WHERE kind = 'delivered'").at(0).integer("seq");
      auto r = tx.query("SELECT coalesce(max(count), 0) AS covered, count(*) AS n FROM log_head");
      covered = r.at(0).integer("covered");
      rows = r[0].integer("n");
    });
  };
  std::int64_t delivered = 0, covered = 0, rows = 0;
  for (int i = 0; i < 100; ++i) {
    sealed_heads(delivered, covered, rows);
    if (covered >= delivered) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(covered, delivered) << "no head sealed while running";
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two more ticks with nothing new
  std::int64_t later_rows = 0;
  sealed_heads(delivered, covered, later_rows);
  EXPECT_EQ(later_rows, rows) << "a head's own batch record made it seal again";
}

}  // namespace
