// The soap adapter end to end, with real peers: zeep (the legacy SOAP client) reads the WSDL the adapter
// generates and calls through `lgsp adapter run` and a real `lgsp serve` (sealing with hsm-sim's lgsp-node
// token) to a provider that is itself a soap adapter in front of spyne (the legacy SOAP service). SOAP 1.1 and
// 1.2, UsernameToken, faults both ways, one-way notices delivered by the node, hostile envelopes.
#include "http_client.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::HttpClient;
using lgsp::test::Process;
using nlohmann::json;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kHere = SOAP_TEST_DIR;
const std::string kPython = "/usr/bin/python3";  // Debian's, where python3-zeep and python3-spyne are
const std::string kMember = "000.00.00.H29";
const std::string kClient = kMember + "/MOTCUA";
const std::string kProvider = kMember + "/HOTICH";
const std::string kTraCuu = kProvider + "/tracuu/v1";
const std::string kTraCuu12 = kProvider + "/tracuu12/v1";
const std::string kTraCuuDown = kProvider + "/tracuudown/v1";
const std::string kTraCuuLocked = kProvider + "/tracuulocked/v1";
const std::string kTraCuuNotSoap = kProvider + "/tracuunotsoap/v1";
const std::string kTraCuuSlow = kProvider + "/tracuuslow/v1";
const std::string kThongBao = kProvider + "/thongbao/v1";
const std::string kUserPassword = "mat-khau-2012";

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::string request_xml(const std::string& so_dang_ky) {
  return "<TraCuuKhaiSinh xmlns=\"urn:hotich:tracuu:v1\"><soDangKy>" + so_dang_ky + "</soDangKy></TraCuuKhaiSinh>";
}

std::string envelope11(const std::string& body, bool declaration = true) {
  return std::string(declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" : "") +
         "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" + body + "</s:Body></s:Envelope>";
}

std::string envelope12(const std::string& body) {
  return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>" + body + "</s:Body></s:Envelope>";
}

class SoapEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-soap-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);

    // The legacy SOAP services (spyne), SOAP 1.1 behind HTTP Basic, and SOAP 1.2.
    legacy11_ = std::make_unique<Process>(
        std::vector<std::string>{kPython, (kHere / "legacy_service.py").string(), "--version", "1.1", "--received",
                                 (dir_ / "received11.txt").string(), "--user", "hotich", "--password", "legacy-pw"},
        dir_ / "legacy11.log");
    legacy12_ =
        std::make_unique<Process>(std::vector<std::string>{kPython, (kHere / "legacy_service.py").string(), "--version",
                                                           "1.2", "--received", (dir_ / "received12.txt").string()},
                                  dir_ / "legacy12.log");

    // The node.
    node_port_ = lgsp::test::free_port();
    runner_port_ = lgsp::test::free_port();
    auto env = lgsp::test::hsm_sim_env(hsm_);
    env.push_back("LGSP_SIGNING_CA_CHAIN=" + (hsm_ / "pki/issuing-ca.pem").string());
    env.push_back("LGSP_CONTRACTS_DIR=" + (kHere / "contracts").string());
    env.push_back("LGSP_DELIVERY_POLL_INTERVAL_MS=50");
    node_env_ = env;
    node_ = std::make_unique<Process>(
        std::vector<std::string>{kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(node_port_), "--data-dir",
                                 (dir_ / "node").string()},
        dir_ / "node.log", env);
    ASSERT_TRUE(wait_http(node_port_, "/readyz")) << lgsp::test::read_file(dir_ / "node.log");

    // The registry: the one-stop office (MOTCUA) calls the civil-status system (HOTICH) through the adapters.
    const std::string runner = "http://127.0.0.1:" + std::to_string(runner_port_) + "/adapters/";
    cli({"member", "add", kMember, "--name", "Sở Tư pháp"});
    cli({"subsystem", "add", kClient});
    cli({"subsystem", "add", kProvider});
    for (const auto& [service, adapter] :
         std::vector<std::pair<std::string, std::string>>{{kTraCuu, "hotich-legacy"},
                                                          {kTraCuu12, "hotich-legacy12"},
                                                          {kTraCuuDown, "hotich-down"},
                                                          {kTraCuuLocked, "hotich-locked"},
                                                          {kTraCuuNotSoap, "hotich-notsoap"},
                                                          {kTraCuuSlow, "hotich-slow"}}) {
      cli({"service", "add", service, "--contract", "hotich.tracuu-request@v1", "--response-contract",
           "hotich.tracuu-result@v1", "--endpoint", runner + adapter, "--timeout-ms", "5000"});
      cli({"acl", "grant", kClient, service});
    }
    cli({"service", "add", kThongBao, "--contract", "hotich.thongbao@v1", "--endpoint", runner + "hotich-legacy",
         "--initial-backoff-ms", "100", "--max-backoff-ms", "200"});
    cli({"acl", "grant", kClient, kThongBao});
    client_key_ = api_key(kClient);
    write(dir_ / "motcua.key", client_key_ + "\n");
    write(dir_ / "hotich.key", api_key(kProvider) + "\n");
    write(dir_ / "legacy.pw", "legacy-pw\n");
    write(dir_ / "soap-users.txt", "# the one-stop office's SOAP client\nmotcua:" + kUserPassword + "\n");

    ASSERT_TRUE(wait_ready_line(dir_ / "legacy11.log", legacy11_port_)) << lgsp::test::read_file(dir_ / "legacy11.log");
    ASSERT_TRUE(wait_ready_line(dir_ / "legacy12.log", legacy12_port_)) << lgsp::test::read_file(dir_ / "legacy12.log");

    const std::string operation = R"(
