// The DVCQG sync job (`lgsp portal ...`) against a real one-stop office (`lgsp onestop serve`) and the portal
// stand-in (tests/portal/portal_standin.py): happy path, refusals to the dead-letter list, an answer the API
// does not describe, outage and session expiry, the catalogue import, and SIGKILL at random points.
#include "http_client.hpp"
#include "office_process.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace {
namespace fs = std::filesystem;
using lgsp::test::OfficeProcess;
using lgsp::test::Process;
using nlohmann::json;
using namespace std::chrono_literals;

const std::string kWard = "000.00.13.H29";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";
const fs::path kStandin = LGSP_SOURCE_DIR "/tests/portal/portal_standin.py";

// The stand-in portal as a child process on a free port.
class Standin {
 public:
  explicit Standin(const fs::path& dir) {
    fs::create_directories(dir);
    auto port_file = dir / "standin.port";
    fs::remove(port_file);
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", kStandin.string(), "--port-file", port_file.string(), "--username",
                                 "lgsp-hcm", "--password", "mat-khau"},
        dir / "standin.log");
    for (int i = 0; i < 400 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(10ms);
    port_ = static_cast<unsigned short>(std::stoi(lgsp::test::read_file(port_file)));
  }
  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  json control(const json& c) {
    lgsp::test::HttpClient h("127.0.0.1", port_);
    return json::parse(h.request("POST", "/_control", c.dump(), {{"Content-Type", "application/json"}}).body);
  }
  int count() {
    lgsp::test::HttpClient h("127.0.0.1", port_);
    return json::parse(h.request("GET", "/_count").body)["records"].get<int>();
  }
  json state() {
    lgsp::test::HttpClient h("127.0.0.1", port_);
    return json::parse(h.request("GET", "/_state").body);
  }

 private:
  std::unique_ptr<Process> process_;
  unsigned short port_ = 0;
};

