// Nothing acknowledged is lost: `lgsp serve` is killed with SIGKILL while clients are sending, restarted
// on the same data directory, and every message it answered 202 for reaches the receiver. Redelivery
// after a crash is possible (at-least-once); the receiver deduplicates by LGSP-Message-Id, so it
// processes each message exactly once.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
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

TEST(CrashTest, sigkill_under_load_loses_no_acknowledged_message) {
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  std::vector<std::string> env = lgsp::test::hsm_sim_env(hsm);
  env.push_back("LGSP_SIGNING_CA_CHAIN=" + (fs::path(hsm) / "pki/issuing-ca.pem").string());
  const fs::path dir = fs::temp_directory_path() / ("lgsp-crash-" + std::to_string(::getpid()));
  fs::remove_all(dir);

  // The idempotent receiver: processes each LGSP-Message-Id once, counts repeats.
  std::mutex mutex;
  std::set<std::string> processed;
  std::atomic<int> repeats{0};
  Config rc;
  rc.server.listen = HostPort{"127.0.0.1", 0};
  rc.server.threads = 2;
  rc.store.data_dir = dir / "receiver";
  rc.signing.enabled = false;
  Node receiver(rc);
  // Slow before the kill, so that acknowledged messages are still queued or on the wire when it comes.
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

  // Register before the node runs, in its store.
  std::string key;
  {
    Config nc;
    nc.store.data_dir = dir / "node";
    auto store = open_embedded_store(nc);
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
  auto serve = [&] {
    return std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
                                 (dir / "node").string()},
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
        const std::string id = "crash-" + std::to_string(t) + "-" + std::to_string(i);
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
  // Kill it mid-load, once a good part has been acknowledged.
  for (int i = 0; i < 400; ++i) {
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
  std::size_t delivered_before;
  {
    std::lock_guard lock(mutex);
    delivered_before = processed.size();
  }
  ASSERT_GE(acked.size(), 100u);
  EXPECT_LT(delivered_before, acked.size()) << "the kill should find acknowledged messages undelivered";
  slow = false;

  node = serve();
  ASSERT_TRUE(wait_ready()) << lgsp::test::read_file(dir / "serve.log");
  // Done when the restarted node has recorded every stored message as delivered (those it had put on
  // the wire before the kill are sent again: it never learnt their outcome).
  const std::string db = (dir / "node/lgsp.db").string();
  std::string undelivered = "?";
  for (int i = 0; i < 600 && undelivered != "0"; ++i) {
    auto r = lgsp::test::run({"/usr/bin/sqlite3", db, "SELECT count(*) FROM message WHERE state != 'delivered'"});
    undelivered = r.out.substr(0, r.out.find('\n'));
    if (undelivered != "0") std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(undelivered, "0");
  std::vector<std::string> missing;
  {
    std::lock_guard lock(mutex);
    std::set_difference(acked.begin(), acked.end(), processed.begin(), processed.end(), std::back_inserter(missing));
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged messages lost, e.g. " << missing.front();
  std::cout << "acknowledged " << acked.size() << ", delivered before the kill " << delivered_before
            << ", redelivered after restart (deduplicated by the receiver) " << repeats.load() << "\n";
  node->signal(SIGTERM);
  EXPECT_EQ(node->wait(std::chrono::seconds(15)), 0);
  // The log survived the kill intact: every record links, every seal verifies (stored seals name a
  // certificate that the store holds), and every seal is by the node's own certificate.
  auto verified = lgsp::test::run({kLgsp, "log", "verify", "--data-dir", (dir / "node").string(), "--trust",
                                   (fs::path(hsm) / "pki/root-ca.pem").string(), "--node-cert",
                                   (fs::path(hsm) / "pki/lgsp-node.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  receiver.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // slow answers still in their threads
  fs::remove_all(dir);
}

}  // namespace
