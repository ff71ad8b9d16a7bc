// The runner in process, with the test-only "probe" kind: the whole file checked before anything starts, one
// listener with /healthz, /metrics and each adapter's routes, start in file order and stop on failure, replay.
#include "lgsp/adapters/runner.hpp"

#include "http_client.hpp"
#include "probe_adapter.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <fstream>

namespace fs = std::filesystem;
using lgsp::adapters::AdapterConfigError;
using lgsp::adapters::Runner;
using lgsp::adapters::test::ProbeAdapter;
using nlohmann::json;

namespace {

const std::string kHead =
    "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"state\"\n[node]\nurl = \"http://127.0.0.1:1\"\n"
    "contracts_dir = \"" LGSP_SOURCE_DIR "/contracts\"\n";

std::string probe(const std::string& name, const std::string& extra = "") {
  return "[[adapter]]\nname = \"" + name + "\"\nkind = \"probe\"\nclient = \"000.00.13.H29/" + name +
         "\"\napi_key_env = \"LGSP_TEST_PROBE_KEY\"\n" + extra;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lgsp::adapters::test::register_probe_kind();
    ::setenv("LGSP_TEST_PROBE_KEY", "probe-key", 1);
    dir_ = fs::temp_directory_path() / ("lgsp-adapter-runner-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    runner_.reset();
    fs::remove_all(dir_);
  }
  fs::path write(const std::string& text) {
    auto file = dir_ / "adapters.toml";
    std::ofstream(file) << text;
    return file;
  }
  std::string refusal(const std::string& text) {
    try {
      Runner r(write(text));
    } catch (const AdapterConfigError& e) {
      return e.what();
    }
    return "";
  }
  void start(const std::string& text) {
    runner_ = std::make_unique<Runner>(write(text));
    runner_->start();
    port_ = static_cast<unsigned short>(
        std::stoi(runner_->listen_address().substr(runner_->listen_address().rfind(':') + 1)));
  }
  lgsp::test::ClientResponse get(const std::string& target, const std::string& method = "GET") {
    lgsp::test::HttpClient c("127.0.0.1", port_);
    return c.request(method, target);
  }
  ProbeAdapter& probe_named(const std::string& name) { return dynamic_cast<ProbeAdapter&>(*runner_->find(name)); }

  fs::path dir_;
  std::unique_ptr<Runner> runner_;
  unsigned short port_ = 0;
};

TEST_F(RunnerTest, healthz_lists_every_adapter_and_is_200_when_all_are_ok) {
  start(kHead + probe("p1") + probe("p2"));
  auto r = get("/healthz");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["status"], "ok");
  ASSERT_EQ(body["adapters"].size(), 2u);
  EXPECT_EQ(body["adapters"][0]["name"], "p1");
  EXPECT_EQ(body["adapters"][0]["kind"], "probe");
  EXPECT_EQ(body["adapters"][0]["detail"], "probing");
  EXPECT_EQ(body["adapters"][1]["dead_letters"], 0);
}

TEST_F(RunnerTest, healthz_is_503_when_one_adapter_is_not_ok) {
  start(kHead + probe("p1") + probe("sick", "healthy = false\n"));
  auto r = get("/healthz");
  EXPECT_EQ(r.status, 503u);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["adapters"][1]["ok"], false);
  EXPECT_EQ(body["adapters"][1]["detail"], "configured unhealthy");
}

TEST_F(RunnerTest, serves_each_adapters_routes_under_its_prefix_with_the_context_it_was_given) {
  start(kHead + probe("p1"));
  auto r = get("/adapters/p1/hello");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "hello p1");
  auto& p = probe_named("p1");
  ASSERT_NE(p.context(), nullptr);
  EXPECT_EQ(p.context()->route_prefix, "/adapters/p1");
  EXPECT_EQ(p.context()->public_base_url, "http://" + runner_->listen_address());
  EXPECT_EQ(p.context()->state_dir, dir_ / "state" / "p1");
  EXPECT_TRUE(fs::is_directory(p.context()->state_dir));
  EXPECT_EQ(p.context()->node.identity().client, "000.00.13.H29/p1");
  EXPECT_EQ(p.context()->node.identity().api_key, "probe-key");
  EXPECT_EQ(get("/adapters/p1/nothing").status, 404u);
  auto wrong = get("/adapters/p1/hello", "DELETE");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.headers["allow"], "GET");
  EXPECT_EQ(get("/adapters/other/hello").status, 404u);
}

