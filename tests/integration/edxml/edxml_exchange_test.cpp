// edXML document exchange through the bus (docs/edxml.md), end to end: a ward's document-management system sends a
// QCVN 102 package to the Department of Justice by organ id; the node validates it, checks its signature, delivers
// it through the sealed asynchronous exchange to the addressee's system, and carries the addressee's status replies
// back, recording them against the document. One node (SoftHSM2 lgsp-node via hsm-sim) and one receiver, started
// once for the suite.
#include "http_client.hpp"
#include "lgsp/bus/edxml_gateway.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"
#include "lgsp/bus/refusal_recorder.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/repositories/edxml_repository.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using nlohmann::json;

namespace {

const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWardOrgan = "000.12.31.H41";
const std::string kJusticeOrgan = "000.00.21.H41";
const std::string kWardSystem = kWardOrgan + "/QLVB";
const std::string kJusticeSystem = kJusticeOrgan + "/QLVB";
const std::string kDocumentId = "000.12.31.H41,2025/11/20,155/UBND-VP";

// The example package without its (illustrative, not verifiable) signature: from the ward to the department.
std::string unsigned_package() {
  std::string xml = lgsp::test::read_file(kContracts / "edxml/v1/examples/valid-1-new-document-signed.xml");
  const auto start = xml.find("<ds:Signature");
  const auto end = xml.find("</ds:Signature>");
  if (start == std::string::npos || end == std::string::npos) return xml;
  return xml.erase(start, end + std::string("</ds:Signature>").size() - start);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct Arrival {
  std::string path;
  std::string service;
  std::string message_id;
  std::string body;
};

class EdxmlExchange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    lgsp::test::export_hsm_sim_env(hsm_);
    dir_ = fs::temp_directory_path() / ("lgsp-edxml-" + std::to_string(::getpid()));
    fs::remove_all(dir_);

    Config rc;
    rc.server.listen = HostPort{"127.0.0.1", 0};
    rc.server.threads = 1;
    rc.store.data_dir = dir_ / "receiver";
    rc.signing.enabled = false;
    receiver_ = new Node(rc);
    for (const char* path : {"/justice/doc", "/ward/status"})
      receiver_->router().add("POST", path, [](HttpRequest& r, Reply reply) {
        {
          std::lock_guard lock(mutex_);
          arrivals_.push_back(
              {r.path, r.header("lgsp-service").value_or(""), r.header("lgsp-message-id").value_or(""), r.body});
        }
        reply(HttpResponse::json(200, json::object()));
      });
    receiver_->start();

    Config nc = Config::load(std::nullopt, Config::process_environment());
    nc.server.listen = HostPort{"127.0.0.1", 0};
    nc.server.threads = 2;
    nc.store.data_dir = dir_ / "node";
    nc.signing.ca_chain = hsm_ / "pki/issuing-ca.pem";
    nc.edxml.trust = hsm_ / "pki/root-ca.pem";
    nc.edxml.revocation = "none";
    node_ = new Node(nc);
    ExchangeOptions options;
    options.poll_interval = std::chrono::milliseconds(20);
    services_ = new NodeServices(*node_, options);
    node_->start();
    services_->start();
    ASSERT_TRUE(node_->wait_store());

    Registry reg(*node_->store(), &node_->catalogue());
    reg.add_member(kWardOrgan, "UBND phường Trường Vinh");
    reg.add_member(kJusticeOrgan, "Sở Tư pháp tỉnh Nghệ An");
    reg.add_subsystem(kWardSystem);
    reg.add_subsystem(kJusticeSystem);
    const std::string base = "http://127.0.0.1:" + std::to_string(receiver_->endpoint().port);
    auto add = [&](const std::string& id, const std::string& contract, const std::string& path,
                   const std::string& client) {
      Service s;
      s.id = id;
      s.request_contract = contract;
      s.endpoint = base + path;
      s.timeout_ms = 2000;
      s.retry = {5, 50, 200};
      reg.add_service(s);
      reg.grant(client, id);
    };
    add(edxml_document_service(kJusticeSystem), "edxml@v1", "/justice/doc", kWardSystem);
    add(edxml_status_service(kWardSystem), "edxml-status@v1", "/ward/status", kJusticeSystem);
    ward_key_ = reg.create_api_key(kWardSystem);
    justice_key_ = reg.create_api_key(kJusticeSystem);
    node_->store()
        ->write([](Transaction& tx) {
          const auto& organs = edxml_repository(tx);
          organs.put_organ(tx, {kWardOrgan, kWardSystem, "UBND phường Trường Vinh", ""});
          organs.put_organ(tx, {kJusticeOrgan, kJusticeSystem, "Sở Tư pháp tỉnh Nghệ An", ""});
        })
        .get();
    for (int i = 0; i < 200; ++i) {
      std::string why;
      if (node_->sealer()->ready(why)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  static void TearDownTestSuite() {
    delete services_;
    delete node_;
    delete receiver_;
    fs::remove_all(dir_);
  }

  static lgsp::test::ClientResponse post(const std::string& key, const std::string& client, const std::string& body) {
    lgsp::test::HttpClient http("127.0.0.1", node_->endpoint().port);
    return http.request(
        "POST", "/v1/edxml/messages", body,
        {{"Authorization", "Bearer " + key}, {"LGSP-Client", client}, {"Content-Type", "application/xml"}});
  }
  static lgsp::test::ClientResponse document(const std::string& key, const std::string& client, const std::string& id) {
    lgsp::test::HttpClient http("127.0.0.1", node_->endpoint().port);
    return http.request("GET", "/v1/edxml/documents?document_id=" + percent_encode(id), "",
                        {{"Authorization", "Bearer " + key}, {"LGSP-Client", client}});
  }
  // Waits (bounded) until the receiver has seen a message with this id.
  static std::optional<Arrival> arrival(const std::string& message_id) {
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& a : arrivals_)
          if (a.message_id == message_id) return a;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return std::nullopt;
  }
  static std::size_t arrival_count() {
    std::lock_guard lock(mutex_);
    return arrivals_.size();
  }
  // The node has recorded a refusal of the edXML route whose reason contains `text` (the sample is written
  // asynchronously: waits, bounded).
  static bool refusal_recorded(const std::string& code, const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      bool found = false;
      node_->store()->read([&](Transaction& tx) {
        for (const auto& e : repositories(tx).events.latest(tx, RefusalRecorder::kMessage, 100))
          found = found || (e.detail.find(code) != std::string::npos && e.detail.find(text) != std::string::npos &&
                            e.detail.find("edxml") != std::string::npos);
      });
      if (found) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  // Nothing more arrives within a short while (the exchange delivers within milliseconds here).
  static void expect_nothing_forwarded(std::size_t before) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(arrival_count(), before);
  }

  static inline fs::path hsm_, dir_;
  static inline Node* receiver_ = nullptr;
  static inline Node* node_ = nullptr;
  static inline NodeServices* services_ = nullptr;
  static inline std::string ward_key_, justice_key_;
  static inline std::mutex mutex_;
  static inline std::vector<Arrival> arrivals_;
};

TEST_F(EdxmlExchange, delivers_a_package_to_the_addressee_and_records_its_status_replies) {
  const std::string package = unsigned_package();
  auto sent = post(ward_key_, kWardSystem, package);
  ASSERT_EQ(sent.status, 202u) << sent.body;
  auto answer = json::parse(sent.body);
  EXPECT_EQ(answer["kind"], "document");
  EXPECT_EQ(answer["document_id"], kDocumentId);
  EXPECT_TRUE(answer["warnings"].is_array()) << "the receive profile's named variants, if any";
  ASSERT_EQ(answer["deliveries"].size(), 1u);
  const auto& copy = answer["deliveries"][0];
  EXPECT_EQ(copy["organ_id"], kJusticeOrgan);
  EXPECT_EQ(copy["service"], kJusticeSystem + "/edxml-document/v1");
  EXPECT_TRUE(copy["receipt"].contains("signature")) << "the copy is sealed like any message";

  auto delivered = arrival(copy["message_id"]);
  ASSERT_TRUE(delivered) << "the department's system never got the package";
  EXPECT_EQ(delivered->path, "/justice/doc");
  EXPECT_EQ(delivered->body, package) << "the package is delivered as sent";

  // Sent again (a retry after a lost answer): the same copy, its original receipt, delivered once.
  auto again = post(ward_key_, kWardSystem, package);
  ASSERT_EQ(again.status, 202u) << again.body;
  EXPECT_EQ(json::parse(again.body)["deliveries"][0]["receipt"], copy["receipt"]);

  // The department answers: arrived (01), then accepted (03); both travel back to the ward and are recorded.
  std::string accepted = lgsp::test::read_file(kContracts / "edxml-status/v1/examples/valid-1-accepted.xml");
  std::string arrived =
      replace_all(accepted, "<edXML:StatusCode>03</edXML:StatusCode>", "<edXML:StatusCode>01</edXML:StatusCode>");
  for (const auto* status : {&arrived, &accepted}) {
    auto reply = post(justice_key_, kJusticeSystem, *status);
    ASSERT_EQ(reply.status, 202u) << reply.body;
    auto r = json::parse(reply.body);
    EXPECT_EQ(r["kind"], "status");
    auto back = arrival(r["deliveries"][0]["message_id"]);
    ASSERT_TRUE(back) << "the status reply never reached the ward";
    EXPECT_EQ(back->path, "/ward/status");
    EXPECT_EQ(back->service, kWardSystem + "/edxml-status/v1");
  }

  auto shown = document(ward_key_, kWardSystem, kDocumentId);
  ASSERT_EQ(shown.status, 200u) << shown.body;
  auto doc = json::parse(shown.body);
  ASSERT_EQ(doc["statuses"].size(), 2u) << doc.dump();
  EXPECT_EQ(doc["statuses"][0]["status_code"], "01");
  EXPECT_EQ(doc["statuses"][1]["status_code"], "03");
  EXPECT_EQ(doc["statuses"][1]["from_organ"], kJusticeOrgan);
  EXPECT_EQ(doc["statuses"][1]["timestamp"], "2025/11/20 16:03:55");
  EXPECT_FALSE(doc["statuses"][1]["recorded_at"].get<std::string>().empty());
  ASSERT_EQ(doc["deliveries"].size(), 3u) << "one copy of the package (sent twice, kept once), two replies";
  EXPECT_EQ(doc["deliveries"][0]["to_organ"], kJusticeOrgan);
  // The addressee sees it too; a document nobody here knows is 404.
  EXPECT_EQ(document(justice_key_, kJusticeSystem, kDocumentId).status, 200u);
  auto unknown = document(ward_key_, kWardSystem, "000.12.31.H41,2025/11/20,999/UBND-VP");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(json::parse(unknown.body)["code"], "LGSP-404-DOCUMENT");
}

TEST_F(EdxmlExchange, refuses_an_invalid_package_with_the_validators_reason_records_it_and_forwards_nothing) {
  const auto before = arrival_count();
  // A bad addressee organ id breaks the schema's OrganId pattern.
  std::string bad = replace_all(unsigned_package(), "<edXML:OrganId>000.00.21.H41</edXML:OrganId>",
                                "<edXML:OrganId>not an organ id</edXML:OrganId>");
  auto r = post(ward_key_, kWardSystem, bad);
  ASSERT_EQ(r.status, 400u) << r.body;
  auto problem = json::parse(r.body);
  EXPECT_EQ(problem["code"], "LGSP-400-EDXML");
  ASSERT_FALSE(problem["errors"].empty()) << "the validator's errors are passed on";
  EXPECT_NE(problem["errors"][0]["path"].get<std::string>().find("OrganId"), std::string::npos) << r.body;
  EXPECT_TRUE(refusal_recorded("LGSP-400-EDXML", "edxml@v1"));
  // Not XML at all.
  auto junk = post(ward_key_, kWardSystem, "<not-edxml/>");
  EXPECT_EQ(junk.status, 400u);
  EXPECT_EQ(json::parse(junk.body)["code"], "LGSP-400-EDXML");
  expect_nothing_forwarded(before);
}

TEST_F(EdxmlExchange, refuses_an_addressee_organ_no_system_answers_for) {
  const auto before = arrival_count();
  std::string package = replace_all(unsigned_package(), "<edXML:OrganId>000.00.21.H41</edXML:OrganId>",
                                    "<edXML:OrganId>000.00.99.H41</edXML:OrganId>");
  auto r = post(ward_key_, kWardSystem, package);
  ASSERT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-404-ORGAN");
  EXPECT_NE(r.body.find("000.00.99.H41"), std::string::npos);
  expect_nothing_forwarded(before);
}

TEST_F(EdxmlExchange, refuses_a_package_sent_in_another_systems_name) {
  // The department's system sending a package whose From is the ward.
  auto r = post(justice_key_, kJusticeSystem, unsigned_package());
  ASSERT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], "LGSP-403-ORGAN");
}

