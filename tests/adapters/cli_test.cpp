// `lgsp adapter check|dlq list|dlq replay|run` as an operator runs them.
#include "lgsp/adapters/dead_letters.hpp"

#include "http_client.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::run;

namespace {

class AdapterCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-adapter-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    auto file = dir_ / "adapters.toml";
    std::ofstream(file) << text;
    return file.string();
  }
  lgsp::test::RunResult lgsp(std::vector<std::string> args) {
    args.insert(args.begin(), LGSP_BINARY);
    return run(args);
  }
  fs::path dir_;
};

const std::string kConfig =
    "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"state\"\n[node]\nurl = \"http://127.0.0.1:1\"\n";

TEST_F(AdapterCli, check_accepts_a_good_file) {
  auto r = lgsp({"adapter", "check", "--config", write(kConfig)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok, 0 adapters"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "state")) << "check makes nothing";
}

TEST_F(AdapterCli, check_refuses_an_unknown_kind_naming_the_known_ones) {
  auto r =
      lgsp({"adapter", "check", "--config",
            write(kConfig + "[[adapter]]\nname = \"x\"\nkind = \"ftp\"\nclient = \"A/B\"\napi_key_env = \"HOME\"\n")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("adapter 'x'.kind: unknown kind 'ftp' (known: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("probe"), std::string::npos) << "the test-only kind is not in the lgsp program";
}

TEST_F(AdapterCli, check_refuses_an_unknown_key_with_its_path) {
  auto r = lgsp({"adapter", "check", "--config", write(kConfig + "[node.extra]\n")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("node.extra: unknown key"), std::string::npos) << r.err;
  auto missing = lgsp({"adapter", "check", "--config", (dir_ / "nope.toml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read the file"), std::string::npos) << missing.err;
}

TEST_F(AdapterCli, usage_errors_exit_2) {
  EXPECT_EQ(lgsp({"adapter", "check"}).exit_code, 2);
  EXPECT_EQ(lgsp({"adapter", "dlq", "replay", "--config", write(kConfig)}).exit_code, 2);
  EXPECT_EQ(lgsp({"adapter", "dlq", "replay", "--config", write(kConfig), "1", "--all"}).exit_code, 2);
  auto help = lgsp({"adapter", "dlq", "replay", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--all"), std::string::npos);
}

TEST_F(AdapterCli, every_adapter_command_has_help) {
  EXPECT_NE(lgsp({"--help"}).out.find("adapter"), std::string::npos);
  for (std::vector<std::string> command : {std::vector<std::string>{"adapter"},
                                           {"adapter", "run"},
                                           {"adapter", "check"},
                                           {"adapter", "dlq"},
                                           {"adapter", "dlq", "list"}}) {
    command.push_back("--help");
    auto r = lgsp(command);
    EXPECT_EQ(r.exit_code, 0) << command[1];
    EXPECT_NE(r.out.find("Usage: lgsp adapter"), std::string::npos) << r.out;
  }
  EXPECT_NE(lgsp({"adapter", "run", "--help"}).out.find("SIGTERM"), std::string::npos);
  EXPECT_NE(lgsp({"adapter", "dlq", "list", "--help"}).out.find("--json"), std::string::npos);
}

TEST_F(AdapterCli, dlq_list_shows_letters_and_replay_keeps_one_that_fails_again) {
  auto config = write(kConfig);
  auto empty = lgsp({"adapter", "dlq", "list", "--config", config});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
  EXPECT_FALSE(fs::exists(dir_ / "state")) << "listing never makes a store in a wrong folder";
  std::int64_t id = 0;
  {
    lgsp::adapters::DeadLetterStore store(dir_ / "state" / "dead-letters.sqlite");
    id = store.for_adapter("gone").add("file-1.csv", "400 LGSP-400-CONTRACT: /x\nsecond line", "payload", "{}");
  }
  auto lines = lgsp({"adapter", "dlq", "list", "--config", config});
  EXPECT_EQ(lines.exit_code, 0);
  EXPECT_NE(lines.out.find(std::to_string(id) + "\tgone\t"), std::string::npos) << lines.out;
  EXPECT_NE(lines.out.find("file-1.csv\t400 LGSP-400-CONTRACT: /x second line\n"), std::string::npos) << lines.out;
  auto json = lgsp({"adapter", "dlq", "list", "--config", config, "--json"});
  auto letters = nlohmann::json::parse(json.out);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["payload_bytes"], 7);
  EXPECT_EQ(lgsp({"adapter", "dlq", "list", "--config", config, "--adapter", "gone"}).exit_code, 2)
      << "an adapter not in the file";

  // Its adapter is no longer in the file: replaying fails, the letter stays with one more attempt.
  auto replay = lgsp({"adapter", "dlq", "replay", "--config", config, std::to_string(id)});
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.err.find("its adapter 'gone' is not in"), std::string::npos) << replay.err;
  auto all = lgsp({"adapter", "dlq", "replay", "--config", config, "--all"});
  EXPECT_EQ(all.exit_code, 1);
  EXPECT_NE(all.out.find("replayed 0 dead letters, 1 failed again (kept)"), std::string::npos) << all.out;
  lgsp::adapters::DeadLetterStore store(dir_ / "state" / "dead-letters.sqlite");
  EXPECT_EQ(store.get(id)->attempts, 2);
  auto unknown = lgsp({"adapter", "dlq", "replay", "--config", config, "999"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no dead letter 999"), std::string::npos);
}

TEST_F(AdapterCli, run_serves_healthz_and_stops_on_sigterm) {
  const unsigned short port = lgsp::test::free_port();
  auto config = write("[runner]\nlisten = \"127.0.0.1:" + std::to_string(port) +
                      "\"\nstate_dir = \"state\"\n[node]\nurl = \"http://127.0.0.1:1\"\n");
  lgsp::test::Process runner({LGSP_BINARY, "adapter", "run", "--config", config}, dir_ / "runner.log");
  unsigned status = 0;
  for (int i = 0; i < 400 && status != 200; ++i) {
    try {
      lgsp::test::HttpClient c("127.0.0.1", port);
      status = c.request("GET", "/healthz").status;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  EXPECT_EQ(status, 200u) << lgsp::test::read_file(dir_ / "runner.log");
  runner.signal(SIGTERM);
  EXPECT_EQ(runner.wait(std::chrono::seconds(15)), 0) << lgsp::test::read_file(dir_ / "runner.log");
}

}  // namespace
