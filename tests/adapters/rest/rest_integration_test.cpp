// The rest adapter end to end: `lgsp adapter run` as a child process between a real `lgsp serve` node
// (hsm-sim) and a legacy civil-status system written here with its own field names (the peer: it checks
// its Basic credentials, answers in its own names, and can be down). Inbound, the legacy system posts its
// JSON and the bus receiver gets the contract's; as provider, the node's deliveries and calls reach the
// legacy system in its names and its answers come back in the contract's.
#include "bus_fixture.hpp"
#include "lgsp/contracts/base64.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;
using lgsp::test::wait_until;

const std::string kWard = "000.00.13.H29";
const std::string kLegacyClient = kWard + "/HOTICHCU";  // the legacy system's identity on the bus
const std::string kSender = kWard + "/MOTCUA";
const std::string kSendService = kWard + "/TUPHAP/trichluc/v1";     // legacy -> bus (receiver)
const std::string kDeliverService = kWard + "/HOTICHCU/yeucau/v1";  // bus -> adapter -> legacy (async)
const std::string kCallService = kWard + "/HOTICHCU/tracuu/v1";     // bus -> adapter -> legacy (sync)
const std::string kTlsService = kWard + "/HOTICHCU/baomat/v1";      // bus -> adapter -> legacy over mutual TLS

// The legacy system's own view of the world.
struct Legacy {
  std::mutex mutex;
  std::map<std::string, int> taken;    // by LGSP-Message-Id, requests it accepted
  std::map<std::string, json> bodies;  // what it got, in its names
  std::atomic<int> down{0};            // answer 503 this many times
  std::atomic<int> unauthorized{0};
  std::atomic<bool> refuse_invalid{true};          // refuses the name "Không Hợp Lệ" while set
  std::map<std::string, std::string> tls_clients;  // by message id: the client certificate's SHA-256
};
Legacy* legacy = nullptr;

const std::string kAuth = "Basic " + lgsp::contracts::base64_encode("hotich:mat-khau-cu");

const std::string kRequestMapping = R"(
[adapter.to_contract]
contract = "hotich.trichluc-request@v1"
defaults = { "copies" = "1" }
[adapter.to_contract.fields]
"maYeuCau" = "request_id"
"loaiSuKien" = "event_type"
"nguoiDuocCap.hoTen" = "lookup.person.full_name"
"nguoiDuocCap.ngaySinh" = "lookup.person.date_of_birth"
"nguoiYeuCau.hoTen" = "requester.full_name"
"nguoiYeuCau.soDinhDanh" = "requester.id_number"
"nguoiYeuCau.quanHe" = "requester.relation"
"mucDich" = "purpose"
"soBan" = "copies"
"thoiGianYeuCau" = "requested_at"
[adapter.to_contract.dates]
"nguoiDuocCap.ngaySinh" = "dd/MM/yyyy"
"thoiGianYeuCau" = "dd/MM/yyyy HH:mm:ss"
[adapter.to_contract.values]
"loaiSuKien" = { "KS" = "birth", "KT" = "death" }
"nguoiYeuCau.quanHe" = { "BT" = "self", "CHA" = "parent", "ME" = "parent" }
)";

// The contract's request in the legacy system's names (what it takes from the bus).
const std::string kReverseRequestMapping = R"(
[adapter.from_contract]
contract = "hotich.trichluc-request@v1"
dates = { "lookup.person.date_of_birth" = "dd/MM/yyyy" }
legacy_types = { "soBan" = "string" }
[adapter.from_contract.fields]
"request_id" = "maYeuCau"
"event_type" = "loaiSuKien"
"lookup.person.full_name" = "nguoiDuocCap.hoTen"
"lookup.person.date_of_birth" = "nguoiDuocCap.ngaySinh"
"requester.full_name" = "nguoiYeuCau.hoTen"
"copies" = "soBan"
[adapter.from_contract.values]
"event_type" = { "birth" = "KS", "death" = "KT", "marriage" = "KH", "parent_child_recognition" = "NCM" }
)";

// The legacy system's answer in the contract's names.
const std::string kResultMapping = R"(
[adapter.to_contract]
contract = "hotich.trichluc-result@v1"
fields = { "maYeuCau" = "request_id", "ketQua" = "status", "lyDo" = "message" }
[adapter.to_contract.values]
"ketQua" = { "0" = "not_found", "2" = "refused" }
)";

