// `lgsp serve` as run, its admin API sent every JSON type (and worse) on every route it has: the process lives,
// and every answer is a refusal (4xx) or a read, never a 500 and never a dropped connection.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::HttpClient;
using lgsp::test::Process;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;

// Bodies of every JSON type, not-JSON, and empty.
std::vector<std::string> top_level_bodies() {
  return {"null",
          "true",
          "false",
          "1",
          "-1.5",
          "1e400",
          "18446744073709551616",
          "\"s\"",
          "[]",
          "{}",
          R"({"all":"yes"})",
          R"([{"all":true}])",
          "{",
          "not json",
          "",
          "\xff\xfe",
          R"({"a":)",
          "[[[[[[[[[[]]]]]]]]]]"};
}

// Each known field of the admin bodies, in turn set to a value of every wrong type, the others right.
std::vector<std::string> nested_bodies() {
  const json right = {{"code", "000.00.99.H99"},
                      {"name", "x"},
                      {"id", "000.00.99.H99/NOPE/x/v1"},
                      {"subsystem", "000.00.99.H99/NOPE"},
                      {"client", "000.00.99.H99/NOPE"},
                      {"service", "000.00.99.H99/NOPE/x/v1"},
                      {"contract", "nope@v1"},
                      {"response_contract", "nope@v1"},
                      {"endpoint", "ftp://nowhere"},
                      {"timeout_ms", 1},
                      {"max_attempts", 1},
                      {"initial_backoff_ms", 1},
                      {"max_backoff_ms", 1},
                      {"keep_payload", true},
                      {"pem", "not a certificate"},
                      {"message_id", "m-404"},
                      {"all", false}};
  const std::vector<json> wrong = {nullptr,
                                   true,
                                   1,
                                   -1.5,
                                   json::parse("18446744073709551615"),
                                   -9223372036854775807LL,
                                   "s",
                                   json::array(),
                                   json::object(),
                                   json::array({1, "x"}),
                                   json{{"nested", {{"deeper", json::array()}}}}};
  std::vector<std::string> out;
  for (const auto& [field, _] : right.items())
    for (const auto& w : wrong) {
      json body = right;
      body[field] = w;
      out.push_back(body.dump());
      out.push_back(json{{field, w}}.dump());
    }
  return out;
}

std::string concrete(std::string pattern) {
  for (const auto& [from, to] : std::map<std::string, std::string>{
           {"{id}", "000000000000"}, {"{name}", "nope"}, {"{fingerprint}", "00"}, {"*", "000.00.99.H99/NOPE/x/v1"}})
    if (auto at = pattern.find(from); at != std::string::npos) pattern.replace(at, from.size(), to);
  return pattern;
}

TEST(AdminHostileBodies, every_route_refuses_every_json_type_and_the_node_stays_up) {
  const fs::path dir = fs::temp_directory_path() / ("lgsp-admin-hostile-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string data = (dir / "var").string();
  // The operator's token, made by the CLI before the node first runs (--init: the store is new).
  auto made = lgsp::test::run(
      {kLgsp, "admin", "token", "create", "--role", "registry-admin", "--name", "fuzz", "--data-dir", data, "--init"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string token = made.out.substr(0, made.out.find('\n'));

  const auto port = lgsp::test::free_port(), admin_port = lgsp::test::free_port();
  Process node({kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", data}, dir / "serve.log",
               {"LGSP_SIGNING_ENABLED=false", "LGSP_ADMIN_LISTEN=127.0.0.1:" + std::to_string(admin_port)});
  ASSERT_TRUE(lgsp::test::wait_ready(port)) << lgsp::test::read_file(dir / "serve.log");

  // Every route the node's admin API has (a route added later is covered without editing this test).
  lgsp::bus::Config config;
  config.store.data_dir = dir / "unused";
  lgsp::bus::Node enumerate(config);
  auto routes = enumerate.admin_router().routes();
  ASSERT_GE(routes.size(), 20u);

  auto bodies = top_level_bodies();
  const auto nested = nested_bodies();
  std::size_t sent = 0;
  for (const auto& [method, pattern] : routes) {
    const std::string path = concrete(pattern);
    auto send = [&](const std::string& body, bool must_refuse) {
      SCOPED_TRACE(method + " " + path + " " + body);
      lgsp::test::ClientResponse r;
      try {
        HttpClient c("127.0.0.1", admin_port);
        r = c.request(method, path, body, {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
      } catch (const std::exception& e) {
        FAIL() << "no answer (connection dropped): " << e.what();
      }
      ++sent;
      EXPECT_LT(r.status, 500u) << r.body;
      EXPECT_NE(r.status, 401u) << r.body;
      if (must_refuse) {
        EXPECT_GE(r.status, 400u) << r.body;
        EXPECT_EQ(r.headers["content-type"], "application/problem+json") << r.body;
      }
    };
    // Reads ignore bodies; every change must refuse one that is not the object it needs.
    const bool change = method != "GET";
    for (const auto& b : bodies) send(b, change);
    if (change)
      for (const auto& b : nested) send(b, false);
    lgsp::test::ClientResponse alive;
    try {
      alive = HttpClient("127.0.0.1", port).request("GET", "/healthz");
    } catch (const std::exception&) {
    }
    ASSERT_EQ(alive.status, 200u) << "the node died on " << method << " " << path << "\n"
                                  << lgsp::test::read_file(dir / "serve.log");
  }
  EXPECT_GT(sent, 1000u);

  // The issue's request, once more by itself: a 400 naming the field, and the node still answers.
  HttpClient c("127.0.0.1", admin_port);
  auto yes = c.request("POST", "/admin/v1/dlq/replay", R"({"all":"yes"})",
                       {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
  EXPECT_EQ(yes.status, 400u) << yes.body;
  EXPECT_NE(yes.body.find("'all'"), std::string::npos) << yes.body;
  EXPECT_EQ(HttpClient("127.0.0.1", port).request("GET", "/healthz").status, 200u);
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

}  // namespace