[[adapter.operation]]
name = "TraCuuKhaiSinh"
service = ")" + kTraCuu + R"("
request_contract = "hotich.tracuu-request@v1"
response_contract = "hotich.tracuu-result@v1"
)";
    const std::string node_identity = "client = \"" + kClient + "\"\napi_key_file = \"motcua.key\"\n";
    const std::string provider_identity = "client = \"" + kProvider + "\"\napi_key_file = \"hotich.key\"\n";
    write(dir_ / "adapters.toml",
          "[runner]\nlisten = \"127.0.0.1:" + std::to_string(runner_port_) + "\"\nstate_dir = \"state\"\n" +
              "[node]\nurl = \"http://127.0.0.1:" + std::to_string(node_port_) + "\"\ntrust_roots = \"" +
              (hsm_ / "pki/root-ca.pem").string() + "\"\nnode_certificates = \"" +
              (hsm_ / "pki/lgsp-node.pem").string() + "\"\ncontracts_dir = \"" + (kHere / "contracts").string() +
              "\"\n"
              // Legacy clients with a user name and password (UsernameToken).
              "[[adapter]]\nname = \"hotich-soap\"\nkind = \"soap\"\nmode = \"expose\"\n" +
              node_identity + "service_name = \"HoTich\"\n[adapter.security]\nusers_file = \"soap-users.txt\"\n" +
              operation +
              R"(
[[adapter.operation]]
name = "ThongBaoKhaiSinh"
mode = "message"
service = ")" +
              kThongBao +
              R"("
request_contract = "hotich.thongbao@v1"
)"
              // Without WS-Security, and a small size limit: the hostile-input tests.
              "[[adapter]]\nname = \"hotich-open\"\nkind = \"soap\"\nmode = \"expose\"\n" +
              node_identity + "max_body_bytes = 65536\n" + operation +
              // The providers: spyne behind SOAP 1.1 + Basic, spyne SOAP 1.2, a service that is down, and a
              // route that takes unsigned calls from nowhere.
              "[[adapter]]\nname = \"hotich-legacy\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:" + std::to_string(legacy11_port_) +
              "/\"\nbasic_user = \"hotich\"\nbasic_password_file = \"legacy.pw\"\ntimeout_ms = 4000\n" +
              "[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n[[adapter.operation]]\nname = \"ThongBaoKhaiSinh\"\n" +
              "[[adapter]]\nname = \"hotich-legacy12\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:" + std::to_string(legacy12_port_) + "/\"\nsoap_version = \"1.2\"\n" +
              "[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\nelement = \"{urn:hotich:tracuu:v1}TraCuuKhaiSinh\"\n" +
              "[[adapter]]\nname = \"hotich-down\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:1/\"\n[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n" +
              "[[adapter]]\nname = \"hotich-locked\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:" + std::to_string(legacy12_port_) +
              "/\"\ncall_from = []\n[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n" +
              // A "legacy service" that answers, but not SOAP (the node's own problem+json).
              "[[adapter]]\nname = \"hotich-notsoap\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:" + std::to_string(node_port_) +
              "/v1/nothing\"\n[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n" +
              // A legacy service slower than the adapter waits.
              "[[adapter]]\nname = \"hotich-slow\"\nkind = \"soap\"\nmode = \"provide\"\n" + provider_identity +
              "endpoint = \"http://127.0.0.1:" + std::to_string(legacy12_port_) + "/\"\nsoap_version = \"1.2\"\n" +
              "timeout_ms = 300\n[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n");
    runner_ = std::make_unique<Process>(
        std::vector<std::string>{kLgsp, "adapter", "run", "--config", (dir_ / "adapters.toml").string()},
        dir_ / "runner.log");
    ASSERT_TRUE(wait_http(runner_port_, "/healthz")) << lgsp::test::read_file(dir_ / "runner.log");
  }

  static void TearDownTestSuite() {
    runner_.reset();
    node_.reset();
    legacy11_.reset();
    legacy12_.reset();
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  static bool wait_http(unsigned short port, const std::string& path) {
    for (int i = 0; i < 300; ++i) {
      try {
        HttpClient c("127.0.0.1", port);
        if (c.request("GET", path).status == 200) return true;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static bool wait_ready_line(const fs::path& log, unsigned short& port) {
    static const std::regex ready("ready ([0-9]+)");
    for (int i = 0; i < 500; ++i) {
      std::smatch m;
      const std::string text = fs::exists(log) ? lgsp::test::read_file(log) : "";
      if (std::regex_search(text, m, ready)) {
        port = static_cast<unsigned short>(std::stoi(m[1]));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static lgsp::test::RunResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), kLgsp);
    args.push_back("--data-dir");
    args.push_back((dir_ / "node").string());
    auto r = lgsp::test::run(args, "", node_env_);
    EXPECT_EQ(r.exit_code, 0) << args[1] << " " << args[2] << ": " << r.err;
    return r;
  }

  static std::string api_key(const std::string& subsystem) {
    auto out = cli({"apikey", "create", subsystem}).out;
    std::smatch m;
    static const std::regex key("([A-Za-z0-9_-]{20,})");
    EXPECT_TRUE(std::regex_search(out, m, key)) << out;
    return m[1];
  }

  // zeep, reading the WSDL of `adapter`, runs `cases` (see legacy_client.py).
  static json zeep(const std::string& adapter, const json& cases) {
    const std::string wsdl = "http://127.0.0.1:" + std::to_string(runner_port_) + "/adapters/" + adapter + "?wsdl";
    auto r = lgsp::test::run({kPython, (kHere / "legacy_client.py").string(), wsdl}, cases.dump());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto results = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(results.is_array()) << r.out << r.err;
    return results.is_array() ? results : json::array();
  }

  static lgsp::test::ClientResponse post(const std::string& adapter, const std::string& body,
                                         const std::map<std::string, std::string>& headers) {
    HttpClient c("127.0.0.1", runner_port_);
    return c.request("POST", "/adapters/" + adapter, body, headers);
  }

  static lgsp::test::ClientResponse call(const std::string& service, const std::string& body) {
    HttpClient c("127.0.0.1", node_port_);
    return c.request(
        "POST", "/v1/call/" + service, body,
        {{"Content-Type", "application/xml"}, {"Authorization", "Bearer " + client_key_}, {"LGSP-Client", kClient}});
  }

  static std::string code_of(const lgsp::test::ClientResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("code", "") : "";
  }

  static inline fs::path hsm_, dir_;
  static inline std::vector<std::string> node_env_;
  static inline unsigned short node_port_ = 0, runner_port_ = 0, legacy11_port_ = 0, legacy12_port_ = 0;
  static inline std::string client_key_;
  static inline std::unique_ptr<Process> legacy11_, legacy12_, node_, runner_;
};

json auth(bool digest, const std::string& password = kUserPassword) {
  return {{"user", "motcua"}, {"password", password}, {"digest", digest}};
}

}  // namespace

TEST_F(SoapEndToEnd, zeep_calls_a_spyne_service_through_adapters_and_node_in_soap_11_and_12) {
  const json results =
      zeep("hotich-soap", json::array({{{"port", "HoTichSoap11"},
                                        {"op", "TraCuuKhaiSinh"},
                                        {"args", {{"soDangKy", "KS-2012/15"}}},
                                        {"auth", auth(false)}},
                                       {{"port", "HoTichSoap12"},
                                        {"op", "TraCuuKhaiSinh"},
                                        {"args", {{"soDangKy", "KS-2012/16"}, {"hoTen", "Trần Thị Bình"}}},
                                        {"auth", auth(true)}}}));
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].value("ok", false)) << results[0].dump();
  EXPECT_EQ(results[0]["value"]["soDangKy"], "KS-2012/15");
  EXPECT_EQ(results[0]["value"]["hoTen"], "Nguyễn Văn An");
  EXPECT_EQ(results[0]["value"]["ngaySinh"], "2012-03-04");
  ASSERT_TRUE(results[1].value("ok", false)) << results[1].dump();
  EXPECT_EQ(results[1]["value"]["hoTen"], "Trần Thị Bình");
}

