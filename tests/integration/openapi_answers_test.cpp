// What a node that seals (hsm-sim's lgsp-node token) answers on its public routes, checked against the schemas of
// docs/openapi.json with a JSON Schema validator (valijson): the receipt (202 and the repeat's 200), a message's
// state, a proxied answer's headers and seal, readiness and health. The document must describe what the node does.
#include "http_client.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"
#include "lgsp/bus/registry.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using lgsp::test::HttpClient;
using nlohmann::json;

namespace {

const fs::path kSource = LGSP_SOURCE_DIR;
const std::string kMember = "000.00.13.H29";
const std::string kClient = kMember + "/MOTCUA";
const std::string kProvider = kMember + "/HOTICH";
const std::string kInbox = kProvider + "/hoso/v1";
const std::string kLookup = kProvider + "/trichluc/v1";

const json& document() {
  static const json doc = json::parse(lgsp::test::read_file(kSource / "docs/openapi.json"));
  return doc;
}

// "" when `value` satisfies the document's schema `schema` (a JSON Schema object that may $ref the components),
// else what does not hold.
std::string violations(const json& schema, const json& value) {
  // The schema at the root beside the document's components, so that "#/components/schemas/..." resolves.
  json root = schema;
  root["components"] = document()["components"];
  valijson::Schema compiled;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(root);
  parser.populateSchema(schema_adapter, compiled);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  if (validator.validate(compiled, target, &results)) return "";
  std::string out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    std::string where;
    for (const auto& c : e.context) where += c;
    out += where + ": " + e.description + "\n";
  }
  return out;
}

std::string named(const std::string& component) { return "#/components/schemas/" + component; }

// The documented response of `method path` for `status` (following a $ref).
const json& response(const std::string& path, const std::string& method, const std::string& status) {
  const auto& doc = document();
  const json* r = &doc["paths"][path][method]["responses"][status];
  if (r->contains("$ref")) r = &doc.at(json::json_pointer((*r)["$ref"].get<std::string>().substr(1)));
  return *r;
}

class OpenApiAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    lgsp::test::export_hsm_sim_env(hsm);
    dir_ = fs::temp_directory_path() / ("lgsp-openapi-answers-" + std::to_string(::getpid()));
    fs::remove_all(dir_);

    // The provider: an inbox that takes deliveries and a lookup that answers by its response contract.
    Config pc;
    pc.server.listen = HostPort{"127.0.0.1", 0};
    pc.server.threads = 1;
    pc.store.data_dir = dir_ / "provider";
    pc.signing.enabled = false;
    provider_ = std::make_unique<Node>(pc);
    provider_->router().add("POST", "/inbox", [](HttpRequest&, Reply reply) { reply(HttpResponse::json(200, {})); });
    provider_->router().add("GET", "/lookup/*", [](HttpRequest&, Reply reply) {
      reply(HttpResponse::text(
          200, lgsp::test::read_file(kSource / "contracts/hotich.trichluc-result/v1/examples/valid-1-birth-found.json"),
          "application/json"));
    });
    provider_->start();

    Config nc = Config::load(std::nullopt, Config::process_environment());
    nc.server.listen = HostPort{"127.0.0.1", 0};
    nc.server.threads = 2;
    nc.store.data_dir = dir_ / "node";
    nc.signing.ca_chain = fs::path(hsm) / "pki/issuing-ca.pem";
    node_ = std::make_unique<Node>(nc);
    services_ = std::make_unique<NodeServices>(*node_);
    node_->start();
    services_->start();
    ASSERT_TRUE(node_->wait_store());
    Registry reg(*node_->store(), &node_->catalogue());
    reg.add_member(kMember, "UBND phường Bến Thành");
    reg.add_subsystem(kClient);
    reg.add_subsystem(kProvider);
    const std::string base = "http://127.0.0.1:" + std::to_string(provider_->endpoint().port);
    Service inbox;
    inbox.id = kInbox;
    inbox.request_contract = "onestop.dossier-submission@v1";
    inbox.endpoint = base + "/inbox";
    reg.add_service(inbox);
    Service lookup;
    lookup.id = kLookup;
    lookup.request_contract = "hotich.trichluc-request@v1";
    lookup.response_contract = "hotich.trichluc-result@v1";
    lookup.endpoint = base + "/lookup";
    reg.add_service(lookup);
    reg.grant(kClient, kInbox);
    reg.grant(kClient, kLookup);
    key_ = reg.create_api_key(kClient);
  }
  void TearDown() override {
    if (services_) services_->stop();
    if (node_) node_->stop();
    if (provider_) provider_->stop();
    services_.reset();
    node_.reset();
    provider_.reset();
    fs::remove_all(dir_);
  }
  lgsp::test::ClientResponse send(const std::string& method, const std::string& target,
                                  std::map<std::string, std::string> headers = {}, const std::string& body = "") {
    return HttpClient("127.0.0.1", node_->endpoint().port).request(method, target, body, headers);
  }
  std::map<std::string, std::string> auth() const {
    return {{"Authorization", "Bearer " + key_}, {"LGSP-Client", kClient}};
  }

  fs::path dir_;
  std::unique_ptr<Node> provider_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<NodeServices> services_;
  std::string key_;
};