TEST_F(RunnerTest, a_throwing_handler_is_a_500_problem_and_the_runner_keeps_serving) {
  start(kHead + probe("p1"));
  auto r = get("/adapters/p1/throw");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-500-INTERNAL");
  EXPECT_EQ(get("/adapters/p1/hello").status, 200u);
}

TEST_F(RunnerTest, a_route_that_never_answers_is_a_504_after_the_request_timeout) {
  start(
      "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"state\"\nrequest_timeout_seconds = 1\n[node]\n"
      "url = \"http://127.0.0.1:1\"\ncontracts_dir = \"" LGSP_SOURCE_DIR "/contracts\"\n" +
      probe("p1"));
  auto r = get("/adapters/p1/silent");
  EXPECT_EQ(r.status, 504u);
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-504-ADAPTER");
  EXPECT_EQ(get("/adapters/p1/hello").status, 200u);
}

TEST_F(RunnerTest, an_adapter_routes_own_body_limit_is_kept) {
  start(kHead + probe("p1"));
  lgsp::test::HttpClient c("127.0.0.1", port_);
  EXPECT_EQ(c.request("POST", "/adapters/p1/small", "12345678").status, 200u);
  auto r = c.request("POST", "/adapters/p1/small", "123456789");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-413-ADAPTER");
}

TEST_F(RunnerTest, a_listen_address_in_use_is_refused_at_start) {
  start(kHead + probe("p1"));
  Runner second(write("[runner]\nlisten = \"" + runner_->listen_address() + "\"\nstate_dir = \"state2\"\n[node]\n" +
                      "url = \"http://127.0.0.1:1\"\n"));
  try {
    second.start();
    FAIL() << "start() must throw";
  } catch (const AdapterConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("runner.listen: ", 0), 0u) << e.what();
  }
}

TEST_F(RunnerTest, a_state_dir_that_cannot_hold_the_dead_letters_is_refused_at_start) {
  std::ofstream(dir_ / "not-a-folder") << "x";
  Runner runner(write(
      "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"not-a-folder\"\n[node]\nurl = \"http://127.0.0.1:1\"\n"));
  try {
    runner.start();
    FAIL() << "start() must throw";
  } catch (const AdapterConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("runner.state_dir: ", 0), 0u) << e.what();
  }
}

