// The admin API on its own loopback listener: the registry over HTTP, with the CLI's rules.
#include "http_client.hpp"
#include "lgsp/bus/admin_credentials.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/message_log.hpp"
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
    token_ = AdminCredentials(*node_->store()).create_token("operator", AdminRole::registry_admin);
  }
  void TearDown() override {
    admin_.reset();
    node_.reset();
    fs::remove_all(dir_);
  }
  // An admin API request with `token` (the fixture's registry-admin token unless another is given).
  lgsp::test::ClientResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                                  std::optional<std::string> token = std::nullopt) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    const std::string t = token.value_or(token_);
    if (!t.empty()) headers["Authorization"] = "Bearer " + t;
    return admin_->request(method, "/admin/v1" + path, body, headers);
  }
  lgsp::test::ClientResponse post(const std::string& path, const json& body) { return call("POST", path, body.dump()); }
  json get(const std::string& path) {
    auto r = call("GET", path);
    EXPECT_EQ(r.status, 200u) << r.body;
    return json::parse(r.body);
  }
  void register_ward() {
    ASSERT_EQ(post("/members", {{"code", "000.00.13.H29"}, {"name", "UBND phường Bến Thành"}}).status, 201u);
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
  std::string token_;
};

TEST_F(AdminApiTest, builds_the_registry_that_the_node_and_the_cli_read) {
  register_ward();
  auto grant = post("/acl", {{"client", "000.00.13.H29/MOTCUA"}, {"service", "000.00.13.H29/MOTCUA/hoso/v1"}});
  ASSERT_EQ(grant.status, 201u) << grant.body;
  auto key = post("/apikeys", {{"subsystem", "000.00.13.H29/MOTCUA"}});
  ASSERT_EQ(key.status, 201u) << key.body;
  const std::string api_key = json::parse(key.body)["key"];

  EXPECT_EQ(get("/members")[0]["name"], "UBND phường Bến Thành");
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
  ASSERT_EQ(call("DELETE", "/apikeys/" + keys[0]["id"].get<std::string>()).status, 200u);
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

  auto not_json = call("POST", "/members", "{");
  EXPECT_EQ(not_json.status, 400u);
  EXPECT_EQ(call("DELETE", "/apikeys/000000000000").status, 404u);
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

TEST_F(AdminApiTest, updates_and_removes_a_service_and_its_grants) {
  register_ward();
  const std::string id = "000.00.13.H29/MOTCUA/hoso/v1";
  ASSERT_EQ(post("/acl", {{"client", "000.00.13.H29/MOTCUA"}, {"service", id}}).status, 201u);

  // PATCH changes the fields given; the rest stay.
  auto patched =
      call("PATCH", "/services/" + id, json{{"endpoint", "http://127.0.0.1:9/v2"}, {"timeout_ms", 5000}}.dump());
  ASSERT_EQ(patched.status, 200u) << patched.body;
  auto svc = get("/services/" + id);
  EXPECT_EQ(svc["endpoint"], "http://127.0.0.1:9/v2");
  EXPECT_EQ(svc["timeout_ms"], 5000);
  EXPECT_EQ(svc["max_attempts"], 3) << "not given: unchanged";
  // PUT replaces the whole service: what is not given takes its default.
  auto put = call("PUT", "/services/" + id,
                  json{{"contract", "onestop.dossier-submission@v1"}, {"endpoint", "https://127.0.0.1:9/x"}}.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  svc = get("/services/" + id);
  EXPECT_EQ(svc["endpoint"], "https://127.0.0.1:9/x");
  EXPECT_EQ(svc["max_attempts"], 8);
  // Refused: a bad endpoint, another id in the body, an unknown service.
  EXPECT_EQ(call("PATCH", "/services/" + id, json{{"endpoint", "ftp://x"}}.dump()).status, 400u);
  EXPECT_EQ(call("PATCH", "/services/" + id, json{{"id", "000.00.13.H29/MOTCUA/other/v1"}}.dump()).status, 400u);
  EXPECT_EQ(call("PATCH", "/services/000.00.13.H29/MOTCUA/nope/v1", "{}").status, 404u);
  EXPECT_EQ(call("DELETE", "/services/000.00.13.H29/MOTCUA/nope/v1").status, 404u);

  // A service with a message still to deliver stays.
  node_->store()
      ->write([&](Transaction& tx) {
        const Value p[] = {id};
        tx.exec(
            "INSERT INTO message(id, client, service, content_type, payload_sha256, accepted_at, state, "
            "next_attempt_ms) VALUES ('m-1', '000.00.13.H29/MOTCUA', ?, 'application/json', '', '', 'accepted', 0)",
            p);
      })
      .get();
  auto pending = call("DELETE", "/services/" + id);
  EXPECT_EQ(pending.status, 409u) << pending.body;
  node_->store()->write([](Transaction& tx) { tx.exec("UPDATE message SET state = 'delivered'"); }).get();

  auto removed = call("DELETE", "/services/" + id);
  ASSERT_EQ(removed.status, 200u) << removed.body;
  EXPECT_EQ(json::parse(removed.body)["grants_revoked"], 1);
  EXPECT_EQ(get("/services"), json::array());
  EXPECT_EQ(get("/acl"), json::array());
}

TEST_F(AdminApiTest, every_route_needs_credentials_and_changes_need_the_registry_admin_role) {
  const std::string auditor = AdminCredentials(*node_->store()).create_token("alice", AdminRole::auditor);
  for (const auto& [method, pattern] : node_->admin_router().routes()) {
    std::string path = pattern.substr(std::string("/admin/v1").size());
    for (const auto& [from, to] : std::map<std::string, std::string>{
             {"{id}", "000000000000"}, {"{name}", "nope"}, {"{fingerprint}", "00"}, {"*", "000.00.13.H29/X/y/v1"}})
      if (auto at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
    SCOPED_TRACE(method + " " + pattern);
    auto none = call(method, path, "{}", "");
    EXPECT_EQ(none.status, 401u) << none.body;
    EXPECT_EQ(json::parse(none.body)["code"], "LGSP-401-ADMIN");
    EXPECT_EQ(none.headers["content-type"], "application/problem+json");
    EXPECT_EQ(none.headers.count("www-authenticate"), 1u);
    EXPECT_EQ(call(method, path, "{}", "lgsp_admin_000000000000_" + std::string(48, '0')).status, 401u);
    EXPECT_EQ(call(method, path, "{}", "not a token").status, 401u);
    auto as_auditor = call(method, path, "{}", auditor);
    if (method == "GET") {
      EXPECT_LT(as_auditor.status, 500u) << as_auditor.body;
      EXPECT_NE(as_auditor.status, 401u);
      EXPECT_NE(as_auditor.status, 403u);
    } else {
      EXPECT_EQ(as_auditor.status, 403u) << as_auditor.body;
      EXPECT_EQ(json::parse(as_auditor.body)["code"], "LGSP-403-ADMIN-ROLE");
    }
  }
  EXPECT_EQ(call("GET", "/log/verify", "", auditor).status, 200u) << "an auditor checks the log";
  EXPECT_EQ(call("GET", "/members", "", auditor).status, 200u);
  EXPECT_EQ(post("/members", {{"code", "000.00.13.H29"}, {"name", "x"}}).status, 201u) << "the registry admin may";

  // A revoked token is refused from then on.
  std::string id;
  for (const auto& t : AdminCredentials(*node_->store()).tokens())
    if (t.name == "alice") id = t.id;
  AdminCredentials(*node_->store()).revoke_token(id);
  EXPECT_EQ(call("GET", "/members", "", auditor).status, 401u);
}

TEST_F(AdminApiTest, records_every_change_with_who_what_and_when_in_the_message_log) {
  const std::string body = json{{"code", "000.00.13.H29"}, {"name", "UBND phường Bến Thành"}}.dump();
  ASSERT_EQ(call("POST", "/members", body).status, 201u);
  // Refused or read-only requests change nothing and record nothing.
  const std::string auditor = AdminCredentials(*node_->store()).create_token("alice", AdminRole::auditor);
  EXPECT_EQ(call("POST", "/members", body, auditor).status, 403u);
  EXPECT_EQ(call("POST", "/members", body).status, 409u);
  EXPECT_EQ(call("POST", "/members", "", "").status, 401u);
  get("/members");

  std::string prev;
  auto records = MessageLog::read(*node_->store(), std::nullopt, std::nullopt, prev);
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_EQ(r.kind, "admin");
  EXPECT_EQ(r.subject, "operator");
  EXPECT_FALSE(r.at.empty());
  EXPECT_EQ(r.body["who"], "operator");
  EXPECT_EQ(r.body["role"], "registry-admin");
  EXPECT_EQ(r.body["via"], "token");
  EXPECT_EQ(r.body["method"], "POST");
  EXPECT_EQ(r.body["path"], "/admin/v1/members");
  EXPECT_EQ(r.body["body_sha256"], sha256_hex(body));
  EXPECT_EQ(r.body["summary"]["code"], "000.00.13.H29");
  for (const auto& t : AdminCredentials(*node_->store()).tokens()) {
    if (t.name == "operator") {
      EXPECT_EQ(r.body["credential"], t.id);
    }
  }
  EXPECT_EQ(r.body.dump().find("lgsp_admin_"), std::string::npos) << "never the token itself";
  EXPECT_EQ(get("/log/verify")["intact"], true);

  // A change that fails after its checks (unknown subsystem) leaves no record either.
  EXPECT_EQ(post("/acl", {{"client", "000.00.13.H29/NOPE"}, {"service", "000.00.13.H29/NOPE/x/v1"}}).status, 404u);
  EXPECT_EQ(MessageLog::read(*node_->store(), std::nullopt, std::nullopt, prev).size(), 1u);
}

TEST(AdminConfig, the_admin_listener_must_be_on_loopback) {
  EXPECT_THROW(Config::load(std::nullopt, {{"LGSP_ADMIN_LISTEN", "0.0.0.0:9000"}}), ConfigError);
  EXPECT_EQ(Config::load(std::nullopt, {{"LGSP_ADMIN_LISTEN", "127.0.0.1:9000"}}).admin.listen->port, 9000);
}

// A stranger (or an auditor) announcing a large change is answered on the header: the body is never waited for.
TEST_F(AdminApiTest, refuses_a_change_on_its_header_before_reading_the_body) {
  const auto port = node_->admin_endpoint()->port;
  const std::string head =
      "POST /admin/v1/members HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
      "Content-Length: 9000000\r\n";
  auto anonymous = lgsp::test::answer_to_header(port, head + "\r\n");
  EXPECT_EQ(anonymous.rfind("HTTP/1.1 401", 0), 0u) << anonymous;
  EXPECT_NE(anonymous.find("LGSP-401-ADMIN"), std::string::npos) << anonymous;
  auto forged = lgsp::test::answer_to_header(port, head + "Authorization: Bearer lgsp_admin_x_y\r\n\r\n");
  EXPECT_EQ(forged.rfind("HTTP/1.1 401", 0), 0u) << forged;
  auto auditor = AdminCredentials(*node_->store()).create_token("alice", AdminRole::auditor);
  auto read_only = lgsp::test::answer_to_header(port, head + "Authorization: Bearer " + auditor + "\r\n\r\n");
  EXPECT_EQ(read_only.rfind("HTTP/1.1 403", 0), 0u) << read_only;
  EXPECT_NE(read_only.find("LGSP-403-ADMIN-ROLE"), std::string::npos) << read_only;
  EXPECT_TRUE(get("/members").empty()) << "nothing was changed";
}

}  // namespace