// An office with the sample procedures, a desk account and an admin (whose token the job uses).
struct Office {
  explicit Office(const fs::path& dir) {
    office = std::make_unique<OfficeProcess>(dir, kWard, "UBND phường Bến Thành", std::vector<std::string>{});
    auto imported = office->cli({"procedure", "import", (kSamples / "procedures.json").string()});
    EXPECT_EQ(imported.exit_code, 0) << imported.err;
    receiving = office->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
    admin = office->add_user("admin", "admin", "Quản trị");
    office->start();
    auto r = office->call("POST", "/onestop/v1/profiles", receiving,
                          {{"full_name", "Nguyễn Thị Mai"},
                           {"id_number", "079195000123"},
                           {"date_of_birth", "1995-03-14"},
                           {"gender", "female"},
                           {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                           {"ethnicity", "Kinh"},
                           {"nationality", "Việt Nam"},
                           {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                           {"phone", "0912345678"}});
    EXPECT_EQ(r.status, 201u) << r.raw;
    customer = r.body.value("customer_code", "");
    for (const char* text : {"to khai", "giay chung sinh", "can cuoc"}) {
      std::string pdf = std::string("%PDF-1.4\n% ") + text + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
      auto u = office->send("POST", "/onestop/v1/files", receiving, pdf, "application/pdf");
      EXPECT_EQ(u.status, 201u) << u.raw;
      documents.push_back(u.body.value("sha256", ""));
    }
  }
  // A birth registration filed at the counter: status 2 at once, two outbox records.
  std::string file() {
    json req = {{"procedure_code", "1.001193"},
                {"customer_code", customer},
                {"channel", 1},
                {"documents",
                 {{{"code", "TK"}, {"sha256", documents[0]}},
                  {{"code", "GCS"}, {"sha256", documents[1]}},
                  {{"code", "GTTT"}, {"sha256", documents[2]}}}}};
    auto r = office->call("POST", "/onestop/v1/dossiers", receiving, req);
    EXPECT_EQ(r.status, 201u) << r.raw;
    return r.body.value("code", "");
  }
  std::vector<json> outbox() {
    std::vector<json> all;
    for (std::int64_t after = 0;;) {
      auto r = office->call("GET", "/onestop/v1/outbox?after=" + std::to_string(after) + "&limit=1000", admin);
      EXPECT_EQ(r.status, 200u) << r.raw;
      for (auto& rec : r.body["records"]) all.push_back(rec);
      if (r.body["records"].size() < 1000) break;
      after = all.back()["id"].get<std::int64_t>();
    }
    return all;
  }
  std::unique_ptr<OfficeProcess> office;
  std::string receiving, admin, customer;
  std::vector<std::string> documents;
};

class PortalSync : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("lgsp-portal-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    office_ = new Office(dir_ / "office");
    standin_ = new Standin(dir_ / "standin");
    std::ofstream(dir_ / "office.token") << office_->admin << "\n";
    std::ofstream(dir_ / "portal.password") << "mat-khau\n";
  }
  static void TearDownTestSuite() {
    delete standin_;
    delete office_;
    fs::remove_all(dir_);
  }
  void SetUp() override {
    standin_->control({{"reset", true}});
    ++n_;
    state_dir_ = dir_ / ("state-" + std::to_string(n_));
    config_ = write_config(state_dir_, "");
  }

  static fs::path write_config(const fs::path& state_dir, const std::string& extra_sync,
                               const std::string& metrics = "") {
    static int k = 0;
    auto file = dir_ / ("portal-" + std::to_string(++k) + ".toml");
    std::ofstream(file) << "[office]\nurl = \"" << office_->office->url() << "\"\ntoken_file = \""
                        << (dir_ / "office.token").string() << "\"\n[portal]\nurl = \"" << standin_->url()
                        << "\"\nusername = \"lgsp-hcm\"\n"
                        << "password_file = \"" << (dir_ / "portal.password").string() << "\"\nmadonvi = \"" << kWard
                        << "\"\ntimeout_ms = 5000\n[sync]\nstate_dir = \"" << state_dir.string()
                        << "\"\nbatch_size = 50\npoll_ms = 50\nbackoff_initial_ms = 20\nbackoff_max_ms = 200\n"
                        << extra_sync << metrics;
    return file;
  }
  static lgsp::test::RunResult lgsp_portal(std::vector<std::string> args) {
    std::vector<std::string> argv = {LGSP_BINARY, "portal"};
    argv.insert(argv.end(), args.begin(), args.end());
    return lgsp::test::run(argv);
  }
  json status() {
    auto r = lgsp_portal({"status", "--config", config_.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // Every outbox record of the office is at the stand-in exactly once (received once, none twice).
  static void expect_each_record_once(const std::vector<json>& outbox, const json& state,
                                      const std::set<std::string>& except = {}) {
    std::map<std::string, int> want;
    for (const auto& r : outbox)
      if (!except.count(r["dossier_code"].get<std::string>()))
        want[r["service"].get<std::string>() + "|" + r["dossier_code"].get<std::string>()] += 1;
    std::map<std::string, int> got;
    for (const auto& r : state["records"]) {
      EXPECT_EQ(r["received"].get<int>(), 1) << r.dump();
      got[r["service"].get<std::string>() + "|" + r["MaHoSo"].get<std::string>()] += 1;
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(state["duplicates"].get<int>(), 0);
  }
  template <class F>
  static bool eventually(F f, std::chrono::milliseconds limit = 20s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (f()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return f();
  }

  static inline fs::path dir_;
  static inline Office* office_ = nullptr;
  static inline Standin* standin_ = nullptr;
  static inline int n_ = 0;
  fs::path state_dir_, config_;
};

TEST_F(PortalSync, sends_every_outbox_record_once_and_progress_after_its_dossier) {
  auto a = office_->file(), b = office_->file();
  // A second change to `a`: its DongBoHoSoMC must go as an update (the stand-in refuses "False" for a dossier
  // it holds with other content, and "True" for one it does not know).
  auto started = office_->office->call("POST", "/onestop/v1/dossiers/" + a + "/actions/start_processing",
                                       office_->receiving, json::object());
  ASSERT_EQ(started.status, 200u) << started.raw;
  auto r = lgsp_portal({"sync", "--once", "--config", config_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto outbox = office_->outbox();
  expect_each_record_once(outbox, standin_->state());
  // Not a terminal: one JSON line per batch.
  EXPECT_NE(r.err.find("\"event\":\"portal.batch\""), std::string::npos) << r.err;
  auto st = status();
  EXPECT_EQ(st["checkpoint"].get<std::int64_t>(), outbox.back()["id"].get<std::int64_t>());
  EXPECT_EQ(st["dead_letters"].get<int>(), 0);
  EXPECT_TRUE(st["pending"].is_null());
  // Run again: nothing is sent twice.
  ASSERT_EQ(lgsp_portal({"sync", "--once", "--config", config_.string()}).exit_code, 0);
  expect_each_record_once(outbox, standin_->state());
  auto calls = standin_->state()["calls"];
  EXPECT_GE(calls.value("TraCuuHoSo", 0), 3);
}

TEST_F(PortalSync, a_refused_record_goes_to_the_dead_letters_and_the_rest_goes_on) {
  auto bad = office_->file(), good = office_->file();
  standin_->control({{"refuse", {{bad, {"01", "NgayHenTra trước NgayTiepNhan"}}}}});
  ASSERT_EQ(lgsp_portal({"sync", "--once", "--config", config_.string()}).exit_code, 0);
  auto outbox = office_->outbox();
  expect_each_record_once(outbox, standin_->state(), {bad});
  auto list = lgsp_portal({"dlq", "list", "--json", "--config", config_.string()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto letters = json::parse(list.out);
  ASSERT_EQ(letters.size(), 2u) << letters.dump();
  EXPECT_EQ(letters[0]["dossier_code"], bad);
  EXPECT_EQ(letters[0]["service"], "DongBoHoSoMC");
  EXPECT_EQ(letters[0]["error_code"], "01");
  EXPECT_NE(letters[0]["reason"].get<std::string>().find("NgayHenTra"), std::string::npos);
  // Its progress is never sent before its dossier: dead-lettered with it.
  EXPECT_EQ(letters[1]["service"], "CapNhatTienDoHoSoMC");
  EXPECT_EQ(letters[1]["error_code"], "LGSP-DEPENDS");
  EXPECT_EQ(status()["refused"].get<int>(), 2);

  // The portal takes it now: replayed in order, then the list is empty and every record is there once.
  standin_->control({{"refuse", json::object()}});
  auto replay = lgsp_portal({"dlq", "replay", "--all", "--config", config_.string()});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  expect_each_record_once(outbox, standin_->state());
  EXPECT_EQ(json::parse(lgsp_portal({"dlq", "list", "--json", "--config", config_.string()}).out).size(), 0u);
}

TEST_F(PortalSync, a_replayed_dossier_state_never_overwrites_a_newer_one) {
  auto code = office_->file();
  standin_->control({{"refuse", {{code, {"01", "tạm thời từ chối"}}}}});
  ASSERT_EQ(lgsp_portal({"sync", "--once", "--config", config_.string()}).exit_code, 0);
  // The dossier moves on (status 4) and the portal takes that newer state.
  standin_->control({{"refuse", json::object()}});
  auto started = office_->office->call("POST", "/onestop/v1/dossiers/" + code + "/actions/start_processing",
                                       office_->receiving, json::object());
  ASSERT_EQ(started.status, 200u) << started.raw;
  ASSERT_EQ(lgsp_portal({"sync", "--once", "--config", config_.string()}).exit_code, 0);
  auto replay = lgsp_portal({"dlq", "replay", "--all", "--config", config_.string()});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("superseded"), std::string::npos) << replay.out;
  // The old state (status 2) was not sent over the new one; the old progress entry (history) was.
  int dossier_states = 0, progress = 0;
  auto held = standin_->state();  // named: a temporary's member would dangle in the loop
  for (const auto& r : held["records"]) {
    if (r["MaHoSo"] != code) continue;
    (r["service"] == "DongBoHoSoMC" ? dossier_states : progress) += r["received"].get<int>();
  }
  EXPECT_EQ(dossier_states, 1) << held.dump() << replay.out;
  EXPECT_EQ(progress, 2);
  EXPECT_EQ(json::parse(lgsp_portal({"dlq", "list", "--json", "--config", config_.string()}).out).size(), 0u);
}

TEST_F(PortalSync, status_answers_with_an_empty_state_before_the_first_sync) {
  ASSERT_FALSE(fs::exists(state_dir_));
  auto st = status();
  EXPECT_EQ(st["checkpoint"], 0) << st.dump();
  EXPECT_EQ(st["confirmed"], 0) << st.dump();
  EXPECT_EQ(st["dead_letters"], 0) << st.dump();
  EXPECT_TRUE(st["pending"].is_null()) << st.dump();
}

TEST_F(PortalSync, an_answer_the_api_does_not_describe_leaves_the_record_pending) {
  auto odd = office_->file();
  auto after = office_->file();
  standin_->control({{"malformed", {odd}}});
  Process job({LGSP_BINARY, "portal", "sync", "--config", config_.string()}, dir_ / "malformed.log");
  json st;
  ASSERT_TRUE(eventually([&] {
    st = status();
    return !st["pending"].is_null() && st["pending"]["attempts"].get<int>() >= 3;
  })) << st.dump();
  EXPECT_NE(st["pending"]["reason"].get<std::string>().find("malformed"), std::string::npos) << st.dump();
  // Nothing after it went, nothing was dead-lettered, and the job is still running.
  auto held = standin_->state();  // named: a temporary's member would dangle in the loop
  for (const auto& r : held["records"]) EXPECT_NE(r["MaHoSo"], after);
  EXPECT_EQ(st["dead_letters"].get<int>(), 0);
  EXPECT_EQ(::kill(job.pid(), 0), 0);
  standin_->control({{"malformed", json::array()}});
  auto outbox = office_->outbox();
  ASSERT_TRUE(eventually([&] { return status()["checkpoint"] == outbox.back()["id"]; })) << status().dump();
  job.signal(SIGTERM);
  EXPECT_EQ(job.wait(10s), 0);
  expect_each_record_once(outbox, standin_->state());
  EXPECT_TRUE(status()["pending"].is_null());
}

TEST_F(PortalSync, waits_out_an_outage_and_logs_in_again_when_the_session_expires) {
  office_->file();
  office_->file();
  config_ = write_config(state_dir_, "", "[metrics]\nlisten = \"127.0.0.1:0\"\n");
  standin_->control({{"mode", "down"}});
  Process job({LGSP_BINARY, "portal", "sync", "--config", config_.string()}, dir_ / "outage.log");
  json st;
  ASSERT_TRUE(eventually([&] {
    st = status();
    return !st["pending"].is_null() && st["pending"]["attempts"].get<int>() >= 2;
  })) << st.dump();
  EXPECT_NE(st["pending"]["reason"].get<std::string>().find("503"), std::string::npos) << st.dump();
  // The backlog waits, and the metrics say so.
  std::string metrics;
  ASSERT_TRUE(eventually([&] {
    try {
      // The listener's port (0: any) as the job logged it.
      auto log = lgsp::test::read_file(dir_ / "outage.log");
      auto at = log.find("\"address\":\"127.0.0.1:");
      if (at == std::string::npos) return false;
      auto port = std::stoi(log.substr(at + 21));
      lgsp::test::HttpClient h("127.0.0.1", static_cast<unsigned short>(port));
      metrics = h.request("GET", "/metrics").body;
      return metrics.find("lgsp_portal_backlog_records ") != std::string::npos;
    } catch (const std::exception&) {
      return false;
    }
  })) << lgsp::test::read_file(dir_ / "outage.log");
  EXPECT_EQ(metrics.find("lgsp_portal_backlog_records 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("lgsp_portal_last_success_timestamp_seconds 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("lgsp_portal_oldest_record_lag_seconds"), std::string::npos);
  // Connections cut without an answer, then back up.
  standin_->control({{"mode", "drop"}});
  std::this_thread::sleep_for(200ms);
  standin_->control({{"mode", "up"}});
  auto outbox = office_->outbox();
  ASSERT_TRUE(eventually([&] { return status()["checkpoint"] == outbox.back()["id"]; }, 60s)) << status().dump();
  expect_each_record_once(outbox, standin_->state());
  // The portal ends every session: the job logs in again, once, and goes on.
  int logins = standin_->state()["logins"].get<int>();
  standin_->control({{"expire_sessions", true}});
  office_->file();
  outbox = office_->outbox();
  ASSERT_TRUE(eventually([&] { return status()["checkpoint"] == outbox.back()["id"]; }, 60s)) << status().dump();
  job.signal(SIGTERM);
  EXPECT_EQ(job.wait(10s), 0);
  auto state = standin_->state();
  expect_each_record_once(outbox, state);
  EXPECT_EQ(state["logins"].get<int>(), logins + 1) << state.dump();
}

TEST_F(PortalSync, shows_a_progress_bar_on_a_terminal) {
  office_->file();
  // script(1) runs the job on a pseudo-terminal: stderr is a tty, so a bar instead of JSON lines.
  auto r =
      lgsp::test::run({"/usr/bin/script", "-qec",
                       std::string(LGSP_BINARY) + " portal sync --once --config " + config_.string(), "/dev/null"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto total = std::to_string(office_->outbox().size());
  EXPECT_NE(r.out.find("] " + total + "/" + total + " records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ETA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/s"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("portal.batch"), std::string::npos) << r.out;
}

TEST_F(PortalSync, refuses_unknown_keys_and_secrets_in_the_file) {
  auto file = dir_ / "bad.toml";
  std::ofstream(file) << lgsp::test::read_file(config_) << "bogus_key = 1\n";
  auto r = lgsp_portal({"sync", "--once", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sync.bogus_key"), std::string::npos) << r.err;
  std::ofstream(file) << "[portal]\npassword = \"in-the-file\"\n";
  r = lgsp_portal({"status", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(PortalSync, imports_the_national_catalogue_with_the_mapping) {
  json in_force = {
      {"TENTTHC", "Thủ tục cấp bản sao trích lục hộ tịch"},
      {"TRANGTHAI", "1"},
      {"LINHVUCTHUCHIEN", {{{"MALINHVUC", "G09-TP07"}, {"TENLINHVUC", "Hộ tịch"}}}},
      {"CACHTHUCTHUCHIEN",
       {{{"KENH", "1"},
         {"THOIGIAN",
          {{{"THOIGIANGIAIQUYET", "1"},
            {"DONVITINH", "Ngày làm việc"},
            {"PHILEPHI", {{{"SOTIEN", "8000"}, {"MOTA", "Lệ phí"}}}}}}}},
        {{"KENH", "2"}, {"THOIGIAN", {{{"THOIGIANGIAIQUYET", "1"}, {"DONVITINH", "Ngày làm việc"}}}}}}},
      {"THANHPHANHOSO", {{{"GIAYTO", {{{"MAGIAYTO", "TK"}, {"TENGIAYTO", "Tờ khai"}, {"TENMAUDON", "Mẫu"}}}}}}},
      {"TRINHTUTHUCHIEN",
       {{{"TRINHTU", {{{"TENTRINHTU", "Tiếp nhận"}}, {{"TENTRINHTU", "Xử lý"}}, {{"TENTRINHTU", "Ký"}}}}}}},
      {"COQUANTHUCHIEN", {{{"MADONVI", kWard}, {"TENDONVI", "UBND phường Bến Thành"}}}},
      {"KETQUATHUCHIEN", {{{"MAKETQUA", "KQ"}, {"TENKETQUA", "Bản sao trích lục"}}}},
      {"CANCUPHAPLY", {{{"SOVANBAN", "60/2014/QH13"}, {"TENVANBAN", "Luật Hộ tịch"}}}}};
  json abolished = in_force;
  abolished["TRANGTHAI"] = "0";
  json incomplete = in_force;
  incomplete.erase("TRINHTUTHUCHIEN");
  standin_->control({{"catalogue", {{"2.000635", in_force}, {"1.000001", abolished}, {"1.000002", incomplete}}}});
  auto file = write_config(state_dir_, "",
                           "[catalogue]\neffective_from = \"2026-01-01\"\ncodes = { \"2.000635\" = \"1.009999\" }\n");
  auto r = lgsp_portal({"import-procedures", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // one could not be mapped
  auto summary = json::parse(r.out);
  EXPECT_EQ(summary["listed"], 3);
  EXPECT_EQ(summary["imported"], 1) << summary.dump();
  EXPECT_EQ(summary["skipped"], 1);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_NE(summary["errors"][0]["error"].get<std::string>().find("TRINHTU"), std::string::npos);
  auto p = office_->office->call("GET", "/onestop/v1/procedures/1.009999");
  ASSERT_EQ(p.status, 200u) << p.raw;
  EXPECT_EQ(p.body["name"], "Thủ tục cấp bản sao trích lục hộ tịch");
  EXPECT_EQ(p.body["channels"], json::array({1, 2}));
  EXPECT_EQ(p.body["steps"].size(), 3u);
  EXPECT_EQ(office_->office->call("GET", "/onestop/v1/procedures/1.000001").status, 404u);
  // Again: unchanged, nothing imported.
  summary = json::parse(lgsp_portal({"import-procedures", "--config", file.string()}).out);
  EXPECT_EQ(summary["imported"], 0);
  EXPECT_EQ(summary["unchanged"], 1);
  standin_->control({{"catalogue", json::object()}});
}

// Done when: killed (SIGKILL) at random points 20 times during a 2,000-record backlog, the job ends with every
// record confirmed exactly once at the stand-in.
TEST_F(PortalSync, killed_twenty_times_during_a_2000_record_backlog_confirms_each_record_exactly_once) {
  Office office(dir_ / "office-kill");
  std::ofstream(dir_ / "office-kill.token") << office.admin << "\n";
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) office.file();
  auto outbox = office.outbox();
  ASSERT_EQ(outbox.size(), 2000u);
  auto filled = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto file = dir_ / "portal-kill.toml";
  std::ofstream(file) << "[office]\nurl = \"" << office.office->url() << "\"\ntoken_file = \""
                      << (dir_ / "office-kill.token").string() << "\"\n[portal]\nurl = \"" << standin_->url()
                      << "\"\nusername = \"lgsp-hcm\"\npassword_file = \"" << (dir_ / "portal.password").string()
                      << "\"\nmadonvi = \"" << kWard << "\"\n[sync]\nstate_dir = \"" << (state_dir_ / "kill").string()
                      << "\"\nbatch_size = 100\npoll_ms = 50\nbackoff_initial_ms = 20\nbackoff_max_ms = 200\n";
  std::mt19937 random(static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pause_ms(0, 60);
  int kills = 0;
  for (; kills < 20; ++kills) {
    // Killed while it works: once the portal has taken a record from this run, at a random point after.
    int before = standin_->count();
    Process job({LGSP_BINARY, "portal", "sync", "--config", file.string()}, dir_ / "kill.log");
    ASSERT_TRUE(eventually([&] { return standin_->count() > before; }, 10s))
        << lgsp::test::read_file(dir_ / "kill.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    job.signal(SIGKILL);
    job.wait(5s);
  }
  // The kills landed during the backlog, not before or after it.
  auto mid = json::parse(lgsp_portal({"status", "--config", file.string()}).out);
  EXPECT_GT(mid["checkpoint"].get<std::int64_t>(), outbox.front()["id"].get<std::int64_t>()) << mid.dump();
  EXPECT_LT(mid["checkpoint"].get<std::int64_t>(), outbox.back()["id"].get<std::int64_t>()) << mid.dump();
  auto r = lgsp_portal({"sync", "--once", "--config", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto state = standin_->state();
  expect_each_record_once(outbox, state);
  std::cerr << "[ portal ] filled 2,000 records in " << filled << " s; " << kills << " kills, checkpoint "
            << mid["checkpoint"] << " after them (" << mid["already_there"]
            << " found at the portal, not resent); portal calls " << state["calls"].dump() << "\n";
}

}  // namespace
