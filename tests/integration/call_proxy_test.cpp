// The sync proxy end to end: a node sealing with the SoftHSM2 lgsp-node token (hsm-sim) in front of a
// provider (another node's listener), the registry, contracts, 4xx refusals, 502/504, and the seal.
#include "lgsp/bus/call_proxy.hpp"
#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kMember = "000.00.00.H29";
const std::string kClient = kMember + "/MOTCUA";
const std::string kProvider = kMember + "/HOTICH";
const std::string kService = kProvider + "/trichluc/v1";

std::string example(const std::string& contract, const std::string& file) {
  return lgsp::test::read_file(kContracts / contract / "v1/examples" / file);
}

class CallProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    lgsp::test::export_hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-proxy-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);

    // The provider: a plain listener with the behaviours the tests need.
    Config pc;
    pc.server.listen = HostPort{"127.0.0.1", 0};
    pc.server.threads = 1;
    pc.store.data_dir = dir_ / "provider";
    pc.signing.enabled = false;
    provider_ = std::make_unique<Node>(pc);
    provider_->router().add("POST", "/api/trichluc", [this](HttpRequest& r, Reply reply) {
      seen_authorization_ = r.header("authorization").has_value();
      seen_client_ = r.header("lgsp-client").value_or("");
      seen_request_hash_ = r.header("lgsp-request-hash").value_or("");
      reply(HttpResponse::json(200, json::parse(example("hotich.trichluc-result", "valid-1-birth-found.json"))));
    });
    provider_->router().add("POST", "/api/slow", [](HttpRequest&, Reply reply) {
      std::thread([reply] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        reply(HttpResponse::json(200, json::object()));
      }).detach();
    });
    provider_->router().add("POST", "/api/broken", [](HttpRequest&, Reply reply) {
      reply(HttpResponse::json(500, {{"error", "database down"}}));
    });
    // An adapter in front of a legacy system says what failed behind it (adapters/soap: a SOAP fault).
    provider_->router().add("POST", "/api/adapterfault", [](HttpRequest&, Reply reply) {
      HttpResponse r =
          HttpResponse::json(502, {{"code", "LGSP-502-SOAP-FAULT"},
                                   {"status", 502},
                                   {"faultcode", "soap:Server"},
                                   {"detail", "legacy"},
                                   // Members the node must not pass on: its own, structured values, odd names.
                                   {"source", "node"},
                                   {"service", "000.00.00.H29/OTHER/x/v1"},
                                   {"nested", {{"a", 1}}},
                                   {"errors", {"x"}},
                                   {"Bad-Name", "x"},
                                   {"title", 7}});
      r.content_type = "application/problem+json";
      reply(r);
    });
    provider_->router().add("POST", "/api/oddproblem", [](HttpRequest&, Reply reply) {
      HttpResponse r = HttpResponse::json(500, {{"code", "whatever <b>"}});
      r.content_type = "application/problem+json";
      reply(r);
    });
    provider_->router().add("POST", "/api/wrong", [](HttpRequest&, Reply reply) {
      reply(HttpResponse::json(200, json::parse(example("hotich.trichluc-result", "invalid-unknown-status.json"))));
    });
    // Whatever else reaches the provider is recorded with the target it arrived at.
    for (const char* method : {"GET", "POST"})
      provider_->router().add(method, "/*", [this](HttpRequest& r, Reply reply) {
        {
          std::lock_guard lock(seen_mutex_);
          seen_targets_.push_back(r.target);
        }
        reply(HttpResponse::json(200, json::parse(example("hotich.trichluc-result", "valid-1-birth-found.json"))));
      });
    provider_->start();

    Config nc = Config::load(std::nullopt, Config::process_environment());
    nc.server.listen = HostPort{"127.0.0.1", 0};
    nc.server.threads = 2;
    nc.store.data_dir = dir_ / "node";
    nc.signing.ca_chain = hsm_ / "pki/issuing-ca.pem";
    node_ = std::make_unique<Node>(nc);
    outbound_ = std::make_unique<OutboundClient>();
    CallProxy::Dependencies deps;
    deps.store = [this] { return node_->store(); };
    deps.catalogue = [this] { return &node_->catalogue(); };
    deps.sealer = [this] { return node_->sealer(); };
    deps.on_sealed = [this](const CallSeal&, const Seal&) { ++sealed_; };
    proxy_ = std::make_unique<CallProxy>(std::move(deps), *outbound_);
    proxy_->add_routes(node_->router());
    node_->start();
    ASSERT_TRUE(node_->wait_store());
    Registry reg(*node_->store(), &node_->catalogue());
    reg.add_member(kMember, "Sở Tư pháp Thành phố Hồ Chí Minh");
    reg.add_subsystem(kClient);
    reg.add_subsystem(kProvider);
    reg.add_subsystem(kMember + "/OTHER");
    const std::string base = "http://127.0.0.1:" + std::to_string(provider_->endpoint().port) + "/api";
    for (const auto& [code, timeout] : std::vector<std::pair<std::string, int>>{{"trichluc", 3000},
                                                                                {"slow", 300},
                                                                                {"broken", 3000},
                                                                                {"wrong", 3000},
                                                                                {"adapterfault", 3000},
                                                                                {"oddproblem", 3000}}) {
      Service s;
      s.id = kProvider + "/" + code + "/v1";
      s.request_contract = "hotich.trichluc-request@v1";
      s.response_contract = "hotich.trichluc-result@v1";
      s.endpoint = base;
      s.timeout_ms = timeout;
      reg.add_service(s);
      reg.grant(kClient, s.id);
    }
    // A provider with a public service and an internal one on the same host, under sibling paths.
    for (const auto& [code, path] :
         std::vector<std::pair<std::string, std::string>>{{"pub", "/pub/v1"}, {"internal", "/internal"}}) {
      Service s;
      s.id = kProvider + "/" + code + "/v1";
      s.request_contract = "hotich.trichluc-request@v1";
      s.response_contract = "hotich.trichluc-result@v1";
      s.endpoint = base + path;
      s.timeout_ms = 3000;
      reg.add_service(s);
    }
    reg.grant(kClient, kProvider + "/pub/v1");
    Service down = *reg.find_service(kService);
    down.id = kProvider + "/down/v1";
    down.endpoint = "http://127.0.0.1:1/api";
    reg.add_service(down);
    reg.grant(kClient, down.id);
    key_ = reg.create_api_key(kClient);
    other_key_ = reg.create_api_key(kMember + "/OTHER");
    // Wait until the token is open.
    for (int i = 0; i < 200; ++i) {
      std::string why;
      if (node_->sealer()->ready(why)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  void TearDown() override {
    node_.reset();
    proxy_.reset();
    outbound_.reset();
    provider_.reset();
    fs::remove_all(dir_);
  }
  lgsp::test::ClientResponse call(const std::string& service_and_path, const std::string& body,
                                  std::map<std::string, std::string> headers = {}) {
    lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
    headers.emplace("Content-Type", "application/json");
    headers.emplace("Authorization", "Bearer " + key_);
    headers.emplace("LGSP-Client", kClient);
    return c.request("POST", "/v1/call/" + service_and_path, body, headers);
  }
  std::string request_body() { return example("hotich.trichluc-request", "valid-1-birth-by-registration.json"); }
  std::string code_of(const lgsp::test::ClientResponse& r) { return json::parse(r.body).value("code", ""); }

  fs::path hsm_, dir_;
  std::unique_ptr<Node> provider_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<OutboundClient> outbound_;
  std::unique_ptr<CallProxy> proxy_;
  std::string key_, other_key_;
  std::atomic<int> sealed_{0};
  std::atomic<bool> seen_authorization_{false};
  std::string seen_client_, seen_request_hash_;
  std::mutex seen_mutex_;
  std::vector<std::string> seen_targets_;

  std::vector<std::string> seen_targets() {
    std::lock_guard lock(seen_mutex_);
    return seen_targets_;
  }
  // A GET to /v1/call/<target> written byte for byte (the bytes an attacker would send), on a new connection.
  lgsp::test::ClientResponse raw_call(const std::string& target) {
    lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
    return c.raw("GET /v1/call/" + target + " HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer " + key_ +
                 "\r\nLGSP-Client: " + kClient + "\r\nConnection: close\r\n\r\n");
  }
};

TEST_F(CallProxyTest, forwards_and_seals_request_and_answer_together) {
  const std::string body = request_body();
  auto r = call(kService + "/trichluc", body, {{"LGSP-Message-Id", "call-0001"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"],
            json::parse(example("hotich.trichluc-result", "valid-1-birth-found.json"))["status"]);
  EXPECT_EQ(seen_client_, kClient);
  EXPECT_FALSE(seen_authorization_.load()) << "the caller's API key must not reach the provider";
  EXPECT_EQ(seen_request_hash_, sha256_hex(body));
  EXPECT_EQ(r.headers["lgsp-request-hash"], sha256_hex(body));
  EXPECT_EQ(r.headers["lgsp-response-hash"], sha256_hex(r.body));
  EXPECT_EQ(sealed_.load(), 1);

  // The answer proves which request it answers: rebuild the call record from the headers and check it.
  json record = {{"call_id", r.headers["lgsp-message-id"]},
                 {"client", r.headers["lgsp-client"]},
                 {"service", r.headers["lgsp-service"]},
                 {"at", r.headers["lgsp-sealed-at"]},
                 {"request_sha256", sha256_hex(body)},
                 {"response_sha256", sha256_hex(r.body)},
                 {"status", 200},
                 {"signature", json::parse(r.headers["lgsp-signature"])}};
  EXPECT_EQ(record["call_id"], "call-0001");
  std::ofstream(dir_ / "call.json") << record.dump();
  std::ofstream(dir_ / "request.json") << body;
  auto ok = lgsp::test::run({kLgsp, "verify-receipt", "--receipt", (dir_ / "call.json").string(), "--payload",
                             (dir_ / "request.json").string(), "--trust", (hsm_ / "pki/root-ca.pem").string(),
                             "--node-cert", (hsm_ / "pki/lgsp-node.pem").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("valid: sealed by"), std::string::npos) << ok.out;

  record["request_sha256"] = sha256_hex("another request");
  std::ofstream(dir_ / "forged.json") << record.dump();
  auto forged =
      lgsp::test::run({kLgsp, "verify-receipt", "--receipt", (dir_ / "forged.json").string(), "--trust",
                       (hsm_ / "pki/root-ca.pem").string(), "--node-cert", (hsm_ / "pki/lgsp-node.pem").string()});
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_NE(forged.err.find("was changed"), std::string::npos) << forged.err;
}

TEST_F(CallProxyTest, refuses_unauthenticated_unauthorized_and_invalid_requests) {
  const std::string body = request_body();
  lgsp::test::HttpClient c("127.0.0.1", node_->endpoint().port);
  auto anonymous = c.request("POST", "/v1/call/" + kService, body, {{"LGSP-Client", kClient}});
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_EQ(code_of(anonymous), "LGSP-401-AUTH");

  auto mismatch = call(kService, body, {{"LGSP-Client", kMember + "/OTHER"}});
  EXPECT_EQ(mismatch.status, 403u);
  EXPECT_EQ(code_of(mismatch), "LGSP-403-CLIENT");

  auto ungranted = c.request("POST", "/v1/call/" + kService, body,
                             {{"Authorization", "Bearer " + other_key_}, {"LGSP-Client", kMember + "/OTHER"}});
  EXPECT_EQ(ungranted.status, 403u);
  EXPECT_EQ(code_of(ungranted), "LGSP-403-ACL");

  auto unknown = call(kProvider + "/nothing/v1", body);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(code_of(unknown), "LGSP-404-SERVICE");

  auto invalid = call(kService, example("hotich.trichluc-request", "invalid-unknown-event-type.json"));
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_EQ(code_of(invalid), "LGSP-400-CONTRACT");
  EXPECT_FALSE(json::parse(invalid.body)["errors"].empty());

  // Ids go into headers, the provider's request and the log: the exchange's rule applies.
  auto spaced_id = call(kService, body, {{"LGSP-Message-Id", "call 1\"}"}});
  EXPECT_EQ(spaced_id.status, 400u);
  EXPECT_EQ(code_of(spaced_id), "LGSP-400-HEADER");
  auto long_conversation = call(kService, body, {{"LGSP-Conversation-Id", std::string(129, 'c')}});
  EXPECT_EQ(long_conversation.status, 400u);
  EXPECT_EQ(code_of(long_conversation), "LGSP-400-HEADER");
  EXPECT_NE(json::parse(long_conversation.body).value("detail", "").find("LGSP-Conversation-Id"), std::string::npos);
  EXPECT_EQ(sealed_.load(), 0) << "nothing refused is sealed";
  EXPECT_EQ(call(kService + "/trichluc", body, {{"LGSP-Conversation-Id", ""}}).status, 200u) << "an empty one is none";
}

TEST_F(CallProxyTest, provider_failures_are_502_and_timeouts_504) {
  const std::string body = request_body();
  auto slow = call(kProvider + "/slow/v1/slow", body);
  EXPECT_EQ(slow.status, 504u) << slow.body;
  EXPECT_EQ(code_of(slow), "LGSP-504-PROVIDER");

  auto down = call(kProvider + "/down/v1/trichluc", body);
  EXPECT_EQ(down.status, 502u) << down.body;
  EXPECT_EQ(code_of(down), "LGSP-502-PROVIDER");

  auto broken = call(kProvider + "/broken/v1/broken", body);
  EXPECT_EQ(broken.status, 502u);
  EXPECT_NE(json::parse(broken.body)["detail"].get<std::string>().find("500"), std::string::npos);

  // A provider's own LGSP 5xx problem is passed on, marked as the provider's; anything else is not.
  auto adapter = call(kProvider + "/adapterfault/v1/adapterfault", body);
  EXPECT_EQ(adapter.status, 502u) << adapter.body;
  EXPECT_EQ(code_of(adapter), "LGSP-502-SOAP-FAULT");
  EXPECT_EQ(json::parse(adapter.body)["source"], "provider");
  const auto passed = json::parse(adapter.body);
  EXPECT_EQ(passed["faultcode"], "soap:Server");
  EXPECT_EQ(passed["detail"], "legacy");
  EXPECT_EQ(passed["service"], kProvider + "/adapterfault/v1") << "the node names the service, not the provider";
  for (const char* dropped : {"nested", "errors", "Bad-Name", "title"})
    EXPECT_FALSE(passed.contains(dropped)) << dropped << " must not be passed on: " << adapter.body;
  auto odd = call(kProvider + "/oddproblem/v1/oddproblem", body);
  EXPECT_EQ(odd.status, 502u) << odd.body;
  EXPECT_EQ(code_of(odd), "LGSP-502-PROVIDER");

  auto wrong = call(kProvider + "/wrong/v1/wrong", body);
  EXPECT_EQ(wrong.status, 502u);
  EXPECT_EQ(code_of(wrong), "LGSP-502-RESPONSE-CONTRACT");
  EXPECT_EQ(wrong.headers["content-type"], "application/problem+json");
}

TEST_F(CallProxyTest, the_forwarded_path_never_leaves_the_service_endpoint) {
  const std::string pub = kProvider + "/pub/v1";
  const std::vector<std::string> escapes = {
      "/../internal/records",
      "/a/../../internal/records",
      "/%2e%2e/internal/records",
      "/%2E%2E/internal/records",
      "/.%2e/internal/records",
      "/%2e./internal/records",
      "/./../internal/records",
      "/%252e%252e/internal/records",
      "/..%2finternal%2frecords",
      "/..%2Finternal/records",
      "/..%5cinternal%5crecords",
      "/..\\internal\\records",
      "/..;/internal/records",
      "/..%3b/internal/records",
      "/records#/../../internal",
      "//internal/records",
      "/a//../internal",
      "/..%00/internal",
      "/%c0%ae%c0%ae/internal/records",
      "/%ef%bc%8e%ef%bc%8e/internal/records",
      "/...",
      "/..%20/internal",
      "/records%0d%0aX-Injected:%201",
  };
  for (const auto& e : escapes) {
    auto r = raw_call(pub + e);
    EXPECT_EQ(r.status, 400u) << e << ": " << r.body;
    EXPECT_EQ(code_of(r), "LGSP-400-PATH") << e << ": " << r.body;
  }
  // Bytes the HTTP parser refuses before any route sees them are refused too.
  for (const std::string& e : {std::string("/..\x01/internal"), std::string("/..\x7f/internal")}) {
    auto r = raw_call(pub + e);
    EXPECT_EQ(r.status, 400u) << r.body;
  }
  EXPECT_TRUE(seen_targets().empty()) << "the provider was reached at " << seen_targets().front();
  EXPECT_EQ(sealed_.load(), 0);

  // A clean path is forwarded re-encoded under the endpoint's path, with the query; a '%23' stays a character.
  auto ok = raw_call(pub + "/records/Nguy%e1%bb%85n%23x/a..b/?page=2&q=%2e%2e");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  auto ok_root = raw_call(pub);
  ASSERT_EQ(ok_root.status, 200u) << ok_root.body;
  EXPECT_EQ(seen_targets(),
            (std::vector<std::string>{"/api/pub/v1/records/Nguy%E1%BB%85n%23x/a..b/?page=2&q=%2e%2e", "/api/pub/v1"}));
  EXPECT_EQ(json::parse(ok.body)["status"],
            json::parse(example("hotich.trichluc-result", "valid-1-birth-found.json"))["status"]);

  // A fragment in the query is refused too (it would reach the provider as part of its target).
  auto fragment = raw_call(pub + "/records?page=1#../../internal");
  EXPECT_EQ(fragment.status, 400u);
  EXPECT_EQ(code_of(fragment), "LGSP-400-PATH");
  EXPECT_EQ(seen_targets().size(), 2u);
}

}  // namespace
