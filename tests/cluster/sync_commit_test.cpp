// A COMMIT whose wait for the synchronous standby is cancelled returns successfully with a WARNING
// ("canceling wait for synchronous replication due to user request": committed on the primary, perhaps not on
// the standby). The node must not answer 202 for it. Here a real PostgreSQL 15 (tests/support) is told to wait
// for a synchronous standby that never comes, the node's COMMIT waits, and pg_cancel_backend cancels the wait:
// the client gets 503 (not 202); once the standby requirement is lifted, the same message id is acknowledged.
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
#include <future>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWard = "000.00.13.H29";
const std::string kClient = kWard + "/MOTCUA";
const std::string kService = kWard + "/HOTICH/hoso/v1";

TEST(SyncCommitTest, a_commit_whose_synchronous_replication_wait_was_cancelled_is_not_acknowledged) {
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  std::vector<std::string> env = lgsp::test::hsm_sim_env(hsm);
  env.push_back("LGSP_SIGNING_CA_CHAIN=" + (fs::path(hsm) / "pki/issuing-ca.pem").string());
  const fs::path dir = fs::temp_directory_path() / ("lgsp-sync-commit-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  lgsp::test::PostgresServer pg;
  pg.sql("CREATE DATABASE lgsp_node");
  const fs::path config_file = dir / "lgsp.toml";
  std::ofstream(config_file) << "[store]\nbackend = \"postgresql\"\npostgresql_url = \"" << pg.conninfo("lgsp_node")
                             << "\"\ndata_dir = \"" << (dir / "node").string() << "\"\n";
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
    s.endpoint = "http://127.0.0.1:9/in";  // nothing is delivered in this test
    reg.add_service(s);
    reg.grant(kClient, kService);
    key = reg.create_api_key(kClient);
  }
  const auto port = lgsp::test::free_port();
  lgsp::test::Process node(
      {kLgsp, "serve", "--config", config_file.string(), "--listen", "127.0.0.1:" + std::to_string(port)},
      dir / "serve.log", env);
  ASSERT_TRUE(lgsp::test::wait_ready(port)) << lgsp::test::read_file(dir / "serve.log");
  const std::string body =
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json");
  auto send = [&](const std::string& id) {
    return lgsp::test::HttpClient("127.0.0.1", port)
        .request("POST", "/v1/messages", body,
                 {{"Authorization", "Bearer " + key},
                  {"LGSP-Client", kClient},
                  {"LGSP-Service", kService},
                  {"LGSP-Message-Id", id},
                  {"Content-Type", "application/json"}});
  };
  ASSERT_EQ(send("before").status, 202);

  // Every commit now waits for a synchronous standby named "nobody".
  pg.sql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
  pg.sql("SELECT pg_reload_conf()");
  auto answer = std::async(std::launch::async, [&] { return send("cancelled"); });
  // Every wait for the standby is cancelled (the delivery worker's writes wait too) until the node answers.
  int cancels = 0;
  for (int i = 0; i < 800 && answer.wait_for(std::chrono::milliseconds(25)) != std::future_status::ready; ++i)
    if (pg.sql("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") != "0")
      ++cancels;
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "the node never answered";
  EXPECT_GE(cancels, 1) << "the node's COMMIT never waited for the synchronous standby";
  auto r = answer.get();
  EXPECT_EQ(r.status, 503) << "a COMMIT not on the synchronous standby was acknowledged: " << r.body;
  EXPECT_EQ(r.headers.count("retry-after") ? r.headers.at("retry-after") : "", "1");
  // The transaction did commit on this server: a repeat of the id is answered with the original receipt.
  EXPECT_EQ(pg.sql("SELECT count(*) FROM message WHERE id = 'cancelled'", "lgsp_node"), "1");

  pg.sql("ALTER SYSTEM RESET synchronous_standby_names");
  pg.sql("SELECT pg_reload_conf()");
  int status = 0;
  for (int i = 0; i < 200 && status != 200 && status != 202; ++i) {
    status = send("cancelled").status;
    if (status != 200 && status != 202) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(status, 200) << lgsp::test::read_file(dir / "serve.log");
  EXPECT_EQ(send("after").status, 202);
  EXPECT_EQ(::kill(node.pid(), 0), 0) << "the node stays up";
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(15)), 0);
  fs::remove_all(dir);
}

}  // namespace
