// The admin API on its own loopback listener: the registry over HTTP, with the CLI's rules.
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using lgsp::test::HttpClient;
using nlohmann::json;

namespace {

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-admin-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.server.listen = HostPort{"127.0.0.1", 0};
    config_.server.threads = 1;
    config_.admin.listen = HostPort{"127.0.0.1", 0};
    config_.store.data_dir = dir_;
    config_.signing.enabled = false;
    node_ = std::make_unique<Node>(config_);
    node_->start();
    ASSERT_TRUE(node_->wait_store());
    admin_ = std::make_unique<HttpClient>("127.0.0.1", node_->admin_endpoint()->port);
  }
  void TearDown() override {
    admin_.reset();
    node_.reset();
    fs::remove_all(dir_);
  }
  lgsp::test::ClientResponse post(const std::string& path, const json& body) {
    return admin_->request("POST", "/admin/v1" + path, body.dump(), {{"Content-Type", "application/json"}});
  }
  json get(const std::string& path) {
    auto r = admin_->request("GET", "/admin/v1" + path);
    EXPECT_EQ(r.status, 200u) << r.body;
    return json::parse(r.body);
  }
  void register_ward() {
    ASSERT_EQ(post("/members", {{"code", "000.00.13.H29"}, {"name", "UBND phường Phúc Xá"}}).status, 201u);
    ASSERT_EQ(post("/subsystems", {{"id", "000.00.13.H29/MOTCUA"}}).status, 201u);
    ASSERT_EQ(post("/services", {{"id", "000.00.13.H29/MOTCUA/hoso/v1"},
                                 {"contract", "onestop.dossier-submission@v1"},
                                 {"endpoint", "http://127.0.0.1:9/receive"},
                                 {"max_attempts", 3}})
                  .status,
              201u);
  }

  fs::path dir_;
  Config config_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<HttpClient> admin_;
};

TEST_F(AdminApiTest, builds_the_registry_that_the_node_and_the_cli_read) {
  register_ward();
  auto grant = post("/acl", {{"client", "000.00.13.H29/MOTCUA"}, {"service", "000.00.13.H29/MOTCUA/hoso/v1"}});
  ASSERT_EQ(grant.status, 201u) << grant.body;
  auto key = post("/apikeys", {{"subsystem", "000.00.13.H29/MOTCUA"}});
  ASSERT_EQ(key.status, 201u) << key.body;
  const std::string api_key = json::parse(key.body)["key"];

  EXPECT_EQ(get("/members")[0]["name"], "UBND phường Phúc Xá");
  auto services = get("/services");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0]["max_attempts"], 3);
  EXPECT_EQ(services[0]["response_contract"], nullptr);
  EXPECT_EQ(get("/acl").size(), 1u);
  auto keys = get("/apikeys");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(api_key.find(keys[0]["id"].get<std::string>()), 5u);  // the id is part of the key, not the secret

  Registry registry(*node_->store(), nullptr);
  EXPECT_TRUE(registry.allowed("000.00.13.H29/MOTCUA", "000.00.13.H29/MOTCUA/hoso/v1"));
  EXPECT_EQ(registry.authenticate(api_key), "000.00.13.H29/MOTCUA");

  ASSERT_EQ(
      post("/acl/revoke", {{"client", "000.00.13.H29/MOTCUA"}, {"service", "000.00.13.H29/MOTCUA/hoso/v1"}}).status,
      200u);
  EXPECT_FALSE(registry.allowed("000.00.13.H29/MOTCUA", "000.00.13.H29/MOTCUA/hoso/v1"));
  ASSERT_EQ(admin_->request("DELETE", "/admin/v1/apikeys/" + keys[0]["id"].get<std::string>()).status, 200u);
  EXPECT_FALSE(registry.authenticate(api_key).has_value());
}

TEST_F(AdminApiTest, refuses_bad_changes_with_specific_codes) {
  register_ward();
  auto duplicate = post("/members", {{"code", "000.00.13.H29"}, {"name", "again"}});
  EXPECT_EQ(duplicate.status, 409u);
  EXPECT_EQ(json::parse(duplicate.body)["code"], "LGSP-409-REGISTRY");

  auto bad_code = post("/members", {{"code", "ward-1"}, {"name", "x"}});
  EXPECT_EQ(bad_code.status, 400u);
  EXPECT_EQ(json::parse(bad_code.body)["code"], "LGSP-400-REGISTRY");

  auto unknown_client = post("/acl", {{"client", "000.00.13.H29/NOPE"}, {"service", "000.00.13.H29/MOTCUA/hoso/v1"}});
  EXPECT_EQ(unknown_client.status, 404u) << unknown_client.body;

  auto unknown_contract = post(
      "/services", {{"id", "000.00.13.H29/MOTCUA/x/v1"}, {"contract", "nope@v1"}, {"endpoint", "http://127.0.0.1:9/"}});
  EXPECT_GE(unknown_contract.status, 400u);
  EXPECT_LT(unknown_contract.status, 500u);

  auto missing_field = post("/subsystems", json::object());
  EXPECT_EQ(missing_field.status, 400u);
  EXPECT_NE(json::parse(missing_field.body)["detail"].get<std::string>().find("'id'"), std::string::npos);

  auto not_json = admin_->request("POST", "/admin/v1/members", "{", {{"Content-Type", "application/json"}});
  EXPECT_EQ(not_json.status, 400u);
  EXPECT_EQ(admin_->request("DELETE", "/admin/v1/apikeys/000000000000").status, 404u);
  // Nothing half-written: still one member.
  EXPECT_EQ(get("/members").size(), 1u);
}

TEST_F(AdminApiTest, shows_the_dead_letter_queue_and_checks_the_log) {
  EXPECT_EQ(get("/dlq"), json::array());
  auto unknown = post("/dlq/replay", {{"message_id", "m-404"}});
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_NE(json::parse(unknown.body)["detail"].get<std::string>().find("not in the dead-letter queue"),
            std::string::npos);
  EXPECT_EQ(post("/dlq/replay", json::object()).status, 400u);
  EXPECT_EQ(post("/dlq/replay", {{"message_id", ""}}).status, 400u) << "only all: true replays everything";
  EXPECT_EQ(json::parse(post("/dlq/replay", {{"all", true}}).body)["replayed"], 0);
  auto log = get("/log/verify");
  EXPECT_EQ(log["intact"], true);
  EXPECT_EQ(log["records"], 0);
}

TEST_F(AdminApiTest, is_not_served_on_the_member_listener) {
  HttpClient member("127.0.0.1", node_->endpoint().port);
  EXPECT_EQ(member.request("GET", "/admin/v1/members").status, 404u);
}

TEST(AdminConfig, the_admin_listener_must_be_on_loopback) {
  EXPECT_THROW(Config::load(std::nullopt, {{"LGSP_ADMIN_LISTEN", "0.0.0.0:9000"}}), ConfigError);
  EXPECT_EQ(Config::load(std::nullopt, {{"LGSP_ADMIN_LISTEN", "127.0.0.1:9000"}}).admin.listen->port, 9000);
}

}  // namespace