TEST_F(SoapEndToEnd, the_wsdl_has_both_bindings_at_the_runner_address) {
  HttpClient c("127.0.0.1", runner_port_);
  auto r = c.request("GET", "/adapters/hotich-soap?wsdl");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.headers["content-type"].find("text/xml"), std::string::npos);
  const std::string address = "location=\"http://127.0.0.1:" + std::to_string(runner_port_) + "/adapters/hotich-soap\"";
  EXPECT_NE(r.body.find("<soap:address " + address), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<soap12:address " + address), std::string::npos) << r.body;
}

TEST_F(SoapEndToEnd, username_token_is_required_and_checked) {
  const json call = {{"port", "HoTichSoap11"}, {"op", "TraCuuKhaiSinh"}, {"args", {{"soDangKy", "KS-1"}}}};
  json wrong = call, missing = call, digest_wrong = call;
  wrong["auth"] = auth(false, "doan-mo");
  digest_wrong["auth"] = auth(true, "doan-mo");
  const json results = zeep("hotich-soap", json::array({wrong, missing, digest_wrong}));
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.contains("fault")) << r.dump();
    EXPECT_NE(r["fault"]["message"].get<std::string>().find("LGSP-401-SOAP-AUTH"), std::string::npos) << r.dump();
    EXPECT_NE(r["fault"]["detail"].get<std::string>().find("LGSP-401-SOAP-AUTH"), std::string::npos) << r.dump();
  }
  // A replayed digest (same nonce and Created) is refused.
  const std::string created = [] {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return std::string(buf);
  }();
  auto digest = lgsp::test::run(
      {kPython, "-c",
       "import base64,hashlib,sys;print(base64.b64encode(hashlib.sha1(b'nonce-e2e-1'+sys.argv[1].encode()+sys.argv[2]."
       "encode()).digest()).decode())",
       created, kUserPassword});
  std::string password = digest.out.substr(0, digest.out.find('\n'));
  const std::string header =
      "<s:Header><wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-wssecurity-secext-1.0.xsd\" xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-wssecurity-utility-1.0.xsd\"><wsse:UsernameToken><wsse:Username>motcua</wsse:Username>"
      "<wsse:Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">" +
      password + "</wsse:Password><wsse:Nonce>bm9uY2UtZTJlLTE=</wsse:Nonce><wsu:Created>" + created +
      "</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>";
  std::string body = envelope11(request_xml("KS-9"));
  body.insert(body.find("<s:Body>"), header);
  const std::map<std::string, std::string> h = {{"Content-Type", "text/xml; charset=utf-8"},
                                                {"SOAPAction", "\"TraCuuKhaiSinh\""}};
  auto first = post("hotich-soap", body, h);
  EXPECT_EQ(first.status, 200u) << first.body;
  auto replayed = post("hotich-soap", body, h);
  EXPECT_EQ(replayed.status, 500u) << replayed.body;
  EXPECT_NE(replayed.body.find("already used"), std::string::npos) << replayed.body;
}

