// Several `lgsp serve` nodes on one real PostgreSQL 15 (issue 18, part 3): a node killed with SIGKILL while it
// holds delivery claims has its deliveries finished by the others once the lease runs out; messages accepted on
// any node are delivered exactly once, in conversation order, by the workers of all nodes; a registry change the
// CLI writes takes effect on every node at once; `lgsp log verify` passes on the shared log afterwards and finds a
// record changed behind the nodes' back. One PostgreSQL and three node processes for the whole program.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "postgres_server.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWard = "000.00.13.H29";
const std::string kClient = kWard + "/MOTCUA";
const std::string kService = kWard + "/HOTICH/hoso/v1";
constexpr int kLeaseSeconds = 2;

// The receiving service: answers each LGSP-Message-Id once processed, and keeps the order in which each
// conversation's messages were processed. While `hold` is set it takes requests and never answers them (a slow
// endpoint), so the node that sent them keeps its claims.
struct Receiver {
  std::mutex mutex;
  std::condition_variable changed;
  std::multiset<std::string> processed;  // a repeat shows as a count above 1
  std::map<std::string, std::vector<std::string>> by_conversation;
  std::set<std::string> held;  // requests taken while holding
  std::vector<Reply> parked;   // their replies, never sent
  bool hold = false;
  std::unique_ptr<Node> node;

  explicit Receiver(const fs::path& dir) {
    Config rc;
    rc.server.listen = HostPort{"127.0.0.1", 0};
    rc.server.threads = 2;
    rc.store.data_dir = dir;
    rc.signing.enabled = false;
    node = std::make_unique<Node>(rc);
    node->router().add("POST", "/in", [this](HttpRequest& r, Reply reply) {
      const auto id = r.header("lgsp-message-id").value_or("");
      std::lock_guard lock(mutex);
      if (hold) {
        held.insert(id);
        parked.push_back(std::move(reply));  // not answered: the sender's request hangs until the sender dies
        changed.notify_all();
        return;
      }
      if (processed.count(id) == 0)
        if (auto conversation = r.header("lgsp-conversation-id")) by_conversation[*conversation].push_back(id);
      processed.insert(id);
      changed.notify_all();
      reply(HttpResponse::json(200, nlohmann::json::object()));
    });
    node->start();
  }
  std::uint16_t port() const { return node->endpoint().port; }
  // Ends holding; the held requests' senders are gone, their answers go nowhere.
  void release() {
    std::vector<Reply> replies;
    {
      std::lock_guard lock(mutex);
      hold = false;
      replies.swap(parked);
    }
    for (auto& r : replies) r(HttpResponse::json(503, nlohmann::json::object()));
  }
  // Waits until `done()` (under the lock) or the timeout; its last answer.
  bool wait(std::chrono::seconds timeout, const std::function<bool()>& done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, done);
  }
};

class PgNodesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    env_ = lgsp::test::hsm_sim_env(hsm_);
    env_.push_back("LGSP_SIGNING_CA_CHAIN=" + (hsm_ / "pki/issuing-ca.pem").string());
    dir_ = fs::temp_directory_path() / ("lgsp-pg-nodes-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    pg_ = std::make_unique<lgsp::test::PostgresServer>();
    pg_->sql("CREATE DATABASE lgsp_nodes");
    receiver_ = std::make_unique<Receiver>(dir_ / "receiver");
    for (int n = 0; n < 3; ++n) {
      ports_[n] = lgsp::test::free_port();
      std::ofstream(config(n)) << "[store]\nbackend = \"postgresql\"\npostgresql_url = \""
                               << pg_->conninfo("lgsp_nodes") << "\"\npool_size = 2\ndata_dir = \""
                               << (dir_ / ("node" + std::to_string(n))).string() << "\"\n[node]\nid = \"n" << n
                               << "\"\n[delivery]\nlease_seconds = " << kLeaseSeconds << "\npoll_interval_ms = 50\n";
    }
    // The registry, through the same store in this process (it creates the schema).
    auto store = open_embedded_store(Config::load(config(0), {}));
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kClient);
    reg.add_subsystem(kWard + "/HOTICH");
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/in";
    s.timeout_ms = 60000;  // longer than the test: a held request fails only when its node dies
    s.retry = {20, 50, 500};
    reg.add_service(s);
    reg.grant(kClient, kService);
    key_ = reg.create_api_key(kClient);
    body_ =
        lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json");
  }
  static void TearDownTestSuite() {
    for (auto& n : nodes_)
      if (n) {
        n->signal(SIGTERM);
        n->wait(std::chrono::seconds(15));
        n.reset();
      }
    if (receiver_) receiver_->node->stop();
    receiver_.reset();
    pg_.reset();
    fs::remove_all(dir_);
  }

  static fs::path config(int n) { return dir_ / ("node" + std::to_string(n) + ".toml"); }
  static fs::path serve_log(int n) { return dir_ / ("serve" + std::to_string(n) + ".log"); }

  static void start(int n) {
    nodes_[n] = std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{kLgsp, "serve", "--config", config(n).string(), "--listen",
                                 "127.0.0.1:" + std::to_string(ports_[n])},
        serve_log(n), env_);
  }
  static bool ready(int n) { return lgsp::test::wait_ready(ports_[n]); }
  static int send(int n, const std::string& id, const std::optional<std::string>& conversation = std::nullopt) {
    std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + key_},
                                                  {"LGSP-Client", kClient},
                                                  {"LGSP-Service", kService},
                                                  {"LGSP-Message-Id", id},
                                                  {"Content-Type", "application/json"}};
    if (conversation) headers.emplace("LGSP-Conversation-Id", *conversation);
    return lgsp::test::HttpClient("127.0.0.1", ports_[n]).request("POST", "/v1/messages", body_, headers).status;
  }
  // lgsp_delivery_attempts_total{...,state="delivered"} summed, from node n's /metrics.
  static long delivered_by(int n) {
    auto metrics = lgsp::test::HttpClient("127.0.0.1", ports_[n]).request("GET", "/metrics").body;
    long sum = 0;
    std::size_t at = 0;
    while ((at = metrics.find("lgsp_delivery_attempts_total{", at)) != std::string::npos) {
      const auto end = metrics.find('\n', at);
      const std::string line = metrics.substr(at, end - at);
      if (line.find("state=\"delivered\"") != std::string::npos)
        sum += std::lround(std::stod(line.substr(line.rfind(' ') + 1)));
      at = end;
    }
    return sum;
  }
  static std::string sql(const std::string& statement) { return pg_->sql(statement, "lgsp_nodes"); }
  static bool all_delivered(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (sql("SELECT count(*) FROM message WHERE state != 'delivered'") == "0") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  static std::string logs() {
    std::string out;
    for (int n = 0; n < 3; ++n) out += "--- node n" + std::to_string(n) + "\n" + lgsp::test::read_file(serve_log(n));
    return out;
  }

  static inline fs::path hsm_, dir_;
  static inline std::vector<std::string> env_;
  static inline std::unique_ptr<lgsp::test::PostgresServer> pg_;
  static inline std::unique_ptr<Receiver> receiver_;
  static inline std::uint16_t ports_[3] = {};
  static inline std::unique_ptr<lgsp::test::Process> nodes_[3];
  static inline std::string key_, body_;
};

// Runs first (gtest keeps the order of definition): n0 alone takes the messages and holds their claims.
TEST_F(PgNodesTest, a_killed_nodes_claimed_deliveries_are_finished_by_the_others_after_the_lease) {
  {
    std::lock_guard lock(receiver_->mutex);
    receiver_->hold = true;
  }
  start(0);
  ASSERT_TRUE(ready(0)) << logs();
  const int count = 5;
  for (int i = 0; i < count; ++i) ASSERT_EQ(send(0, "held-" + std::to_string(i)), 202);
  ASSERT_TRUE(receiver_->wait(std::chrono::seconds(20), [&] { return receiver_->held.size() == count; })) << logs();
  EXPECT_EQ(sql("SELECT count(*) FROM message WHERE claimed_by = 'n0' AND state = 'accepted'"), std::to_string(count))
      << "n0 holds the claims of the messages it is sending";
  nodes_[0]->signal(SIGKILL);
  nodes_[0]->wait(std::chrono::seconds(5));
  const auto killed = std::chrono::steady_clock::now();
  receiver_->release();
  start(1);
  start(2);
  ASSERT_TRUE(ready(1) && ready(2)) << logs();
  ASSERT_TRUE(receiver_->wait(std::chrono::seconds(30), [&] {
    for (int i = 0; i < count; ++i)
      if (!receiver_->processed.count("held-" + std::to_string(i))) return false;
    return true;
  })) << logs();
  EXPECT_GE(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(kLeaseSeconds * 1000 - 500))
      << "taken over only once the lease ran out";
  EXPECT_TRUE(all_delivered(std::chrono::seconds(10))) << logs();
  EXPECT_EQ(sql("SELECT count(*) FROM message WHERE claimed_by IS NOT NULL"), "0") << "recorded outcomes end claims";
  // n0 comes back (the same id) for the rest of the suite.
  start(0);
  ASSERT_TRUE(ready(0)) << logs();
}