TEST_F(EdxmlExchange, refuses_a_wrongly_signed_package_and_accepts_a_rightly_signed_one) {
  const auto before = arrival_count();
  // The example's signature value is illustrative: it does not verify.
  std::string xml = lgsp::test::read_file(kContracts / "edxml/v1/examples/valid-1-new-document-signed.xml");
  auto r = post(ward_key_, kWardSystem, xml);
  ASSERT_EQ(r.status, 400u) << r.body;
  auto problem = json::parse(r.body);
  EXPECT_EQ(problem["code"], "LGSP-400-EDXML-SIGNATURE");
  EXPECT_EQ(problem["detail"].get<std::string>().find("edxml.trust"), std::string::npos) << "it was checked";
  expect_nothing_forwarded(before);

  // Signed on a token (official-01, chained to the trusted root): accepted. Changed after signing: refused.
  const fs::path in = dir_ / "doc.edxml", out = dir_ / "signed.edxml";
  std::string package = replace_all(unsigned_package(), "155/UBND-VP", "156/UBND-VP");
  {
    std::ofstream f(in, std::ios::binary);
    f << package;
  }
  auto signed_run =
      lgsp::test::run({LGSP_BINARY, "sign", "--format", "xmldsig", "--token", "official-01", "--in", in.string(),
                       "--out", out.string(), "--chain", (hsm_ / "pki/issuing-ca.pem").string()});
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.err;
  const std::string signed_package = lgsp::test::read_file(out);
  auto ok = post(ward_key_, kWardSystem, signed_package);
  ASSERT_EQ(ok.status, 202u) << ok.body;
  ASSERT_TRUE(arrival(json::parse(ok.body)["deliveries"][0]["message_id"]));
  auto tampered = post(ward_key_, kWardSystem, replace_all(signed_package, "Trường Vinh", "Trường Thi"));
  ASSERT_EQ(tampered.status, 400u) << tampered.body;
  EXPECT_EQ(json::parse(tampered.body)["code"], "LGSP-400-EDXML-SIGNATURE");
}

