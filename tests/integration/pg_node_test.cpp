// A real `lgsp serve` on PostgreSQL ([store] backend = "postgresql"), against a real PostgreSQL 15 this
// program starts: registry written by the CLI's code path, messages accepted and delivered, the node killed
// with SIGKILL under load and restarted on the same database, every 202-acknowledged message delivered, and
// `lgsp log verify` passing on the database afterwards.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "postgres_server.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
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

TEST(PgNodeTest, accepts_delivers_survives_sigkill_and_its_log_verifies_on_postgresql) {
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  std::vector<std::string> env = lgsp::test::hsm_sim_env(hsm);
  env.push_back("LGSP_SIGNING_CA_CHAIN=" + (fs::path(hsm) / "pki/issuing-ca.pem").string());
  const fs::path dir = fs::temp_directory_path() / ("lgsp-pg-node-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  lgsp::test::PostgresServer pg;
  pg.sql("CREATE DATABASE lgsp_node");
  const std::string url = pg.conninfo("lgsp_node");
  const fs::path config_file = dir / "lgsp.toml";
  std::ofstream(config_file) << "[store]\nbackend = \"postgresql\"\npostgresql_url = \"" << url
                             << "\"\npool_size = 3\ndata_dir = \"" << (dir / "node").string() << "\"\n";

  // The idempotent receiver (an embedded node of its own): processes each LGSP-Message-Id once.
  std::mutex mutex;
  std::set<std::string> processed;
  std::atomic<int> repeats{0};
  Config rc;
  rc.server.listen = HostPort{"127.0.0.1", 0};
  rc.server.threads = 2;
  rc.store.data_dir = dir / "receiver";
  rc.signing.enabled = false;
  Node receiver(rc);
  std::atomic<bool> slow{true};
  receiver.router().add("POST", "/in", [&](HttpRequest& r, Reply reply) {
    auto id = r.header("lgsp-message-id").value_or("");
    auto answer = [&, id, reply] {
      std::lock_guard lock(mutex);
      if (!processed.insert(id).second) ++repeats;
      reply(HttpResponse::json(200, nlohmann::json::object()));
    };
    if (!slow) return answer();
    std::thread([answer] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      answer();
    }).detach();
  });
  receiver.start();

  // The registry: the member by the CLI on the configured database (it creates the schema), the rest through
  // the same store in this process.
  auto added = lgsp::test::run(
      {kLgsp, "member", "add", kWard, "--name", "UBND phường Bến Thành", "--config", config_file.string()});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  std::string key;
  {
    auto config = Config::load(config_file, {});
    ASSERT_EQ(config.store.backend, StoreBackendKind::postgresql);
    auto store = open_embedded_store(config);
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    reg.add_subsystem(kClient);
    reg.add_subsystem(kWard + "/HOTICH");
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver.endpoint().port) + "/in";
    s.retry = {20, 50, 500};
    reg.add_service(s);
    reg.grant(kClient, kService);
    key = reg.create_api_key(kClient);
  }
  EXPECT_EQ(pg.sql("SELECT count(*) FROM member", "lgsp_node"), "1");
  auto listed = lgsp::test::run({kLgsp, "member", "list", "--config", config_file.string()});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(kWard), std::string::npos) << listed.out;

  const auto port = lgsp::test::free_port();
  auto serve = [&] {
    return std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{kLgsp, "serve", "--config", config_file.string(), "--listen",
                                 "127.0.0.1:" + std::to_string(port)},
        dir / "serve.log", env);
  };
  auto wait_ready = [&] { return lgsp::test::wait_ready(port); };

  auto node = serve();
  ASSERT_TRUE(wait_ready()) << lgsp::test::read_file(dir / "serve.log");
  const std::string body =
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json");
  std::mutex acked_mutex;
  std::set<std::string> acked;
  std::atomic<bool> killed{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < 100 && !killed; ++i) {
        const std::string id = "pg-" + std::to_string(t) + "-" + std::to_string(i);
        try {
          lgsp::test::HttpClient c("127.0.0.1", port);
          auto r = c.request("POST", "/v1/messages", body,
                             {{"Authorization", "Bearer " + key},
                              {"LGSP-Client", kClient},
                              {"LGSP-Service", kService},
                              {"LGSP-Message-Id", id},
                              {"Content-Type", "application/json"}});
          if (r.status == 202) {
            std::lock_guard lock(acked_mutex);
            acked.insert(id);
          }
        } catch (const std::exception&) {
          return;  // the node is gone: what was not answered 202 was not promised
        }
      }
    });
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(acked_mutex);
      if (acked.size() >= 120) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  node->signal(SIGKILL);
  killed = true;
  node->wait(std::chrono::seconds(5));
  for (auto& t : senders) t.join();
  ASSERT_GE(acked.size(), 100u) << lgsp::test::read_file(dir / "serve.log");
  // Every acknowledged message is in the database (committed before its 202).
  EXPECT_GE(std::stoul(pg.sql("SELECT count(*) FROM message", "lgsp_node")), acked.size());
  slow = false;

  node = serve();
  ASSERT_TRUE(wait_ready()) << lgsp::test::read_file(dir / "serve.log");
  std::string undelivered = "?";
  for (int i = 0; i < 2400 && undelivered != "0"; ++i) {  // up to 60 s, for a loaded CI machine
    undelivered = pg.sql("SELECT count(*) FROM message WHERE state != 'delivered'", "lgsp_node");
    if (undelivered != "0") std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(undelivered, "0");
  std::vector<std::string> missing;
  {
    std::lock_guard lock(mutex);
    std::set_difference(acked.begin(), acked.end(), processed.begin(), processed.end(), std::back_inserter(missing));
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged messages lost, e.g. " << missing.front();
  std::cout << "acknowledged " << acked.size() << ", redelivered after restart (deduplicated) " << repeats.load()
            << "\n";
  node->signal(SIGTERM);
  EXPECT_EQ(node->wait(std::chrono::seconds(15)), 0);
  auto verified = lgsp::test::run({kLgsp, "log", "verify", "--config", config_file.string(), "--trust",
                                   (fs::path(hsm) / "pki/root-ca.pem").string(), "--node-cert",
                                   (fs::path(hsm) / "pki/lgsp-node.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(pg.sql("SELECT count(*) FROM message_log", "lgsp_node"), "0");
  receiver.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // slow answers still in their threads
  fs::remove_all(dir);
}

// The database goes away under a running node (pg_ctl stop -m immediate, as in a crash) and comes back on
// the same address: meanwhile the node answers 503 and never 202, /readyz turns 503; afterwards it connects
// again by itself, accepts and delivers.
TEST(PgNodeTest, a_database_outage_is_503_never_202_and_the_node_goes_on_when_it_is_back) {
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  std::vector<std::string> env = lgsp::test::hsm_sim_env(hsm);
  env.push_back("LGSP_SIGNING_CA_CHAIN=" + (fs::path(hsm) / "pki/issuing-ca.pem").string());
  const fs::path dir = fs::temp_directory_path() / ("lgsp-pg-outage-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  lgsp::test::PostgresServer pg;
  pg.sql("CREATE DATABASE lgsp_node");
  const fs::path config_file = dir / "lgsp.toml";
  std::ofstream(config_file) << "[store]\nbackend = \"postgresql\"\npostgresql_url = \"" << pg.conninfo("lgsp_node")
                             << "\"\ndata_dir = \""
                             << (dir / "node").string()
                             // "before" may be claimed when the database stops: its outcome cannot be recorded,
                             // and the claim is taken over when its lease ends. A short lease keeps the test short.
                             << "\"\n[delivery]\nlease_seconds = 2\n";

  std::mutex mutex;
  std::set<std::string> processed;
  Config rc;
  rc.server.listen = HostPort{"127.0.0.1", 0};
  rc.store.data_dir = dir / "receiver";
  rc.signing.enabled = false;
  Node receiver(rc);
  receiver.router().add("POST", "/in", [&](HttpRequest& r, Reply reply) {
    std::lock_guard lock(mutex);
    processed.insert(r.header("lgsp-message-id").value_or(""));
    reply(HttpResponse::json(200, nlohmann::json::object()));
  });
  receiver.start();
  std::string key;
  {
    auto store = open_embedded_store(Config::load(config_file, {}));
    auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
    Registry reg(*store, &catalogue);
    reg.add_member(kWard, "UBND phường Bến Thành");
    reg.add_subsystem(kClient);
    reg.add_subsystem(kWard + "/HOTICH");
    Service s;
    s.id = kService;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver.endpoint().port) + "/in";
    s.retry = {20, 50, 500};
    reg.add_service(s);
    reg.grant(kClient, kService);
    key = reg.create_api_key(kClient);
  }
  const auto port = lgsp::test::free_port();
  lgsp::test::Process node(
      {kLgsp, "serve", "--config", config_file.string(), "--listen", "127.0.0.1:" + std::to_string(port)},
      dir / "serve.log", env);
  auto readyz = [&]() -> int {
    try {
      return lgsp::test::HttpClient("127.0.0.1", port).request("GET", "/readyz").status;
    } catch (const std::exception&) {
      return 0;
    }
  };
  for (int i = 0; i < 400 && readyz() != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_EQ(readyz(), 200) << lgsp::test::read_file(dir / "serve.log");
  const std::string body =
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json");
  std::string last_answer;
  std::string retry_after;
  auto send = [&](const std::string& id) -> int {
    auto r = lgsp::test::HttpClient("127.0.0.1", port)
                 .request("POST", "/v1/messages", body,
                          {{"Authorization", "Bearer " + key},
                           {"LGSP-Client", kClient},
                           {"LGSP-Service", kService},
                           {"LGSP-Message-Id", id},
                           {"Content-Type", "application/json"}});
    last_answer = r.body;
    retry_after = r.headers.count("retry-after") ? r.headers.at("retry-after") : "";
    return r.status;
  };
  EXPECT_EQ(send("before"), 202);

  pg.stop();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(send("during-" + std::to_string(i)), 503) << last_answer;
    EXPECT_EQ(retry_after, "1");
  }
  int ready = 200;
  for (int i = 0; i < 200 && ready == 200; ++i) {
    ready = readyz();
    if (ready == 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(ready, 503);
  EXPECT_EQ(::kill(node.pid(), 0), 0) << "the node stays up";

  pg.start();
  int status = 0;
  for (int i = 0; i < 200 && status != 202; ++i) {
    status = send("after");
    if (status != 202) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 202) << lgsp::test::read_file(dir / "serve.log");
  for (int i = 0; i < 200 && readyz() != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(readyz(), 200);
  bool delivered = false;
  for (int i = 0; i < 1200 && !delivered; ++i) {  // up to 30 s: a cut claim waits for its lease (2 s) and backoff
    {
      std::lock_guard lock(mutex);
      delivered = processed.count("before") && processed.count("after");
    }
    if (!delivered) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(delivered) << lgsp::test::read_file(dir / "serve.log");
  EXPECT_EQ(pg.sql("SELECT count(*) FROM message WHERE id LIKE 'during-%'", "lgsp_node"), "0");
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(15)), 0);
  receiver.stop();
  fs::remove_all(dir);
}

}  // namespace