TEST_F(SoapEndToEnd, a_spyne_fault_reaches_the_bus_caller_as_LGSP_502_SOAP_FAULT) {
  // Straight to the node: the provider adapter's problem passes through the node.
  auto direct = call(kTraCuu, request_xml("LOI-7"));
  EXPECT_EQ(direct.status, 502u) << direct.body;
  EXPECT_EQ(code_of(direct), "LGSP-502-SOAP-FAULT") << direct.body;
  auto problem = json::parse(direct.body);
  EXPECT_NE(problem["faultcode"].get<std::string>().find("Client.KhongTimThay"), std::string::npos) << direct.body;
  EXPECT_NE(problem["faultstring"].get<std::string>().find("LOI-7"), std::string::npos) << direct.body;
  // And to a SOAP client, as a fault with that code.
  const json results = zeep("hotich-soap", json::array({{{"port", "HoTichSoap11"},
                                                         {"op", "TraCuuKhaiSinh"},
                                                         {"args", {{"soDangKy", "LOI-8"}}},
                                                         {"auth", auth(false)}}}));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].contains("fault")) << results[0].dump();
  EXPECT_NE(results[0]["fault"]["message"].get<std::string>().find("LGSP-502-SOAP-FAULT"), std::string::npos)
      << results[0].dump();
}