TEST_F(EdxmlExchange, operator_commands_send_register_organs_and_show_status_and_inbox) {
  const std::string data = (dir_ / "node").string();
  const fs::path file = dir_ / "cli.edxml";
  {
    std::ofstream f(file, std::ios::binary);
    f << replace_all(unsigned_package(), "155/UBND-VP", "157/UBND-VP");
  }
  const std::string node = "http://127.0.0.1:" + std::to_string(node_->endpoint().port);
  auto sent = lgsp::test::run(
      {LGSP_BINARY, "edxml", "send", file.string(), "--node", node, "--client", kWardSystem, "--api-key", ward_key_});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  auto answer = json::parse(sent.out);
  ASSERT_TRUE(arrival(answer["deliveries"][0]["message_id"]));
  // Refused: the department's system cannot send in the ward's name (exit 1, the code on stderr).
  auto refused = lgsp::test::run({LGSP_BINARY, "edxml", "send", file.string(), "--node", node, "--client",
                                  kJusticeSystem, "--api-key", justice_key_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("LGSP-403-ORGAN"), std::string::npos) << refused.err;

  const std::string id = "000.12.31.H41,2025/11/20,157/UBND-VP";
  auto status = lgsp::test::run({LGSP_BINARY, "edxml", "status", id, "--json", "--data-dir", data});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto shown = json::parse(status.out);
  ASSERT_EQ(shown["deliveries"].size(), 1u);
  EXPECT_EQ(shown["deliveries"][0]["to_organ"], kJusticeOrgan);
  EXPECT_EQ(lgsp::test::run({LGSP_BINARY, "edxml", "status", "no-such-document", "--data-dir", data}).exit_code, 1);

  auto inbox = lgsp::test::run({LGSP_BINARY, "edxml", "inbox", kJusticeOrgan, "--json", "--data-dir", data});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  bool listed = false;
  for (const auto& d : json::parse(inbox.out)) listed = listed || d["document_id"] == id;
  EXPECT_TRUE(listed) << inbox.out;

  auto added = lgsp::test::run({LGSP_BINARY, "edxml", "organ", "add", "000.00.22.H41", kJusticeSystem, "--name",
                                "Sở Nội vụ", "--data-dir", data});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  auto list = lgsp::test::run({LGSP_BINARY, "edxml", "organ", "list", "--json", "--data-dir", data});
  EXPECT_NE(list.out.find("000.00.22.H41"), std::string::npos) << list.out;
  auto unknown = lgsp::test::run(
      {LGSP_BINARY, "edxml", "organ", "add", "000.00.23.H41", "000.00.23.H41/NONE", "--data-dir", data});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(lgsp::test::run({LGSP_BINARY, "edxml", "organ", "remove", "000.00.22.H41", "--data-dir", data}).exit_code,
            0);
  // Both changes are in the message log as the registry's are: kind "admin", the command and the local account.
  auto logged =
      lgsp::test::run({"/usr/bin/sqlite3", (fs::path(data) / "lgsp.db").string(),
                       "SELECT json_extract(body, '$.command') || '|' || json_extract(body, '$.options.organ')"
                       " FROM message_log WHERE kind = 'admin' AND json_extract(body, '$.command') LIKE"
                       " 'edxml organ%' ORDER BY seq"});
  EXPECT_EQ(logged.out, "edxml organ add|000.00.22.H41\nedxml organ remove|000.00.22.H41\n") << logged.err;
  // The existing subcommands are still there.
  auto help = lgsp::test::run({LGSP_BINARY, "edxml", "--help"});
  for (const char* sub : {"pack", "unpack", "send", "status", "inbox", "organ"})
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
}

}  // namespace
