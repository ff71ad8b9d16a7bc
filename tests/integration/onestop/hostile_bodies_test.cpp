// `lgsp onestop serve` as run, sent every JSON type (and worse) on every route the office has, signed in and not:
// the process lives, and nothing is answered 500 or left without an answer.
#include "lgsp/contracts/base64.hpp"
#include "lgsp/onestop/api.hpp"
#include "lgsp/onestop/server.hpp"
#include "lgsp/signing/trust.hpp"
#include "office_process.hpp"

#include <gtest/gtest.h>

#include <set>

namespace fs = std::filesystem;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const std::string kWard = "000.00.13.H29";

// Bodies of every JSON type, not-JSON, and empty.
const std::vector<std::string> kBodies = {
    "null", "true", "1",        "-1.5", "1e400",   "\"s\"", "[]", "{}", R"({"all":"yes"})",
    "[{}]", "{",    "not json", "",     "\xff\xfe"};

// Fields the office's bodies have, each set in turn to a value of every wrong type.
const std::vector<std::string> kFields = {
    "procedure_code", "customer_code", "channel",    "documents", "applicant",      "note",
    "reason",         "unit",          "to",         "days",      "amount",         "second_factor",
    "name",           "media_type",    "token",      "pin",       "content_base64", "code",
    "key_id",         "role",          "username",   "full_name", "id_number",      "date_of_birth",
    "phone",          "procedures",    "sha256",     "title",     "prepared",       "signature",
    "certificate",    "chain",         "event_type", "lookup",    "requester",      "relation",
    "purpose",        "copies"};
const std::vector<json> kWrong = {nullptr,
                                  true,
                                  1,
                                  -1.5,
                                  "s",
                                  json::array(),
                                  json::object(),
                                  json::array({json::object()}),
                                  json{{"code", json::array()}}};

// Routes that read a JSON object from the body: a body of another type is refused there.
bool reads_json(const std::string& method, const std::string& pattern) {
  static const std::set<std::string> routes = {"/onestop/v1/users",
                                               "/onestop/v1/procedures",
                                               "/onestop/v1/profiles",
                                               "/onestop/v1/profiles/{customer_code}/documents",
                                               "/onestop/v1/dossiers",
                                               "/onestop/v1/dossiers/{code}/actions/{action}",
                                               "/onestop/v1/dossiers/{code}/handover",
                                               "/onestop/v1/dossiers/{code}/extend",
                                               "/onestop/v1/dossiers/{code}/results",
                                               "/onestop/v1/dossiers/{code}/results/prepare",
                                               "/onestop/v1/dossiers/{code}/results/complete",
                                               "/onestop/v1/dossiers/{code}/extract",
                                               "/onestop/v1/results/{code}",
                                               "/onestop/v1/results/{code}/{sha256}"};
  return method == "POST" && routes.count(pattern) > 0;
}