TEST_F(SoapEndToEnd, provide_in_soap_12_and_legacy_down_and_unsigned_callers) {
  auto ok = call(kTraCuu12, request_xml("KS-12"));
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_NE(ok.body.find("TraCuuKhaiSinhResponse"), std::string::npos);
  EXPECT_NE(ok.body.find(">KS-12<"), std::string::npos);
  EXPECT_TRUE(ok.headers.count("lgsp-signature")) << "the node sealed the answer";
  auto fault12 = call(kTraCuu12, request_xml("LOI-12"));
  EXPECT_EQ(code_of(fault12), "LGSP-502-SOAP-FAULT") << fault12.body;

  auto down = call(kTraCuuDown, request_xml("KS-1"));
  EXPECT_EQ(down.status, 503u) << down.body;
  EXPECT_EQ(code_of(down), "LGSP-503-SOAP-LEGACY") << down.body;

  auto slow = call(kTraCuuSlow, request_xml("CHAM-1"));
  EXPECT_EQ(slow.status, 504u) << slow.body;
  EXPECT_EQ(code_of(slow), "LGSP-504-SOAP-LEGACY") << slow.body;

  auto not_soap = call(kTraCuuNotSoap, request_xml("KS-1"));
  EXPECT_EQ(not_soap.status, 502u) << not_soap.body;
  EXPECT_EQ(code_of(not_soap), "LGSP-502-SOAP-ANSWER") << not_soap.body;

  // The payload of a provide route is the contract's XML element: JSON is refused before any call.
  auto json_payload = post("hotich-legacy", "{\"soDangKy\": \"KS-1\"}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(json_payload.status, 400u) << json_payload.body;
  EXPECT_EQ(code_of(json_payload), "LGSP-400-SOAP-PAYLOAD") << json_payload.body;

  auto locked = call(kTraCuuLocked, request_xml("KS-1"));
  EXPECT_EQ(locked.status, 403u) << locked.body;
  EXPECT_EQ(code_of(locked), "LGSP-403-SOAP-CALLER") << locked.body;

  // A delivery with a forged seal is refused before the legacy service sees it.
  auto forged = post("hotich-legacy",
                     "<ThongBaoKhaiSinh xmlns=\"urn:hotich:tracuu:v1\"><soDangKy>GIA-1</soDangKy></ThongBaoKhaiSinh>",
                     {{"Content-Type", "application/xml"},
                      {"LGSP-Signature", "{\"forged\":true}"},
                      {"LGSP-Message-Id", "x"},
                      {"LGSP-Client", kClient},
                      {"LGSP-Service", kThongBao}});
  EXPECT_EQ(forged.status, 403u) << forged.body;
  EXPECT_EQ(lgsp::test::read_file(dir_ / "received11.txt").find("GIA-1"), std::string::npos);
}

TEST_F(SoapEndToEnd, a_one_way_notice_is_answered_with_the_receipt_and_delivered_to_spyne) {
  const json results = zeep("hotich-soap", json::array({{{"port", "HoTichSoap12"},
                                                         {"op", "ThongBaoKhaiSinh"},
                                                         {"args", {{"soDangKy", "TB-2026/1"}}},
                                                         {"auth", auth(true)}}}));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].value("ok", false)) << results[0].dump();
  EXPECT_EQ(results[0]["value"]["status"], "accepted");
  EXPECT_EQ(results[0]["value"]["service"], kThongBao);
  EXPECT_EQ(results[0]["value"]["payload_sha256"].get<std::string>().size(), 64u);
  // The node delivers it, sealed, to the provide adapter, which calls spyne.
  bool delivered = false;
  for (int i = 0; i < 250 && !delivered; ++i) {
    delivered = fs::exists(dir_ / "received11.txt") &&
                lgsp::test::read_file(dir_ / "received11.txt").find("TB-2026/1") != std::string::npos;
    if (!delivered) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(delivered) << lgsp::test::read_file(dir_ / "runner.log");
}

