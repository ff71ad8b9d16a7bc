// `lgsp` as operators run it: exit codes, error lines, start-up, and signals.
#include "http_client.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::HttpClient;
using lgsp::test::Process;
using lgsp::test::run;

namespace {

const std::string kLgsp = LGSP_BINARY;

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-serve-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts `lgsp serve` and waits until /readyz is 200.
  std::unique_ptr<Process> serve(unsigned short port, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", (dir_ / "var").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    // These tests are about the process, not signatures: the node runs without its HSM key.
    auto p =
        std::make_unique<Process>(argv, dir_ / "serve.log", std::vector<std::string>{"LGSP_SIGNING_ENABLED=false"});
    if (lgsp::test::wait_ready(port)) return p;
    ADD_FAILURE() << "lgsp serve did not become ready; log:\n" << lgsp::test::read_file(dir_ / "serve.log");
    return p;
  }
  fs::path dir_;
};

TEST_F(ServeProcessTest, version_prints_and_exits_zero) {
  auto r = run({kLgsp, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("lgsp ", 0), 0u) << r.out;
}

TEST_F(ServeProcessTest, help_lists_serve_and_exits_zero) {
  auto r = run({kLgsp, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("serve"), std::string::npos);
  auto s = run({kLgsp, "serve", "--help"});
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_NE(s.out.find("--data-dir"), std::string::npos);
}

TEST_F(ServeProcessTest, unknown_command_is_a_usage_error) {
  auto r = run({kLgsp, "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lgsp: usage : unknown command 'frobnicate' (see 'lgsp --help')\n");
}

TEST_F(ServeProcessTest, no_command_is_a_usage_error) {
  auto r = run({kLgsp});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("lgsp: usage : ", 0), 0u) << r.err;
}

TEST_F(ServeProcessTest, missing_config_file_exits_2_with_one_clear_line) {
  auto missing = dir_ / "nowhere.toml";
  auto r = run({kLgsp, "serve", "--config", missing.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lgsp: config " + missing.string() + " : cannot read file: No such file or directory\n");
}

TEST_F(ServeProcessTest, unknown_config_key_exits_2_naming_the_key) {
  auto file = dir_ / "lgsp.toml";
  std::ofstream(file) << "[store]\ndatadir = \"x\"\n";
  auto r = run({kLgsp, "serve", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lgsp: config " + file.string() + " : unknown key 'store.datadir'\n");
}

TEST_F(ServeProcessTest, bad_listen_flag_exits_2) {
  auto r = run({kLgsp, "serve", "--listen", "nonsense"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lgsp: --listen : must be HOST:PORT, got 'nonsense'\n");
}

TEST_F(ServeProcessTest, bad_environment_override_exits_2) {
  auto r = run({kLgsp, "serve"}, "", {"LGSP_SERVER_MAX_BODY_BYTES=-5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lgsp: environment LGSP_SERVER_MAX_BODY_BYTES : must be between 1 and 4294967296, got -5\n");
}

TEST_F(ServeProcessTest, busy_port_exits_2_naming_the_address) {
  auto port = lgsp::test::free_port();
  auto first = serve(port);
  auto r =
      run({kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", (dir_ / "other").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lgsp: listen 127.0.0.1:" + std::to_string(port) + " : Address already in use"),
            std::string::npos)
      << r.err;
}

TEST_F(ServeProcessTest, sigterm_drains_and_exits_zero) {
  auto port = lgsp::test::free_port();
  auto p = serve(port);
  HttpClient keep_alive("127.0.0.1", port);
  ASSERT_EQ(keep_alive.request("GET", "/healthz").status, 200u);
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait(std::chrono::seconds(15)), 0);
  EXPECT_TRUE(keep_alive.closed_by_peer());
  auto log = lgsp::test::read_file(dir_ / "serve.log");
  EXPECT_NE(log.find("\"event\":\"server.stopped\""), std::string::npos) << log;
}

TEST_F(ServeProcessTest, sigint_exits_zero_and_the_store_reopens) {
  auto port = lgsp::test::free_port();
  auto p = serve(port);
  p->signal(SIGINT);
  ASSERT_EQ(p->wait(std::chrono::seconds(15)), 0);
  auto again = serve(port);
  HttpClient c("127.0.0.1", port);
  auto body = nlohmann::json::parse(c.request("GET", "/readyz").body);
  EXPECT_EQ(body["store"]["schema_version"], body["store"]["expected_schema_version"]);
}

TEST_F(ServeProcessTest, logs_are_one_json_object_per_line) {
  auto port = lgsp::test::free_port();
  auto p = serve(port);
  p->signal(SIGTERM);
  ASSERT_EQ(p->wait(std::chrono::seconds(15)), 0);
  std::ifstream log(dir_ / "serve.log");
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a non-JSON line
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("event")) << line;
    ++lines;
  }
  EXPECT_GE(lines, 3);
}

TEST_F(ServeProcessTest, unusable_data_dir_exits_1_naming_the_store) {
  auto blocker = dir_ / "file";
  std::ofstream(blocker) << "not a directory";
  auto port = lgsp::test::free_port();
  Process p({kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", blocker.string()},
            dir_ / "serve.log");
  EXPECT_EQ(p.wait(std::chrono::seconds(15)), 1);
  auto log = lgsp::test::read_file(dir_ / "serve.log");
  EXPECT_NE(log.find("lgsp: store " + (blocker / "lgsp.db").string() + " : "), std::string::npos) << log;
}

}  // namespace
