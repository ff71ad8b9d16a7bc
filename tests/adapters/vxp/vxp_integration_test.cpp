// The vxp connector end to end: a real `lgsp serve` node sealing with hsm-sim, `lgsp adapter run` as a child
// process, the stand-in of the national document-exchange axis (vxp_standin.py: the SDK's operations, its
// XroadVnpt HMAC signature, its answers, duplicates, outages and malformed answers) and a receiver standing for
// the ward's document-management system. A document from a ministry on the axis reaches the ward once and is
// acknowledged on the axis once, across a SIGKILL of the runner; the ward's document to the ministry reaches
// the axis and the ministry's status reply comes back and is recorded; an axis outage is caught up; a malformed
// answer and a package that fails the receive profile are recorded without a crash.
#include "bus_fixture.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using lgsp::test::wait_until;
using nlohmann::json;

const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWardOrgan = "000.12.31.H41";        // UBND phường Trường Vinh: a local organ
const std::string kWardSystem = kWardOrgan + "/QLVB";  // its document-management system
const std::string kProvince = "000.00.00.H41";         // UBND tỉnh Nghệ An: runs the connector
const std::string kConnector = kProvince + "/VXP";
const std::string kMinistry = "000.00.00.G22";  // an organ outside the province, reached through the axis
const std::string kOurSystem = "vxp.lgsp.h41";  // the province's system id on the axis
const std::string kMinistrySystem = "vxp.bo.g22";
const std::string kUnconnected = "000.00.00.G99";  // registered to the connector, but the axis does not connect it
const std::string kSecret = "c2VjcmV0LW9mLXRoZS1wcm92aW5jZQ==";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// The contracts' example package without its illustrative signature, numbered `n` (its own DocumentId).
std::string example_package(int n) {
  std::string xml = lgsp::test::read_file(kContracts / "edxml/v1/examples/valid-1-new-document-signed.xml");
  const auto start = xml.find("<ds:Signature");
  const auto end = xml.find("</ds:Signature>");
  if (start != std::string::npos && end != std::string::npos)
    xml.erase(start, end + std::string("</ds:Signature>").size() - start);
  xml = replace_all(xml, ",155/UBND-VP", "," + std::to_string(n) + "/UBND-VP");
  return replace_all(xml, "<edXML:CodeNumber>155<", "<edXML:CodeNumber>" + std::to_string(n) + "<");
}
// From the ward to the ministry (outbound).
std::string outbound_package(int n) { return replace_all(example_package(n), "000.00.21.H41", kMinistry); }
std::string outbound_document_id(int n) { return kWardOrgan + ",2025/11/20," + std::to_string(n) + "/UBND-VP"; }
// From the ministry to the ward (inbound).
std::string inbound_package(int n) {
  return replace_all(replace_all(example_package(n), kWardOrgan, kMinistry), "000.00.21.H41", kWardOrgan);
}
// The ministry's status reply to the ward's document `n`.
std::string ministry_status(int n, const std::string& code) {
  std::string xml = lgsp::test::read_file(kContracts / "edxml-status/v1/examples/valid-1-accepted.xml");
  xml = replace_all(xml, "<edXML:StatusCode>03<", "<edXML:StatusCode>" + code + "<");
  xml = replace_all(xml, ",155/UBND-VP", "," + std::to_string(n) + "/UBND-VP");
  return replace_all(xml, "000.00.21.H41", kMinistry);
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

class VxpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bus_ = new lgsp::test::BusFixture("vxp");
    bus_->start(
        [](lgsp::bus::Registry& reg, const std::string& runner, const std::string& receiver, const fs::path& dir) {
          reg.add_member(kWardOrgan, "UBND phường Trường Vinh");
          reg.add_member(kProvince, "UBND tỉnh Nghệ An");
          reg.add_subsystem(kWardSystem);
          reg.add_subsystem(kConnector);
          auto add = [&](const std::string& id, const std::string& contract, const std::string& endpoint,
                         const std::string& client) {
            lgsp::bus::Service s;
            s.id = id;
            s.request_contract = contract;
            s.endpoint = endpoint;
            s.retry = {200, 50, 300};
            reg.add_service(s);
            reg.grant(client, id);
          };
          add(kWardSystem + "/edxml-document/v1", "edxml@v1", receiver + "/in", kConnector);
          add(kWardSystem + "/edxml-status/v1", "edxml-status@v1", receiver + "/in", kConnector);
          add(kConnector + "/edxml-document/v1", "edxml@v1", runner + "/adapters/vxp/deliveries", kWardSystem);
          add(kConnector + "/edxml-status/v1", "edxml-status@v1", runner + "/adapters/vxp/deliveries", kWardSystem);
          lgsp::test::write_text(dir / "vxp.key", reg.create_api_key(kConnector) + "\n");
          ward_key_ = reg.create_api_key(kWardSystem);
        });
    // The organs: the ward on its system, the ministry on the connector (as an operator registers them).
    for (const auto& [organ, system] :
         {std::pair{kWardOrgan, kWardSystem}, std::pair{kMinistry, kConnector}, std::pair{kUnconnected, kConnector}}) {
      auto r = lgsp::test::BusFixture::lgsp(
          {"edxml", "organ", "add", organ, system, "--data-dir", (bus_->dir() / "node").string()});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    // The axis stand-in.
    axis_port_ = lgsp::test::free_port();
    lgsp::test::write_text(bus_->dir() / "axis.secret", kSecret + "\n");
    const json systems = {
        {"systems", {{kOurSystem, kSecret}, {kMinistrySystem, "another-secret"}}},
        {"agencies",
         json::array({{{"id", "1"}, {"code", kMinistry}, {"name", "Bộ ngành thử nghiệm"}, {"pid", "0"}, {"mail", ""}},
                      {{"id", "2"}, {"code", kProvince}, {"name", "UBND tỉnh Nghệ An"}, {"pid", "0"}, {"mail", ""}}})},
        {"system_of", {{kMinistry, kMinistrySystem}, {kWardOrgan, kOurSystem}}}};
    lgsp::test::write_text(bus_->dir() / "axis.json", systems.dump());
    axis_ = new lgsp::test::Process({"/usr/bin/python3", LGSP_SOURCE_DIR "/tests/adapters/vxp/vxp_standin.py", "--port",
                                     std::to_string(axis_port_), "--systems", (bus_->dir() / "axis.json").string()},
                                    bus_->dir() / "axis.log");
    ASSERT_TRUE(wait_until([] { return axis_get("/_standin/state").status == 200; }, 20s))
        << lgsp::test::read_file(bus_->dir() / "axis.log");
  }
  static void TearDownTestSuite() {
    delete axis_;
    delete bus_;
  }
  void SetUp() override { test_ = ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
  void TearDown() override {
    faults({{"unavailable", false}, {"delay_ms", 0}, {"fail_update", false}, {"malformed", json::object()}});
    if (bus_->runner_running()) {
      EXPECT_EQ(bus_->stop_runner(), 0);
    }
  }

  static lgsp::test::ClientResponse axis_get(const std::string& path) { return bus_->get(axis_port_, path); }
  static json axis_post(const std::string& path, const json& body) {
    lgsp::test::HttpClient c("127.0.0.1", axis_port_);
    auto r = c.request("POST", path, body.dump(), {{"content-type", "application/json"}});
    EXPECT_EQ(r.status, 200u) << r.body;
    return json::parse(r.body);
  }
  static json axis_state() { return json::parse(axis_get("/_standin/state").body); }
  // The packages the province's system sent to the axis with exactly this body.
  static int sent_to_axis(const std::string& edxml) {
    const json state = axis_state();  // held: a range-for over a member of a temporary would dangle
    int n = 0;
    for (const auto& s : state["sent"]) n += s["edxml"] == edxml ? 1 : 0;
    return n;
  }
  static void faults(const json& f) { axis_post("/_standin/faults", f); }
  // A document the ministry sent to the ward, waiting on the axis for the province's system.
  static std::string axis_holds(const std::string& edxml, const std::string& type = "edoc") {
    return axis_post("/_standin/inbox", {{"system", kOurSystem},
                                         {"from", kMinistry},
                                         {"to", {kWardOrgan}},
                                         {"messagetype", type},
                                         {"edxml", edxml}})["docId"];
  }
  static std::vector<std::string> updates(const std::string& doc_id) {
    auto s = axis_state();
    if (!s["updates"].contains(doc_id)) return {};
    return s["updates"][doc_id].get<std::vector<std::string>>();
  }
  // How many copies with exactly this body the ward's system got (by message id, each id counted).
  static int copies_of(const std::string& body) {
    int n = 0;
    for (const auto& [id, count] : bus_->receiver().counts())
      if (bus_->receiver().body(id) == body) n += count;
    return n;
  }
  static lgsp::test::ClientResponse ward_sends(const std::string& edxml) {
    lgsp::test::HttpClient c("127.0.0.1", bus_->node_port());
    return c.request(
        "POST", "/v1/edxml/messages", edxml,
        {{"authorization", "Bearer " + ward_key_}, {"lgsp-client", kWardSystem}, {"content-type", "application/xml"}});
  }

  fs::path config(const std::string& secret_file = "", int timeout_ms = 3000) {
    return bus_->write_config(
        test_, "[[adapter]]\nname = \"vxp\"\nkind = \"vxp\"\nclient = \"" + kConnector + "\"\napi_key_file = \"" +
                   (bus_->dir() / "vxp.key").string() +
                   "\"\npoll_interval_ms = 100\ninitial_backoff_ms = 50\nmax_backoff_ms = 300\n\n[adapter.axis]\n"
                   "url = \"http://127.0.0.1:" +
                   std::to_string(axis_port_) + "\"\nsystem_id = \"" + kOurSystem + "\"\nsecret_file = \"" +
                   (secret_file.empty() ? (bus_->dir() / "axis.secret").string() : secret_file) +
                   "\"\ntimeout_ms = " + std::to_string(timeout_ms) + "\n");
  }

  static inline lgsp::test::BusFixture* bus_ = nullptr;
  static inline lgsp::test::Process* axis_ = nullptr;
  static inline unsigned short axis_port_ = 0;
  static inline std::string ward_key_;
  std::string test_;
};

TEST_F(VxpTest, a_document_from_the_axis_reaches_the_ward_once_and_is_acknowledged_once_across_a_restart) {
  const auto package = inbound_package(201);
  // The axis takes no acknowledgement at first: the runner is killed with the document forwarded, not acknowledged.
  faults({{"fail_update", true}});
  const auto doc = axis_holds(package);
  const auto cfg = config();
  bus_->start_runner(cfg);
  ASSERT_TRUE(wait_until([&] { return copies_of(package) == 1; }, 20s)) << "the ward never got the document";
  std::this_thread::sleep_for(400ms);  // a few rounds of failing acknowledgements
  EXPECT_TRUE(updates(doc).empty());
  bus_->kill_runner();

  faults({{"fail_update", false}});
  bus_->start_runner(cfg);
  ASSERT_TRUE(wait_until([&] { return updates(doc) == std::vector<std::string>{"done"}; }, 20s)) << axis_state().dump();
  std::this_thread::sleep_for(600ms);  // more polling rounds change nothing
  EXPECT_EQ(updates(doc), std::vector<std::string>{"done"}) << "acknowledged once";
  EXPECT_EQ(copies_of(package), 1) << "delivered once";
  EXPECT_FALSE(axis_state()["waiting"].contains(kOurSystem)) << axis_state().dump();
  EXPECT_EQ(axis_state()["refused_signatures"], 0) << "every request was signed as the SDK signs";
  const auto metrics = bus_->get(bus_->runner_port(), "/metrics").body;
  EXPECT_NE(metrics.find("lgsp_adapter_acknowledged_total{adapter=\"vxp\",kind=\"vxp\"} 1"), std::string::npos)
      << metrics;

  // The ward answers the ministry (03 accepted): the reply goes to the axis as a status message, to the ministry.
  std::string reply = lgsp::test::read_file(kContracts / "edxml-status/v1/examples/valid-1-accepted.xml");
  reply = replace_all(replace_all(replace_all(reply, ",155/UBND-VP", ",201/UBND-VP"), kWardOrgan, kMinistry),
                      "000.00.21.H41", kWardOrgan);
  auto answered = ward_sends(reply);
  ASSERT_EQ(answered.status, 202u) << answered.body;
  ASSERT_TRUE(wait_until([&] { return sent_to_axis(reply) == 1; }, 20s)) << axis_state().dump();
  const json state = axis_state();
  for (const auto& s : state["sent"])
    if (s["edxml"] == reply) {
      EXPECT_EQ(s["messagetype"], "status");
      EXPECT_EQ(s["from"], kWardOrgan);
      EXPECT_EQ(s["to"], json::array({kMinistry}));
    }
}

TEST_F(VxpTest, the_wards_document_reaches_the_ministry_on_the_axis_and_its_status_reply_comes_back) {
  bus_->start_runner(config());
  const auto package = outbound_package(202);
  auto sent = ward_sends(package);
  ASSERT_EQ(sent.status, 202u) << sent.body;
  EXPECT_EQ(json::parse(sent.body)["deliveries"][0]["service"], kConnector + "/edxml-document/v1");
  ASSERT_TRUE(wait_until([&] { return sent_to_axis(package) == 1; }, 20s)) << axis_state().dump();
  const json state = axis_state();
  for (const auto& s : state["sent"])
    if (s["edxml"] == package) {
      EXPECT_EQ(s["from"], kWardOrgan);
      EXPECT_EQ(s["to"], json::array({kMinistry}));
      EXPECT_EQ(s["messagetype"], "edoc");
      EXPECT_EQ(s["system"], kOurSystem);
    }
  // The ward's system sends it again (a lost answer): the node gives the same copy, the axis gets it once.
  ASSERT_EQ(ward_sends(package).status, 202u);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sent_to_axis(package), 1);

  // The ministry answers through the axis: arrived (01). It comes back to the ward's status service.
  const auto reply = ministry_status(202, "01");
  const auto reply_doc = axis_holds(reply, "status");
  ASSERT_TRUE(wait_until([&] { return copies_of(reply) == 1; }, 20s)) << "the status reply never came back";
  ASSERT_TRUE(wait_until([&] { return updates(reply_doc) == std::vector<std::string>{"done"}; }, 10s));
  lgsp::test::HttpClient c("127.0.0.1", bus_->node_port());
  auto shown = c.request("GET", "/v1/edxml/documents?document_id=" + percent_encode(outbound_document_id(202)), "",
                         {{"authorization", "Bearer " + ward_key_}, {"lgsp-client", kWardSystem}});
  ASSERT_EQ(shown.status, 200u) << shown.body;
  auto doc = json::parse(shown.body);
  ASSERT_EQ(doc["statuses"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["statuses"][0]["status_code"], "01");
  EXPECT_EQ(doc["statuses"][0]["from_organ"], kMinistry);
}

TEST_F(VxpTest, an_axis_outage_is_survived_and_caught_up_afterwards) {
  bus_->start_runner(config());
  faults({{"unavailable", true}});
  const auto in = inbound_package(203);
  const auto doc = axis_holds(in);
  const auto out = outbound_package(203);
  ASSERT_EQ(ward_sends(out).status, 202u);
  ASSERT_TRUE(wait_until(
      [&] {
        auto h = bus_->get(bus_->runner_port(), "/healthz");
        return h.status == 503 && h.body.find("axis") != std::string::npos;
      },
      10s))
      << bus_->get(bus_->runner_port(), "/healthz").body;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(copies_of(in), 0);
  EXPECT_TRUE(updates(doc).empty());

  faults({{"unavailable", false}, {"delay_ms", 150}});  // back, and slow
  ASSERT_TRUE(wait_until([&] { return copies_of(in) == 1 && updates(doc) == std::vector<std::string>{"done"}; }, 30s))
      << axis_state().dump();
  ASSERT_TRUE(wait_until([&] { return sent_to_axis(out) == 1; }, 30s))
      << "the node's retries did not reach the axis once it was back";
  EXPECT_TRUE(wait_until([&] { return bus_->get(bus_->runner_port(), "/healthz").status == 200; }, 10s));
}

TEST_F(VxpTest, a_document_the_axis_lists_twice_reaches_the_ward_once_and_a_package_the_axis_refuses_is_kept) {
  bus_->start_runner(config());
  // The axis holds the same package under two ids (sent twice by the ministry's system): the node's idempotency
  // (the same package, the same message ids) gives the ward one copy; both are acknowledged.
  const auto package = inbound_package(207);
  const auto first = axis_holds(package);
  const auto second = axis_holds(package);
  ASSERT_TRUE(wait_until(
      [&] {
        return updates(first) == std::vector<std::string>{"done"} &&
               updates(second) == std::vector<std::string>{"done"};
      },
      20s))
      << axis_state().dump();
  EXPECT_EQ(copies_of(package), 1);

  // A package for an organ the axis does not connect: the axis refuses it (FAIL, ErrorCode 105), the connector
  // keeps it as a dead letter with the axis's reason, and the node's delivery is done (not retried for ever).
  const auto lost = replace_all(outbound_package(208), kMinistry, kUnconnected);
  ASSERT_EQ(ward_sends(lost).status, 202u);
  const auto cfg = config();
  json letters;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = lgsp::test::BusFixture::lgsp({"adapter", "dlq", "list", "--config", cfg.string(), "--json"});
        letters = json::parse(r.out, nullptr, false);
        return letters.is_array() && letters.size() == 1;
      },
      20s))
      << letters.dump();
  EXPECT_NE(letters[0]["reason"].get<std::string>().find("ErrorCode 105"), std::string::npos) << letters.dump();
  EXPECT_EQ(letters[0]["key"].get<std::string>().rfind("edxml-", 0), 0u) << letters.dump();
  EXPECT_EQ(sent_to_axis(lost), 0);
}