TEST_F(OpenApiAnswers, receipts_and_message_states_have_the_documented_shape) {
  const std::string payload = lgsp::test::read_file(
      kSource / "contracts/onestop.dossier-submission/v1/examples/valid-2-whole-dossier-minimal.json");
  auto headers = auth();
  headers.insert({{"LGSP-Service", kInbox},
                  {"LGSP-Message-Id", "2026-000123"},
                  {"Content-Type", "application/json"},
                  {"LGSP-Conversation-Id", "HS-1"}});
  for (const std::string status : {"202", "200"}) {  // accepted, then the same message again: its receipt
    SCOPED_TRACE(status);
    auto r = send("POST", "/v1/messages", headers, payload);
    ASSERT_EQ(std::to_string(r.status), status) << r.body;
    const auto& documented = response("/v1/messages", "post", status);
    ASSERT_TRUE(documented["content"].contains(r.headers["content-type"])) << r.headers["content-type"];
    EXPECT_EQ(violations(documented["content"][r.headers["content-type"]]["schema"], json::parse(r.body)), "");
  }

  // Its state, once delivered (with an attempt), by the documented schema.
  json state;
  for (int i = 0; i < 250; ++i) {
    auto r = send("GET", "/v1/messages/2026-000123", auth());
    ASSERT_EQ(r.status, 200u) << r.body;
    state = json::parse(r.body);
    if (state["state"] == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(state["state"], "delivered") << state.dump();
  ASSERT_FALSE(state["attempts"].empty());
  EXPECT_EQ(violations(response("/v1/messages/{id}", "get", "200")["content"]["application/json"]["schema"], state),
            "");
  // The validator is not asleep: a receipt without its seal, or a state outside the list, is refused.
  json broken = state;
  broken["receipt"].erase("signature");
  broken["state"] = "lost";
  EXPECT_NE(violations({{"$ref", named("MessageStatus")}}, broken), "");
}

TEST_F(OpenApiAnswers, a_proxied_answer_carries_the_documented_seal_headers) {
  const std::string path = "/v1/call/{member}/{subsystem}/{code}/{version}/{path}";
  auto r = send("GET", "/v1/call/" + kLookup + "/records/12345?x=1", auth());
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto& documented = response(path, "get", "default");
  ASSERT_TRUE(documented.contains("headers"));
  for (const auto& [name, header] : documented["headers"].items()) {
    SCOPED_TRACE(name);
    const std::string lower = [&] {
      std::string s = name;
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }();
    ASSERT_TRUE(r.headers.count(lower)) << "the documented header is not in the answer";
    const json* h = &header;
    if (h->contains("$ref")) h = &document().at(json::json_pointer((*h)["$ref"].get<std::string>().substr(1)));
    const auto& schema = (*h)["schema"];
    EXPECT_EQ(violations(schema, r.headers[lower]), "") << r.headers[lower];
    // A JSON header (the seal) also satisfies the schema of what it holds.
    if (schema.contains("contentSchema")) {
      EXPECT_EQ(violations(schema["contentSchema"], json::parse(r.headers[lower])), "");
    }
  }
}

TEST_F(OpenApiAnswers, readiness_and_health_have_the_documented_shape) {
  auto ready = send("GET", "/readyz");
  ASSERT_EQ(ready.status, 200u) << ready.body;
  EXPECT_EQ(
      violations(response("/readyz", "get", "200")["content"]["application/json"]["schema"], json::parse(ready.body)),
      "");
  auto alive = send("GET", "/healthz");
  ASSERT_EQ(alive.status, 200u);
  EXPECT_EQ(
      violations(response("/healthz", "get", "200")["content"]["application/json"]["schema"], json::parse(alive.body)),
      "");
  auto metrics = send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_TRUE(response("/metrics", "get", "200")["content"].contains(metrics.headers["content-type"]))
      << metrics.headers["content-type"];
}

}  // namespace