TEST_F(SoapEndToEnd, a_notice_the_legacy_service_faults_on_is_retried_by_the_node) {
  const json results = zeep("hotich-soap", json::array({{{"port", "HoTichSoap11"},
                                                         {"op", "ThongBaoKhaiSinh"},
                                                         {"args", {{"soDangKy", "LOI-TB-2"}}},
                                                         {"auth", auth(false)}}}));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].value("ok", false)) << results[0].dump();
  // spyne records each attempt before its fault; the adapter answers the node 502, so the node tries again.
  int attempts = 0;
  for (int i = 0; i < 250 && attempts < 2; ++i) {
    const std::string received =
        fs::exists(dir_ / "received11.txt") ? lgsp::test::read_file(dir_ / "received11.txt") : "";
    attempts = 0;
    for (auto at = received.find("LOI-TB-2"); at != std::string::npos; at = received.find("LOI-TB-2", at + 1))
      ++attempts;
    if (attempts < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(attempts, 2) << lgsp::test::read_file(dir_ / "runner.log");
}

TEST_F(SoapEndToEnd, hostile_and_wrong_requests_are_faults_never_crashes) {
  const std::map<std::string, std::string> soap11 = {{"Content-Type", "text/xml; charset=utf-8"},
                                                     {"SOAPAction", "\"TraCuuKhaiSinh\""}};
  const std::map<std::string, std::string> soap12 = {{"Content-Type", "application/soap+xml; charset=utf-8"}};
  // Ten levels of ten: 10^10 bytes if a parser expanded it.
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY e0 \"aaaaaaaaaa\">";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY e" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) laughs += "&e" + std::to_string(i - 1) + ";";
    laughs += "\">";
  }
  laughs += "]>" + envelope11(request_xml("&e9;"), false);
  struct Case {
    std::string what, body;
    std::map<std::string, std::string> headers;
    unsigned status;
    std::string code;
  };
  std::string wide = "<TraCuuKhaiSinh xmlns=\"urn:hotich:tracuu:v1\"";
  for (int i = 0; i < 100; ++i) wide += " a" + std::to_string(i) + "=\"1\"";
  wide += "><soDangKy>KS-1</soDangKy></TraCuuKhaiSinh>";
  const std::vector<Case> cases = {
      {"not well-formed", "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>", soap11, 500,
       "LGSP-400-SOAP-ENVELOPE"},
      {"XXE",
       "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
           envelope11(request_xml("&x;"), false),
       soap11, 500, "LGSP-400-SOAP-ENVELOPE"},
      {"billion laughs", laughs, soap11, 500, "LGSP-400-SOAP-ENVELOPE"},
      {"too many attributes", envelope11(wide), soap11, 500, "LGSP-400-SOAP-ENVELOPE"},
      {"too large", envelope11(request_xml(std::string(70000, 'A'))), soap11, 500, "LGSP-413-SOAP-SIZE"},
      {"far too large (1.2)", envelope12(request_xml(std::string(1 << 20, 'A'))), soap12, 400, "LGSP-413-SOAP-SIZE"},
      {"json", "{\"soDangKy\": \"KS-1\"}", {{"Content-Type", "application/json"}}, 500, "LGSP-400-SOAP-VERSION"},
      {"no SOAPAction", envelope11(request_xml("KS-1")), {{"Content-Type", "text/xml"}}, 500, "LGSP-400-SOAP-VERSION"},
      {"1.2 envelope as 1.1", envelope12(request_xml("KS-1")), soap11, 500, "LGSP-400-SOAP-VERSION"},
      {"unknown operation", envelope12("<x:Other xmlns:x=\"urn:x\"/>"), soap12, 400, "LGSP-400-SOAP-OPERATION"},
      {"mustUnderstand header (1.2: 500)",
       "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header><t:Giao xmlns:t=\"urn:t\" "
       "s:mustUnderstand=\"true\"/></s:Header><s:Body>" +
           request_xml("KS-1") + "</s:Body></s:Envelope>",
       soap12, 500, "LGSP-400-SOAP-MUST-UNDERSTAND"},
      {"wrong action",
       envelope11(request_xml("KS-1")),
       {{"Content-Type", "text/xml"}, {"SOAPAction", "\"XoaHoSo\""}},
       500,
       "LGSP-400-SOAP-OPERATION"},
      {"breaks the contract (1.2: 400)", envelope12(request_xml("khong hop le")), soap12, 400, "LGSP-400-CONTRACT"},
      {"utf-16",
       envelope11(request_xml("KS-1")),
       {{"Content-Type", "text/xml; charset=utf-16"}, {"SOAPAction", "\"\""}},
       500,
       "LGSP-400-SOAP-ENVELOPE"},
  };
  for (const auto& c : cases) {
    auto r = post("hotich-open", c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find(c.code), std::string::npos) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find("Fault"), std::string::npos) << c.what << ": " << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << c.what << ": no file content leaks";
  }
  // The runner is still there, and a good request still works.
  auto good = post("hotich-open", envelope11(request_xml("KS-2")), soap11);
  EXPECT_EQ(good.status, 200u) << good.body;
  EXPECT_NE(good.body.find("KS-2"), std::string::npos);
}

TEST_F(SoapEndToEnd, the_runner_refuses_to_start_an_expose_adapter_whose_contract_it_cannot_use) {
  for (const auto& [contract, why] : std::vector<std::pair<std::string, std::string>>{
           {"hotich.nosuch@v1", "no contract hotich.nosuch@v1"},
           {"hotich.tracuu-request@v1\"\nrequest_element = \"Other", "no global element Other"}}) {
    write(dir_ / "bad.toml",
          "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"bad-state\"\n[node]\nurl = \"http://127.0.0.1:" +
              std::to_string(node_port_) + "\"\ncontracts_dir = \"" + (kHere / "contracts").string() +
              "\"\n[[adapter]]\nname = \"bad\"\nkind = \"soap\"\nmode = \"expose\"\nclient = \"" + kClient +
              "\"\napi_key_file = \"motcua.key\"\n[[adapter.operation]]\nname = \"A\"\n" + "service = \"" + kTraCuu +
              "\"\nrequest_contract = \"" + contract + "\"\nresponse_contract = \"hotich.tracuu-result@v1\"\n");
    auto r = lgsp::test::run({kLgsp, "adapter", "run", "--config", (dir_ / "bad.toml").string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  }
}