TEST_F(VxpTest, a_send_whose_answer_is_lost_in_a_slow_axis_reaches_the_ministry_once) {
  // The axis takes the package but answers after the connector gave up (timeout): the node delivers it again,
  // the connector sends it again, and the axis (same sender, addressee and hash-file) gives its first DocId.
  bus_->start_runner(config("", 400));
  faults({{"delay_ms", 700}});
  const auto package = outbound_package(209);
  ASSERT_EQ(ward_sends(package).status, 202u);
  ASSERT_TRUE(wait_until([&] { return sent_to_axis(package) == 1; }, 20s)) << axis_state().dump();
  std::this_thread::sleep_for(1500ms);  // a few more timed-out attempts
  faults({{"delay_ms", 0}});
  ASSERT_TRUE(wait_until([&] { return bus_->get(bus_->runner_port(), "/healthz").status == 200; }, 20s));
  const auto metrics = [&] { return bus_->get(bus_->runner_port(), "/metrics").body; };
  ASSERT_TRUE(wait_until([&] { return metrics().find("lgsp_adapter_sent_total") != std::string::npos; }, 20s))
      << metrics();
  EXPECT_EQ(sent_to_axis(package), 1) << "the axis holds it once";
  EXPECT_NE(metrics().find("lgsp_adapter_axis_unavailable_total"), std::string::npos) << metrics();
}

