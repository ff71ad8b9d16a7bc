// The node's HTTP surface, in process: built-in routes, refusals, metrics, readiness, drain.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using lgsp::test::HttpClient;

namespace {

class NodeHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-node-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.server.listen = HostPort{"127.0.0.1", 0};
    config_.server.threads = 2;
    config_.server.max_body_bytes = 4096;
    config_.server.max_header_bytes = 2048;
    config_.server.drain_timeout_seconds = 5;
    config_.store.data_dir = dir_;
    config_.signing.enabled = false;  // signing has its own tests, with hsm-sim
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }
  Node& start(StoreFactory factory = open_embedded_store) {
    node_ = std::make_unique<Node>(config_, std::move(factory));
    for (auto& add : extra_routes_) add(*node_);
    node_->start();
    return *node_;
  }
  std::unique_ptr<HttpClient> client() { return std::make_unique<HttpClient>("127.0.0.1", node_->endpoint().port); }
  fs::path dir_;
  Config config_;
  std::unique_ptr<Node> node_;
  std::vector<std::function<void(Node&)>> extra_routes_;
};

TEST_F(NodeHttpTest, healthz_answers_alive) {
  start();
  auto r = client()->request("GET", "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "alive");
}

TEST_F(NodeHttpTest, readyz_shows_the_schema_version_once_the_store_is_migrated) {
  start().wait_store();
  auto r = client()->request("GET", "/readyz");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["store"]["schema_version"], static_cast<int>(node_migrations().size()));
}

TEST_F(NodeHttpTest, readyz_is_503_with_a_reason_while_the_store_is_opening) {
  std::promise<void> release;
  auto gate = release.get_future().share();
  start([gate](const Config& c) {
    gate.wait();
    return open_embedded_store(c);
  });
  auto r = client()->request("GET", "/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["reason"], "the store is opening (applying migrations)");
  release.set_value();
  ASSERT_TRUE(node_->wait_store());
  EXPECT_EQ(client()->request("GET", "/readyz").status, 200u);
}

TEST_F(NodeHttpTest, readyz_is_503_naming_the_failure_when_the_store_cannot_open) {
  start([](const Config&) -> std::unique_ptr<Store> { throw StoreError("cannot open /x/lgsp.db: disk on fire"); });
  EXPECT_FALSE(node_->wait_store());
  auto r = client()->request("GET", "/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["reason"], "store failed: cannot open /x/lgsp.db: disk on fire");
}

TEST_F(NodeHttpTest, unknown_route_is_404_problem_and_the_connection_stays_usable) {
  start();
  auto c = client();
  auto r = c->request("GET", "/no/such/thing");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], "LGSP-404-ROUTE");
  EXPECT_EQ(body["detail"], "no resource at /no/such/thing");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(c->request("GET", "/healthz").status, 200u);
}

TEST_F(NodeHttpTest, wrong_method_is_405_with_allow) {
  start();
  auto r = client()->request("DELETE", "/healthz");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.headers["allow"], "GET");
}

TEST_F(NodeHttpTest, oversized_body_is_413_problem_recorded_and_the_node_keeps_serving) {
  start().wait_store();
  auto r = client()->request("POST", "/healthz", std::string(5000, 'x'));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "LGSP-413-TOO-LARGE");
  EXPECT_EQ(client()->request("GET", "/healthz").status, 200u);
  // The refusal is recorded in the store (group-committed, so allow the batch to land).
  std::int64_t recorded = 0;
  for (int i = 0; i < 100 && recorded == 0; ++i) {
    node_->store()->read([&](Transaction& tx) {
      recorded = tx.query(
                       "SELECT COUNT(*) AS n FROM node_event WHERE kind = 'http.rejected' AND detail LIKE "
                       "'%LGSP-413-TOO-LARGE%'")
                     .at(0)
                     .integer("n");
    });
    if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(recorded, 1);
}

TEST_F(NodeHttpTest, oversized_chunked_body_is_413) {
  // A route that takes a body: POST /healthz is now refused with 405 on its header, before any body.
  extra_routes_.push_back([](Node& n) {
    n.router().add("POST", "/sink", [](HttpRequest&, Reply reply) { reply(HttpResponse::json(200, {})); });
  });
  start();
  std::string chunk(3000, 'y');
  std::string req = "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  req += size + chunk + "\r\n" + size + chunk + "\r\n0\r\n\r\n";
  auto c = client();
  auto r = c->raw(req);
  EXPECT_EQ(r.status, 413u);
}