// The contract's answer in the legacy system's names (an inbound sync call's answer).
const std::string kReverseResultMapping = R"(
[adapter.from_contract]
contract = "hotich.trichluc-result@v1"
fields = { "request_id" = "maYeuCau", "status" = "ketQua", "message" = "lyDo" }
legacy_types = { "ketQua" = "integer" }
[adapter.from_contract.values]
"status" = { "found" = "1", "not_found" = "0", "refused" = "2" }
)";

json legacy_request(const std::string& id) {
  auto doc = json::parse(R"({"loaiSuKien": "KS",
    "nguoiDuocCap": {"hoTen": "Nguyễn Văn An", "ngaySinh": "25/12/1990"},
    "nguoiYeuCau": {"hoTen": "Nguyễn Văn Bình", "soDinhDanh": "079090001234", "quanHe": "CHA"},
    "mucDich": "Bổ sung hồ sơ", "thoiGianYeuCau": "01/03/2026 08:30:00"})");
  doc["maYeuCau"] = id;
  return doc;
}

json contract_request(const std::string& id, const std::string& name = "Trần Thị Bé") {
  return json{{"request_id", id},
              {"event_type", "birth"},
              {"lookup", {{"person", {{"full_name", name}, {"date_of_birth", "2001-02-03"}}}}},
              {"requester", {{"full_name", "Trần Văn Cha"}, {"id_number", "079090001234"}, {"relation", "parent"}}},
              {"purpose", "Nhập học"},
              {"copies", 2},
              {"requested_at", "2026-03-01T08:30:00+07:00"}};
}

class RestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    legacy = new Legacy;
    bus_ = new lgsp::test::BusFixture("rest");
    auto& router = bus_->listener_router();
    router.add("POST", "/legacy/yeucau", [](lgsp::bus::HttpRequest& r, lgsp::bus::Reply reply) {
      if (r.header("authorization").value_or("") != kAuth) {
        ++legacy->unauthorized;
        return reply(lgsp::bus::HttpResponse::json(401, {{"loi", "sai mat khau"}}));
      }
      if (legacy->down > 0) {
        --legacy->down;
        return reply(lgsp::bus::HttpResponse::json(503, {{"loi", "bao tri"}}));
      }
      const auto body = json::parse(r.body);
      if (legacy->refuse_invalid && body["nguoiDuocCap"]["hoTen"] == "Không Hợp Lệ")
        return reply(lgsp::bus::HttpResponse::json(400, {{"loi", "ho ten khong hop le"}}));
      std::lock_guard lock(legacy->mutex);
      const auto id = r.header("lgsp-message-id").value_or("");
      ++legacy->taken[id];
      legacy->bodies[id] = body;
      reply(lgsp::bus::HttpResponse::json(201, {{"maTiepNhan", "TN-" + id}}));
    });
    router.add("POST", "/legacy/tracuu/{ma}", [](lgsp::bus::HttpRequest& r, lgsp::bus::Reply reply) {
      if (r.header("authorization").value_or("") != kAuth)
        return reply(lgsp::bus::HttpResponse::json(401, {{"loi", "sai mat khau"}}));
      const auto body = json::parse(r.body);
      {
        std::lock_guard lock(legacy->mutex);
        legacy->bodies["tracuu-" + r.path_params["ma"]] = body;
      }
      reply(lgsp::bus::HttpResponse::json(
          200, {{"maYeuCau", r.path_params["ma"]}, {"ketQua", 0}, {"lyDo", "Không tìm thấy trong sổ"}}));
    });
    // The same legacy system behind HTTPS that asks for a client certificate (hsm-sim's TLS PKI).
    const fs::path pki = bus_->hsm() / "pki";
    lgsp::test::write_text(bus_->dir() / "legacy-chain.pem", lgsp::test::read_file(pki / "tls-node-a.pem") +
                                                                 lgsp::test::read_file(pki / "issuing-ca.pem"));
    lgsp::test::write_text(bus_->dir() / "adapter-chain.pem", lgsp::test::read_file(pki / "tls-node-b.pem") +
                                                                  lgsp::test::read_file(pki / "issuing-ca.pem"));
    lgsp::bus::TlsConfig tls;
    tls.certificate = bus_->dir() / "legacy-chain.pem";
    tls.private_key = pki / "tls-node-a.key";
    tls.client_ca = pki / "root-ca.pem";
    tls.require_client_certificate = true;
    tls_legacy_ = new lgsp::test::Listener(bus_->dir() / "tls-legacy", tls);
    tls_legacy_->router().add("POST", "/legacy/yeucau", [](lgsp::bus::HttpRequest& r, lgsp::bus::Reply reply) {
      std::lock_guard lock(legacy->mutex);
      legacy->tls_clients[r.header("lgsp-message-id").value_or("")] = r.peer_certificate_sha256;
      reply(lgsp::bus::HttpResponse::json(201, {{"maTiepNhan", "TN-TLS"}}));
    });
    tls_legacy_->start();
    tls_legacy_base_ = tls_legacy_->base();
    bus_->start(
        [](lgsp::bus::Registry& reg, const std::string& runner, const std::string& receiver, const fs::path& dir) {
          reg.add_member(kWard, "UBND phường Bến Thành");
          for (const char* s : {"HOTICHCU", "MOTCUA", "TUPHAP"}) reg.add_subsystem(kWard + "/" + s);
          const auto add = [&](const std::string& id, const std::string& endpoint, const std::string& response) {
            lgsp::bus::Service s;
            s.id = id;
            s.request_contract = "hotich.trichluc-request@v1";
            s.response_contract = response;
            s.endpoint = endpoint;
            s.timeout_ms = 5000;
            s.retry = {50, 50, 300};
            reg.add_service(s);
          };
          add(kSendService, receiver + "/in", "");
          add(kDeliverService, runner + "/adapters/hotich-giao/deliveries", "");
          add(kCallService, runner + "/adapters/hotich-tracuu/call", "hotich.trichluc-result@v1");
          add(kTlsService, runner + "/adapters/hotich-tls/deliveries", "");
          reg.grant(kSender, kTlsService);
          reg.grant(kLegacyClient, kSendService);
          reg.grant(kLegacyClient, kCallService);
          reg.grant(kSender, kDeliverService);
          reg.grant(kSender, kCallService);
          lgsp::test::write_text(dir / "hotich.key", reg.create_api_key(kLegacyClient) + "\n");
          lgsp::test::write_text(dir / "legacy-password", "mat-khau-cu\n");
          sender_key_ = reg.create_api_key(kSender);
        });
  }
  static void TearDownTestSuite() {
    delete bus_;
    if (tls_legacy_) tls_legacy_->stop();
    delete tls_legacy_;
    tls_legacy_ = nullptr;
    delete legacy;
  }
  void TearDown() override {
    if (bus_->runner_running()) bus_->stop_runner();
  }

  // The three adapters of this file in one runner.
  fs::path config(const std::string& test, const std::string& extra_inbound = "") {
    const std::string common =
        "client = \"" + kLegacyClient + "\"\napi_key_file = \"" + (bus_->dir() / "hotich.key").string() + "\"\n";
    const std::string legacy_url = listener_base();
    const std::string legacy_auth =
        "auth = \"basic\"\nuser = \"hotich\"\npassword_file = \"" + (bus_->dir() / "legacy-password").string() + "\"\n";
    return bus_->write_config(
        test,
        "[[adapter]]\nname = \"hotich-nhan\"\nkind = \"rest\"\n" + common + "service = \"" + kSendService +
            "\"\nmessage_id_field = \"maYeuCau\"\nsend_backoff_ms = 50\n" + extra_inbound + kRequestMapping +
            "\n[[adapter]]\nname = \"hotich-giao\"\nkind = \"rest\"\nmode = \"provider\"\n" + common + "service = \"" +
            kDeliverService + "\"\n" + kReverseRequestMapping + "[adapter.legacy]\nurl = \"" + legacy_url +
            "/legacy/yeucau\"\n" + legacy_auth +
            "\n[[adapter]]\nname = \"hotich-tracuu\"\nkind = \"rest\"\nmode = \"provider\"\n" + common +
            "service = \"" + kCallService + "\"\n" + kReverseRequestMapping + kResultMapping +
            "[adapter.legacy]\nurl = \"" + legacy_url + "/legacy/tracuu/{maYeuCau}\"\n" + legacy_auth +
            "\n[[adapter]]\nname = \"hotich-hoi\"\nkind = \"rest\"\nexchange = \"sync\"\n" + common + "service = \"" +
            kCallService + "\"\nmessage_id_field = \"maYeuCau\"\n" + kRequestMapping + kReverseResultMapping +
            "\n[[adapter]]\nname = \"hotich-tls\"\nkind = \"rest\"\nmode = \"provider\"\n" + common + "service = \"" +
            kTlsService + "\"\n" + kReverseRequestMapping + "[adapter.legacy]\nurl = \"" + tls_legacy_base_ +
            "/legacy/yeucau\"\nauth = \"mtls\"\ncertificate = \"" + (bus_->dir() / "adapter-chain.pem").string() +
            "\"\nprivate_key = \"" + (bus_->hsm() / "pki/tls-node-b.key").string() + "\"\nca = \"" +
            (bus_->hsm() / "pki/root-ca.pem").string() + "\"\n");
  }
  static std::string listener_base() {
    // The legacy stand-in listens beside the receiver.
    const std::string in = bus_->receiver_base();
    return in;
  }
  lgsp::test::ClientResponse post_legacy(const json& body, const std::map<std::string, std::string>& headers = {}) {
    return bus_->runner_request("POST", "/adapters/hotich-nhan/in", body.dump(), headers);
  }

  static inline lgsp::test::BusFixture* bus_ = nullptr;
  static inline lgsp::test::Listener* tls_legacy_ = nullptr;
  static inline std::string tls_legacy_base_;
  static inline std::string sender_key_;
};