TEST(OnestopHostileBodies, every_route_answers_every_json_type_without_a_500_and_the_office_stays_up) {
  const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
  ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
  const fs::path dir = fs::temp_directory_path() / ("lgsp-onestop-hostile-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  OfficeProcess office(dir / "office", kWard, "UBND phường Bến Thành", lgsp::test::hsm_sim_env(hsm));
  ASSERT_EQ(office.cli({"procedure", "import", LGSP_SOURCE_DIR "/onestop/samples/procedures.json"}).exit_code, 0);
  const std::map<std::string, std::string> tokens = {{"receiving", office.add_user("lan", "receiving", "Lan")},
                                                     {"leader", office.add_user("minh", "leader", "Minh")},
                                                     {"admin", office.add_user("admin", "admin", "Admin")}};
  office.start();

  // Something real for the path parameters to name: an e-profile, an uploaded file, a dossier.
  auto profile = office.call("POST", "/onestop/v1/profiles", tokens.at("receiving"),
                             {{"full_name", "Nguyễn Thị Mai"},
                              {"id_number", "079195000123"},
                              {"date_of_birth", "1995-03-14"},
                              {"gender", "female"},
                              {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                              {"ethnicity", "Kinh"},
                              {"nationality", "Việt Nam"},
                              {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                              {"phone", "0912345678"}});
  ASSERT_EQ(profile.status, 201u) << profile.raw;
  const std::string customer = profile.body["customer_code"];
  std::vector<std::string> shas;
  for (const std::string text : {"to khai", "giay chung sinh", "can cuoc"}) {
    auto upload =
        office.send("POST", "/onestop/v1/files", tokens.at("receiving"),
                    "%PDF-1.4\n% " + text + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "application/pdf");
    ASSERT_EQ(upload.status, 201u) << upload.raw;
    shas.push_back(upload.body["sha256"]);
  }
  const std::string sha = shas[0];
  auto filed = office.call(
      "POST", "/onestop/v1/dossiers", tokens.at("receiving"),
      {{"procedure_code", "1.001193"},
       {"customer_code", customer},
       {"channel", 1},
       {"documents",
        {{{"code", "TK"}, {"sha256", sha}}, {{"code", "GCS"}, {"sha256", sha}}, {{"code", "GTTT"}, {"sha256", sha}}}}});
  ASSERT_EQ(filed.status, 201u) << filed.raw;
  const std::string code = filed.body["code"];

  // Every route the office has, from the office's own router (a route added later is covered too).
  lgsp::onestop::OnestopConfig scratch;
  scratch.data_dir = dir / "scratch";
  scratch.agency.code = kWard;
  lgsp::onestop::OfflineOffice offline(scratch);
  lgsp::onestop::ResultSigner signer(scratch.signing);
  lgsp::onestop::OnestopApi api(offline.office(), signer, scratch, nullptr);
  lgsp::bus::Router router;
  api.add_routes(router);
  auto routes = router.routes();
  ASSERT_GE(routes.size(), 30u);

  std::vector<std::string> nested;
  for (const auto& f : kFields)
    for (const auto& w : kWrong) nested.push_back(json{{f, w}}.dump());

  std::size_t sent = 0;
  for (const auto& [method, pattern] : routes) {
    std::string path = pattern;
    for (const auto& [from, to] : std::map<std::string, std::string>{{"{code}", code},
                                                                     {"{customer_code}", customer},
                                                                     {"{action}", "request_supplement"},
                                                                     {"{form}", "01"},
                                                                     {"{sha256}", sha}})
      if (auto at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
    const bool refuse_non_objects = reads_json(method, pattern);
    for (const auto& [role, token] : std::map<std::string, std::string>{{"none", ""},
                                                                        {"receiving", tokens.at("receiving")},
                                                                        {"leader", tokens.at("leader")},
                                                                        {"admin", tokens.at("admin")}}) {
      auto send = [&](const std::string& body, bool must_refuse) {
        SCOPED_TRACE(method + " " + path + " as " + role + ": " + body);
        lgsp::test::JsonAnswer r;
        try {
          r = office.send(method, path, token, body, "application/json");
        } catch (const std::exception& e) {
          FAIL() << "no answer (connection dropped): " << e.what();
        }
        ++sent;
        EXPECT_LT(r.status, 500u) << r.raw;
        if (must_refuse) {
          EXPECT_GE(r.status, 400u) << r.raw;
        }
      };
      for (const auto& b : kBodies) send(b, refuse_non_objects && b != "{}" && b != "" && b != R"({"all":"yes"})");
      if (refuse_non_objects)
        for (const auto& b : nested) send(b, false);
      ASSERT_EQ(office.call("GET", "/healthz").status, 200u) << "the office died on " << method << " " << path;
    }
  }
  EXPECT_GT(sent, 1000u);
  EXPECT_EQ(office.call("GET", "/healthz").status, 200u);
  office.stop();
  fs::remove_all(dir);
}

}  // namespace