TEST_F(RunnerTest, a_delivery_without_a_seal_is_refused_with_403) {
  start(kHead + probe("p1"));
  lgsp::test::HttpClient c("127.0.0.1", port_);
  auto r = c.request("POST", "/adapters/p1/in", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-403-ADAPTER-SEAL");
  EXPECT_TRUE(probe_named("p1").delivered().empty());
}

TEST_F(RunnerTest, metrics_has_each_adapters_counters_and_the_runners_gauges) {
  start(kHead + probe("p1") + probe("sick", "healthy = false\n"));
  get("/adapters/p1/hello");
  get("/adapters/p1/hello");
  runner_->dead_letters().for_adapter("p1").add("k", "r", "", "{}");
  auto r = get("/metrics");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(r.body.find("lgsp_adapter_hello_total{adapter=\"p1\",kind=\"probe\"} 2\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("lgsp_adapter_last_hello{adapter=\"p1\",kind=\"probe\"} 1.5\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("lgsp_adapters_dead_letters{adapter=\"p1\",kind=\"probe\"} 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("lgsp_adapters_up{adapter=\"p1\",kind=\"probe\"} 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("lgsp_adapters_up{adapter=\"sick\",kind=\"probe\"} 0\n"), std::string::npos) << r.body;
}

TEST_F(RunnerTest, an_adapter_that_cannot_start_stops_those_started_and_is_named) {
  runner_ = std::make_unique<Runner>(write(kHead + probe("p1") + probe("broken", "fail_start = true\n") + probe("p3")));
  try {
    runner_->start();
    FAIL() << "start() must throw";
  } catch (const AdapterConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("adapter 'broken'"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(probe_named("p1").started());
  EXPECT_TRUE(probe_named("p1").stopped());
  EXPECT_FALSE(probe_named("p3").started()) << "adapters after the failed one are never started";
}

TEST_F(RunnerTest, stop_stops_every_adapter_and_is_idempotent) {
  start(kHead + probe("p1") + probe("p2"));
  runner_->stop();
  runner_->stop();
  EXPECT_TRUE(probe_named("p1").stopped());
  EXPECT_TRUE(probe_named("p2").stopped());
}

TEST_F(RunnerTest, replays_a_letter_removing_it_or_recording_that_it_failed_again) {
  runner_ = std::make_unique<Runner>(write(kHead + probe("p1")));
  auto& letters = runner_->dead_letters().for_adapter("p1");
  auto good = letters.add("k1", "node down", "ok", "{}");
  auto bad = letters.add("k2", "node down", "not ok", "{}");
  auto replayed = runner_->replay(good);
  EXPECT_TRUE(replayed.replayed) << replayed.reason;
  EXPECT_FALSE(letters.get(good));
  auto failed = runner_->replay(bad);
  EXPECT_FALSE(failed.replayed);
  EXPECT_EQ(failed.reason, "the payload is not 'ok'");
  EXPECT_EQ(letters.get(bad)->attempts, 1);
  EXPECT_EQ(letters.get(bad)->reason, "the payload is not 'ok'");
  EXPECT_FALSE(probe_named("p1").started()) << "replay never starts the adapter";
  EXPECT_EQ(runner_->replay(9999).reason, "no dead letter 9999");
}

TEST_F(RunnerTest, refuses_an_unknown_kind_naming_the_known_kinds) {
  auto why = refusal(
      kHead + "[[adapter]]\nname = \"x\"\nkind = \"ftp\"\nclient = \"A/B\"\napi_key_env = \"LGSP_TEST_PROBE_KEY\"\n");
  EXPECT_NE(why.find("adapter 'x'.kind: unknown kind 'ftp' (known: "), std::string::npos) << why;
  EXPECT_NE(why.find("probe"), std::string::npos) << why;
}

TEST_F(RunnerTest, refuses_an_unknown_key_in_an_adapter_or_the_runner) {
  EXPECT_EQ(refusal(kHead + probe("p1", "helthy = true\n")),
            "adapter 'p1'.helthy: unknown key (misspelt, or not for this table)");
  EXPECT_EQ(refusal("[runner]\nlisten = \"127.0.0.1:0\"\nthreds = 2\n[node]\nurl = \"http://127.0.0.1:1\"\n"),
            "runner.threds: unknown key (misspelt, or not for this table)");
  EXPECT_EQ(refusal(kHead + "[extra]\n"), "extra: unknown key (misspelt, or not for this table)");
}

TEST_F(RunnerTest, refuses_bad_names_duplicates_and_missing_identities) {
  EXPECT_NE(refusal(kHead + probe("Bad_Name")).find("adapter[0].name: must be 1 to 64 of a-z, 0-9 and '-'"),
            std::string::npos);
  EXPECT_EQ(refusal(kHead + probe("p1") + probe("p1")), "adapter[1].name: 'p1' is used by another adapter");
  EXPECT_NE(refusal(kHead + "[[adapter]]\nname = \"x\"\nkind = \"probe\"\nclient = \"A/B\"\n")
                .find("needs an identity on the node"),
            std::string::npos);
  EXPECT_NE(refusal(kHead + "[[adapter]]\nname = \"x\"\nkind = \"probe\"\nclient = \"A/B\"\napi_key = \"inline\"\n")
                .find("adapter 'x'.api_key: secrets are never written in the config"),
            std::string::npos);
  EXPECT_NE(
      refusal(
          kHead +
          "[[adapter]]\nname = \"x\"\nkind = \"probe\"\nclient = \"nobody\"\napi_key_env = \"LGSP_TEST_PROBE_KEY\"\n")
          .find("adapter 'x'.client: must be"),
      std::string::npos);
}

TEST_F(RunnerTest, refuses_plain_http_off_loopback) {
  EXPECT_NE(refusal("[runner]\nlisten = \"0.0.0.0:8090\"\n[node]\nurl = \"http://127.0.0.1:1\"\n")
                .find("runner.listen: plain HTTP is allowed only on loopback"),
            std::string::npos);
  EXPECT_NE(
      refusal("[node]\nurl = \"http://10.0.0.5:8080\"\n").find("node.url: plain http:// only to a node on loopback"),
      std::string::npos);
  EXPECT_EQ(refusal("[runner]\nlisten = \"127.0.0.1:0\"\n"), "node: is required (a table)");
  EXPECT_NE(
      refusal("[node]\nurl = \"http://127.0.0.1:1\"\ntimeout_ms = 5\n").find("node.timeout_ms: must be between 100"),
      std::string::npos);
}

TEST_F(RunnerTest, refuses_trust_roots_without_node_certificates) {
  EXPECT_EQ(refusal("[node]\nurl = \"http://127.0.0.1:1\"\ntrust_roots = \"root.pem\"\n"),
            "node: trust_roots and node_certificates go together (both check deliveries)");
}

}  // namespace