TEST_F(RestTest, a_legacy_request_is_mapped_sent_once_and_answered_with_the_receipt) {
  bus_->start_runner(config("inbound"));
  auto r = post_legacy(legacy_request("YC-0001"));
  ASSERT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(json::parse(r.body)["message_id"], "YC-0001");
  ASSERT_TRUE(wait_until([] { return bus_->receiver().count("YC-0001") == 1; }, 20s));
  const auto got = json::parse(bus_->receiver().body("YC-0001"));
  EXPECT_EQ(got["lookup"]["person"]["date_of_birth"], "1990-12-25");
  EXPECT_EQ(got["requester"]["relation"], "parent");
  EXPECT_EQ(got["copies"], 1);
  EXPECT_EQ(got["requested_at"], "2026-03-01T08:30:00+07:00");
  // The legacy system sends it again (it never saw the answer): the node has it, the receiver gets it once.
  EXPECT_EQ(post_legacy(legacy_request("YC-0001")).status, 200u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(bus_->receiver().count("YC-0001"), 1);
}

TEST_F(RestTest, a_legacy_record_the_mapping_cannot_apply_to_is_refused_naming_its_field_and_nothing_is_sent) {
  bus_->start_runner(config("inbound_bad"));
  auto missing = legacy_request("YC-0002");
  missing["nguoiYeuCau"].erase("soDinhDanh");
  auto r = post_legacy(missing);
  EXPECT_EQ(r.status, 422u);
  auto problem = json::parse(r.body);
  EXPECT_EQ(problem["code"], "LGSP-422-MAPPING");
  EXPECT_EQ(problem["errors"][0]["field"], "nguoiYeuCau.soDinhDanh") << r.body;

  auto bad_date = legacy_request("YC-0003");
  bad_date["nguoiDuocCap"]["ngaySinh"] = "31/02/1990";
  problem = json::parse(post_legacy(bad_date).body);
  EXPECT_EQ(problem["errors"][0]["field"], "nguoiDuocCap.ngaySinh") << problem.dump();

  // Mapped but against the contract (a citizen id of 11 digits): named by the legacy field too.
  auto bad_id = legacy_request("YC-0004");
  bad_id["nguoiYeuCau"]["soDinhDanh"] = "07909000123";
  problem = json::parse(post_legacy(bad_id).body);
  EXPECT_EQ(problem["errors"][0]["field"], "nguoiYeuCau.soDinhDanh") << problem.dump();

  EXPECT_EQ(post_legacy(json::parse("[1, 2]")).status, 422u);
  EXPECT_EQ(bus_->runner_request("POST", "/adapters/hotich-nhan/in", "{not json").status, 400u);
  std::this_thread::sleep_for(300ms);
  for (const char* id : {"YC-0002", "YC-0003", "YC-0004"}) EXPECT_EQ(bus_->receiver().count(id), 0) << id;
}

TEST_F(RestTest, the_inbound_route_takes_the_legacy_systems_token_only_when_one_is_set) {
  lgsp::test::write_text(bus_->dir() / "inbound-token", "legacy-secret\n");
  bus_->start_runner(
      config("inbound_token", "inbound_token_file = \"" + (bus_->dir() / "inbound-token").string() + "\"\n"));
  EXPECT_EQ(post_legacy(legacy_request("YC-0010")).status, 403u);
  EXPECT_EQ(post_legacy(legacy_request("YC-0010"), {{"authorization", "Bearer wrong"}}).status, 403u);
  EXPECT_EQ(post_legacy(legacy_request("YC-0010"), {{"authorization", "Bearer legacy-secret"}}).status, 202u);
}

TEST_F(RestTest, a_delivery_reaches_the_legacy_system_in_its_names_after_it_comes_back_up) {
  bus_->start_runner(config("deliver"));
  legacy->down = 2;  // the legacy system is down for its first two attempts: the node retries
  const auto r = bus_->send(sender_key_, kSender, kDeliverService, "GIAO-1", contract_request("YC-0100").dump());
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(wait_until(
      [] {
        std::lock_guard lock(legacy->mutex);
        return legacy->taken.count("GIAO-1") == 1;
      },
      30s));
  std::lock_guard lock(legacy->mutex);
  EXPECT_EQ(legacy->down, 0);
  EXPECT_EQ(legacy->unauthorized, 0);
  EXPECT_EQ(legacy->taken["GIAO-1"], 1);
  const auto& body = legacy->bodies["GIAO-1"];
  EXPECT_EQ(body["maYeuCau"], "YC-0100");
  EXPECT_EQ(body["loaiSuKien"], "KS");
  EXPECT_EQ(body["nguoiDuocCap"]["ngaySinh"], "03/02/2001");
  EXPECT_EQ(body["soBan"], "2");  // the legacy system takes its counts as text
  EXPECT_FALSE(body.contains("requester"));
}

TEST_F(RestTest, a_delivery_the_legacy_system_refuses_is_a_dead_letter_with_its_reason) {
  const auto file = config("refused");
  bus_->start_runner(file);
  ASSERT_EQ(
      bus_->send(sender_key_, kSender, kDeliverService, "GIAO-2", contract_request("YC-0101", "Không Hợp Lệ").dump())
          .status,
      202u);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = bus_->lgsp({"adapter", "dlq", "list", "--config", file.string(), "--json"});
        return r.exit_code == 0 && r.out.find("GIAO-2") != std::string::npos;
      },
      20s));
  const auto list = json::parse(bus_->lgsp({"adapter", "dlq", "list", "--config", file.string(), "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["adapter"], "hotich-giao");
  EXPECT_NE(list[0]["reason"].get<std::string>().find("400"), std::string::npos) << list.dump();
  {
    std::lock_guard lock(legacy->mutex);
    EXPECT_EQ(legacy->taken.count("GIAO-2"), 0u);
  }
  // Replayed while the legacy system still refuses it: kept, one attempt more.
  const auto id = std::to_string(list[0]["id"].get<std::int64_t>());
  EXPECT_EQ(bus_->lgsp({"adapter", "dlq", "replay", "--config", file.string(), id}).exit_code, 1);
  // Once the legacy system takes the name, the replay hands it over and the letter goes.
  legacy->refuse_invalid = false;
  const auto replay = bus_->lgsp({"adapter", "dlq", "replay", "--config", file.string(), id});
  legacy->refuse_invalid = true;
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_EQ(json::parse(bus_->lgsp({"adapter", "dlq", "list", "--config", file.string(), "--json"}).out).size(), 0u);
  std::lock_guard lock(legacy->mutex);
  EXPECT_EQ(legacy->taken["GIAO-2"], 1);
}

TEST_F(RestTest, a_call_through_the_node_reaches_the_legacy_system_and_its_answer_comes_back_in_the_contract) {
  bus_->start_runner(config("call"));
  const auto r = bus_->call(sender_key_, kSender, kCallService, contract_request("YC-0200").dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto answer = json::parse(r.body);
  EXPECT_EQ(answer["request_id"], "YC-0200");
  EXPECT_EQ(answer["status"], "not_found");
  EXPECT_EQ(answer["message"], "Không tìm thấy trong sổ");
  EXPECT_FALSE(r.headers.at("lgsp-signature").empty());  // sealed by the node, request and answer together
  std::lock_guard lock(legacy->mutex);
  EXPECT_EQ(legacy->bodies["tracuu-YC-0200"]["nguoiDuocCap"]["hoTen"], "Trần Thị Bé");
}

TEST_F(RestTest, a_sync_call_from_the_legacy_system_is_answered_in_its_own_names) {
  bus_->start_runner(config("inbound_sync"));
  // legacy -> hotich-hoi -> node /v1/call -> hotich-tracuu -> the legacy system's lookup, and back.
  const auto r = bus_->runner_request("POST", "/adapters/hotich-hoi/in", legacy_request("YC-0300").dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto answer = json::parse(r.body);
  EXPECT_EQ(answer, json::parse(R"({"maYeuCau": "YC-0300", "ketQua": 0, "lyDo": "Không tìm thấy trong sổ"})"));
}

TEST_F(RestTest, a_delivery_the_mapping_cannot_apply_to_is_a_dead_letter_naming_the_field) {
  const auto file = config("undatable");
  bus_->start_runner(file);
  auto doc = contract_request("YC-0102");
  doc["lookup"]["person"]["date_of_birth"] = "2001-02-30";  // the contract's pattern allows it; the calendar does not
  ASSERT_EQ(bus_->send(sender_key_, kSender, kDeliverService, "GIAO-3", doc.dump()).status, 202u);
  ASSERT_TRUE(wait_until(
      [&] {
        return bus_->lgsp({"adapter", "dlq", "list", "--config", file.string(), "--json"}).out.find("GIAO-3") !=
               std::string::npos;
      },
      20s));
  const auto list = json::parse(bus_->lgsp({"adapter", "dlq", "list", "--config", file.string(), "--json"}).out);
  EXPECT_EQ(list.back()["reason"].get<std::string>().rfind("lookup.person.date_of_birth:", 0), 0u) << list.dump();
  std::lock_guard lock(legacy->mutex);
  EXPECT_EQ(legacy->taken.count("GIAO-3"), 0u);
}

TEST_F(RestTest, the_legacy_system_behind_mutual_tls_gets_the_adapters_client_certificate) {
  bus_->start_runner(config("mtls"));
  ASSERT_EQ(bus_->send(sender_key_, kSender, kTlsService, "TLS-1", contract_request("YC-0400").dump()).status, 202u);
  ASSERT_TRUE(wait_until(
      [] {
        std::lock_guard lock(legacy->mutex);
        return legacy->tls_clients.count("TLS-1") == 1;
      },
      20s));
  std::lock_guard lock(legacy->mutex);
  EXPECT_EQ(legacy->tls_clients["TLS-1"].size(), 64u);  // the handshake verified a client certificate
}

TEST_F(RestTest, a_mapping_that_does_not_fit_the_contract_stops_the_runner_naming_the_field) {
  auto text = lgsp::test::read_file(config("bad_mapping"));
  const std::string from = "\"mucDich\" = \"purpose\"\n";
  text.replace(text.find(from), from.size(), from + "\"diaChi\" = \"requester.address\"\n");
  const auto file = bus_->dir() / "bad_mapping" / "adapters.toml";
  lgsp::test::write_text(file, text);
  lgsp::test::Process runner({LGSP_BINARY, "adapter", "run", "--config", file.string()},
                             file.parent_path() / "bad.log");
  EXPECT_NE(runner.wait(20s), 0);
  const auto log = lgsp::test::read_file(file.parent_path() / "bad.log");
  EXPECT_NE(log.find("to_contract.fields.diaChi"), std::string::npos) << log;
  EXPECT_NE(log.find("requester.address"), std::string::npos) << log;
}

}  // namespace