TEST_F(VxpTest, malformed_axis_answers_and_a_package_failing_the_receive_profile_are_recorded_without_a_crash) {
  // Three documents wait: one whose getEdoc answer is broken, one that is not a valid package, one good.
  faults({{"malformed",
           {{"getReceivedEdocList",
             {"this is not json", R"({"status":"OK","ErrorCode":"0","data":[{"docId":"../../etc/passwd"}]})"}},
            {"getEdoc", {R"({"status":"OK","ErrorCode":"0","ErrorDesc":"","data":"%%% not base64 %%%"})"}}}}});
  const auto broken = axis_holds(inbound_package(204));
  std::string bad = inbound_package(205);
  const auto id_start = bad.find("<edXML:DocumentId>");
  bad.erase(id_start, bad.find("</edXML:DocumentId>") + std::string("</edXML:DocumentId>").size() - id_start);
  const auto refused = axis_holds(bad);
  const auto good_package = inbound_package(206);
  const auto good = axis_holds(good_package);

  const auto cfg = config();
  bus_->start_runner(cfg);
  ASSERT_TRUE(wait_until([&] { return updates(good) == std::vector<std::string>{"done"}; }, 20s))
      << axis_state().dump();
  EXPECT_EQ(copies_of(good_package), 1);
  EXPECT_EQ(copies_of(bad), 0) << "nothing of a refused package is forwarded";
  ASSERT_TRUE(wait_until([&] { return updates(refused) == std::vector<std::string>{"fail"}; }, 10s))
      << "the axis is told the package was not taken";
  EXPECT_TRUE(updates(broken).empty()) << "a document never read is not acknowledged";

  auto listed = lgsp::test::BusFixture::lgsp({"adapter", "dlq", "list", "--config", cfg.string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto letters = json::parse(listed.out);
  ASSERT_EQ(letters.size(), 2u) << letters.dump();
  std::int64_t broken_letter = 0;
  bool refusal_recorded = false;
  for (const auto& l : letters) {
    if (l["key"] == "axis " + broken) {
      EXPECT_NE(l["reason"].get<std::string>().find("not base64"), std::string::npos) << l.dump();
      broken_letter = l["id"];
    }
    if (l["key"] == "axis " + refused) {
      EXPECT_NE(l["reason"].get<std::string>().find("LGSP-400-EDXML"), std::string::npos) << l.dump();
      refusal_recorded = true;
    }
  }
  EXPECT_TRUE(refusal_recorded) << letters.dump();
  ASSERT_NE(broken_letter, 0) << letters.dump();
  EXPECT_EQ(bus_->get(bus_->runner_port(), "/healthz").status, 200u) << "the connector runs on";
  const auto metrics = bus_->get(bus_->runner_port(), "/metrics").body;
  EXPECT_NE(metrics.find("lgsp_adapter_axis_malformed_total{adapter=\"vxp\",kind=\"vxp\"}"), std::string::npos);

  // The axis answers properly again: the broken one is replayed by an operator and goes through, once.
  auto replayed = lgsp::test::BusFixture::lgsp(
      {"adapter", "dlq", "replay", "--config", cfg.string(), std::to_string(broken_letter)});
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_EQ(copies_of(inbound_package(204)), 1);
  EXPECT_EQ(updates(broken), std::vector<std::string>{"done"});
}

TEST_F(VxpTest, the_operator_lists_the_agencies_of_the_axis_and_a_wrong_secret_is_refused) {
  // The file is checked like any adapter's: the secret only from a file or the environment.
  EXPECT_EQ(lgsp::test::BusFixture::lgsp({"adapter", "check", "--config", config().string()}).exit_code, 0);
  const auto inline_secret = bus_->write_config(
      test_ + "-inline", "[[adapter]]\nname = \"vxp\"\nkind = \"vxp\"\nclient = \"" + kConnector +
                             "\"\napi_key_file = \"" + (bus_->dir() / "vxp.key").string() +
                             "\"\n[adapter.axis]\nurl = \"http://127.0.0.1:1\"\nsystem_id = \"x\"\nsecret = \"x\"\n");
  auto refused_config = lgsp::test::BusFixture::lgsp({"adapter", "check", "--config", inline_secret.string()});
  EXPECT_EQ(refused_config.exit_code, 2);
  EXPECT_NE(refused_config.err.find("adapter 'vxp'.axis.secret"), std::string::npos) << refused_config.err;

  auto listed = lgsp::test::BusFixture::lgsp({"adapter", "vxp", "agencies", "--config", config().string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  std::set<std::string> codes;
  for (const auto& a : json::parse(listed.out)) codes.insert(a["code"]);
  EXPECT_EQ(codes, (std::set<std::string>{kMinistry, kProvince}));

  lgsp::test::write_text(bus_->dir() / "wrong.secret", "not-the-secret\n");
  const int refused_before = axis_state()["refused_signatures"];
  auto refused = lgsp::test::BusFixture::lgsp(
      {"adapter", "vxp", "agencies", "--config", config((bus_->dir() / "wrong.secret").string()).string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("credentials"), std::string::npos) << refused.err;
  EXPECT_EQ(axis_state()["refused_signatures"], refused_before + 1);
}

}  // namespace