TEST_F(NodeHttpTest, malformed_request_is_400_problem_and_the_node_keeps_serving) {
  start();
  auto c = client();
  auto r = c->raw("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
  EXPECT_EQ(r.status, 400u);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], "LGSP-400-MALFORMED");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_EQ(client()->request("GET", "/healthz").status, 200u);
}

TEST_F(NodeHttpTest, non_absolute_target_is_400) {
  start();
  auto r = client()->raw("GET * HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 400u);
}

TEST_F(NodeHttpTest, oversized_headers_are_431) {
  start();
  auto r = client()->request("GET", "/healthz", "", {{"X-Big", std::string(4000, 'h')}});
  EXPECT_EQ(r.status, 431u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "LGSP-431-HEADERS");
}

TEST_F(NodeHttpTest, metrics_count_requests_by_route_and_status_with_latency) {
  start();
  auto c = client();
  c->request("GET", "/healthz");
  c->request("GET", "/healthz");
  c->request("GET", "/nope");
  auto r = c->request("GET", "/metrics");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("lgsp_http_requests_total{route=\"/healthz\",status=\"200\"} 2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("lgsp_http_requests_total{route=\"unmatched\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("lgsp_http_request_duration_seconds_bucket{route=\"/healthz\",status=\"200\",le=\"+Inf\"} 2"),
            std::string::npos);
}

TEST_F(NodeHttpTest, head_returns_headers_only) {
  start();
  auto c = client();
  auto r = c->request("HEAD", "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(c->request("GET", "/healthz").status, 200u);
}

TEST_F(NodeHttpTest, stop_drains_the_request_in_flight_and_closes_idle_connections) {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  extra_routes_.push_back([&](Node& n) {
    n.router().add("GET", "/slow", [&](HttpRequest&, Reply reply) {
      std::thread([reply, &entered] {
        entered.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        reply(HttpResponse::json(200, {{"done", true}}));
      }).detach();
    });
  });
  start();
  auto idle = client();
  ASSERT_EQ(idle->request("GET", "/healthz").status, 200u);
  auto busy = client();
  busy->send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered_future.wait();
  auto stopped = std::async(std::launch::async, [&] { return node_->stop(); });
  auto r = busy->read_response();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["done"], true);
  EXPECT_FALSE(r.keep_alive) << "answers during drain must close the connection";
  EXPECT_TRUE(idle->closed_by_peer());
  EXPECT_TRUE(stopped.get()) << "drain should finish within its timeout";
  EXPECT_THROW(HttpClient("127.0.0.1", node_->endpoint().port), std::exception);
}

TEST_F(NodeHttpTest, stop_gives_up_on_a_request_that_outlives_the_drain_timeout) {
  config_.server.drain_timeout_seconds = 1;
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  Reply held;  // never called while the node drains
  extra_routes_.push_back([&](Node& n) {
    n.router().add("GET", "/stuck", [&](HttpRequest&, Reply reply) {
      held = std::move(reply);
      entered.set_value();
    });
  });
  start();
  auto busy = client();
  busy->send_raw("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n");
  entered_future.wait();
  EXPECT_FALSE(node_->stop());
  EXPECT_TRUE(busy->closed_by_peer());
  held = nullptr;
}

TEST_F(NodeHttpTest, a_handler_that_drops_its_reply_gives_500_not_a_hang) {
  extra_routes_.push_back([](Node& n) { n.router().add("GET", "/lost", [](HttpRequest&, Reply) {}); });
  start();
  auto c = client();
  auto r = c->request("GET", "/lost");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(c->request("GET", "/healthz").status, 200u);
}

TEST_F(NodeHttpTest, a_handler_exception_is_500_problem) {
  extra_routes_.push_back([](Node& n) {
    n.router().add("GET", "/boom", [](HttpRequest&, Reply) { throw std::runtime_error("secret detail"); });
  });
  start();
  auto r = client()->request("GET", "/boom");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos) << "internal details must not leak to clients";
}

TEST_F(NodeHttpTest, listening_on_a_busy_port_is_a_config_error_naming_the_address) {
  start();
  Config second = config_;
  second.server.listen = node_->endpoint();
  second.store.data_dir = dir_ / "second";
  Node other(second);
  try {
    other.start();
    FAIL() << "expected the bind to fail";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "listen " + node_->endpoint().to_string() + " : Address already in use");
  }
}

}  // namespace