TEST_F(PgNodesTest, messages_accepted_on_any_node_are_delivered_once_each_in_conversation_order) {
  ASSERT_TRUE(nodes_[0] && nodes_[1] && nodes_[2]) << "runs after the first test";
  const int conversations = 3, per_conversation = 8, loose = 24;
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  // Each conversation from its own client thread, its messages in turn (each 202 before the next is sent), to
  // node after node: acceptance order is the order they were sent.
  for (int c = 0; c < conversations; ++c)
    senders.emplace_back([&, c] {
      for (int i = 0; i < per_conversation; ++i)
        if (send(i % 3, "conv" + std::to_string(c) + "-" + std::to_string(i), "c" + std::to_string(c)) != 202)
          ++refused;
    });
  senders.emplace_back([&] {
    for (int i = 0; i < loose; ++i)
      if (send(i % 3, "loose-" + std::to_string(i)) != 202) ++refused;
  });
  for (auto& t : senders) t.join();
  EXPECT_EQ(refused.load(), 0) << logs();
  ASSERT_TRUE(all_delivered(std::chrono::seconds(60))) << logs();
  std::lock_guard lock(receiver_->mutex);
  for (int c = 0; c < conversations; ++c) {
    std::vector<std::string> expected;
    for (int i = 0; i < per_conversation; ++i) expected.push_back("conv" + std::to_string(c) + "-" + std::to_string(i));
    EXPECT_EQ(receiver_->by_conversation["c" + std::to_string(c)], expected) << "conversation c" << c;
  }
  for (int i = 0; i < loose; ++i) EXPECT_EQ(receiver_->processed.count("loose-" + std::to_string(i)), 1u);
  for (const auto& id : receiver_->processed) EXPECT_EQ(receiver_->processed.count(id), 1u) << id << " twice";
  // Which node sent them: each counts its own deliveries. All three took part, and together they sent each
  // message once (the 5 of the first test, then these).
  long total = 0;
  for (int n = 0; n < 3; ++n) {
    const long sent = delivered_by(n);
    EXPECT_GT(sent, 0) << "node n" << n << " delivered nothing";
    total += sent;
  }
  EXPECT_EQ(total, 5 + conversations * per_conversation + loose);
}

TEST_F(PgNodesTest, a_registry_change_by_the_cli_takes_effect_on_every_node_at_once) {
  ASSERT_TRUE(nodes_[0] && nodes_[1] && nodes_[2]) << "runs after the first test";
  ASSERT_EQ(send(1, "before-revoke"), 202);
  auto revoked = lgsp::test::run({kLgsp, "acl", "revoke", kClient, kService, "--config", config(0).string()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err;
  // No wait: the very next request on each of the other nodes sees the change.
  EXPECT_EQ(send(1, "after-revoke-1"), 403);
  EXPECT_EQ(send(2, "after-revoke-2"), 403);
  auto granted = lgsp::test::run({kLgsp, "acl", "grant", kClient, kService, "--config", config(0).string()});
  ASSERT_EQ(granted.exit_code, 0) << granted.out << granted.err;
  EXPECT_EQ(send(2, "after-grant"), 202);
  EXPECT_TRUE(all_delivered(std::chrono::seconds(30))) << logs();
}

TEST_F(PgNodesTest, the_shared_log_verifies_and_a_changed_record_is_found) {
  ASSERT_TRUE(nodes_[0] && nodes_[1] && nodes_[2]) << "runs after the first test";
  for (auto& n : nodes_) {
    n->signal(SIGTERM);
    EXPECT_EQ(n->wait(std::chrono::seconds(15)), 0);
    n.reset();
  }
  const std::vector<std::string> verify = {kLgsp,
                                           "log",
                                           "verify",
                                           "--config",
                                           config(1).string(),
                                           "--trust",
                                           (hsm_ / "pki/root-ca.pem").string(),
                                           "--node-cert",
                                           (hsm_ / "pki/lgsp-node.pem").string()};
  auto verified = lgsp::test::run(verify);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const auto records = std::stol(sql("SELECT count(*) FROM message_log"));
  ASSERT_GT(records, 20);
  // A delivery record written by one node, changed in place.
  sql("UPDATE message_log SET body = replace(body, '\"delivered\"', '\"dead\"') WHERE seq = (SELECT min(seq) FROM"
      " message_log WHERE kind = 'delivered')");
  auto tampered = lgsp::test::run(verify);
  EXPECT_NE(tampered.exit_code, 0) << tampered.out;
  EXPECT_NE((tampered.out + tampered.err).find("changed"), std::string::npos) << tampered.out << tampered.err;
}

}  // namespace
