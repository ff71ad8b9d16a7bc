// The file-drop adapter end to end: `lgsp adapter run` (a child process) watching real folders with real
// inotify, sending through a real `lgsp serve` node sealing with hsm-sim, to a receiver that counts what it
// gets by LGSP-Message-Id; deliveries pushed by the node written to the outbound folder. And the issue's
// "done when": the runner SIGKILLed during a drop of 1,000 files and restarted loses nothing and sends
// nothing twice.
#include "http_client.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using namespace std::chrono_literals;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";
const std::string kWard = "000.00.13.H29";
const std::string kAdapterClient = kWard + "/FILEDROP";
const std::string kSender = kWard + "/MOTCUA";
const std::string kXmlService = kWard + "/VANTHU/trangthai/v1";
const std::string kJsonService = kWard + "/HOTICH/hoso/v1";
const std::string kCsvService = kWard + "/DVCQG/tiendo/v1";
const std::string kOutService = kWard + "/FILEDROP/nhan/v1";     // endpoint: the runner's outbound route
const std::string kRelayService = kWard + "/FILEDROP/relay/v1";  // endpoint: the receiver, which pushes twice

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// Writes under a temporary name and renames into the folder: a complete file appears at once.
void drop(const fs::path& dir, const std::string& name, const std::string& text) {
  write_file(dir / (name + ".tmp"), text);
  fs::rename(dir / (name + ".tmp"), dir / name);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// Data files in a folder (not receipts, reasons or temporaries).
std::set<std::string> data_files(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file() || name.front() == '.' || name.ends_with(".receipt.json") ||
        name.ends_with(".reason.txt"))
      continue;
    out.insert(name);
  }
  return out;
}

std::string dossier(int i) {
  auto json = nlohmann::ordered_json::parse(
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/valid-1-step-to-department.json"));
  char code[8];
  std::snprintf(code, sizeof code, "%05d", i);
  json["dossier_code"] = "000.00.13.H29-251120-" + std::string(code);
  return json.dump(2);
}

std::string status_xml() {
  return lgsp::test::read_file(kContracts / "edxml-status/v1/examples/valid-2-refused-minimal.xml");
}

// The node and the receiver, shared by the tests of this file; each test runs its own runner.
class FiledropTest : public ::testing::Test {
 protected:
  struct Receiver {
    std::mutex mutex;
    std::map<std::string, int> counts;  // by LGSP-Message-Id
    std::map<std::string, std::string> bodies;
    std::vector<unsigned> relay_answers;  // the runner's answers to the twice-pushed delivery
    std::unique_ptr<Node> node;
  };

  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-filedrop-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);

    receiver_ = new Receiver;
    Config rc;
    rc.server.listen = HostPort{"127.0.0.1", 0};
    rc.server.threads = 2;
    rc.store.data_dir = dir_ / "receiver";
    rc.signing.enabled = false;
    receiver_->node = std::make_unique<Node>(rc);
    receiver_->node->router().add("POST", "/in", [](HttpRequest& r, Reply reply) {
      {
        std::lock_guard lock(receiver_->mutex);
        const std::string id = r.header("lgsp-message-id").value_or("");
        ++receiver_->counts[id];
        receiver_->bodies[id] = r.body;
      }
      reply(HttpResponse::json(200, nlohmann::json::object()));
    });
    // Pushes what the node delivers to the runner's outbound route twice, as a node that never learnt the first
    // answer would, and answers with the second answer.
    receiver_->node->router().add("POST", "/relay", [](HttpRequest& r, Reply reply) {
      std::thread([request = r, reply] {
        std::map<std::string, std::string> headers;
        for (const auto& [name, value] : request.headers)
          if (name.rfind("lgsp-", 0) == 0 || name == "content-type") headers[name] = value;
        unsigned last = 0;
        try {
          for (int i = 0; i < 2; ++i) {
            lgsp::test::HttpClient c("127.0.0.1", runner_port_.load());
            last = c.request("POST", "/adapters/outbox/deliveries", request.body, headers).status;
            std::lock_guard lock(receiver_->mutex);
            receiver_->relay_answers.push_back(last);
          }
        } catch (const std::exception&) {
        }
        reply(HttpResponse::json(last == 200 ? 200 : 502, nlohmann::json::object()));
      }).detach();
    });
    receiver_->node->start();
    const std::string in = "http://127.0.0.1:" + std::to_string(receiver_->node->endpoint().port) + "/in";

    {
      Config nc;
      nc.store.data_dir = dir_ / "node";
      auto store = open_embedded_store(nc);
      auto catalogue = lgsp::contracts::Catalogue::load(kContracts);
      Registry reg(*store, &catalogue);
      reg.add_member(kWard, "UBND phường Bến Thành");
      for (const char* s : {"FILEDROP", "MOTCUA", "VANTHU", "HOTICH", "DVCQG"}) reg.add_subsystem(kWard + "/" + s);
      const auto add = [&](const std::string& id, const std::string& contract, const std::string& endpoint) {
        Service s;
        s.id = id;
        s.request_contract = contract;
        s.endpoint = endpoint;
        s.retry = {50, 50, 500};
        reg.add_service(s);
      };
      add(kXmlService, "edxml-status@v1", in);
      add(kJsonService, "onestop.dossier-submission@v1", in);
      add(kCsvService, "dvcqg.CapNhatTienDoHoSoMC@v1", in);
      add(kOutService, "onestop.dossier-submission@v1",
          "http://127.0.0.1:1/adapters/outbox/deliveries");  // set to the runner's once it runs
      add(kRelayService, "onestop.dossier-submission@v1",
          "http://127.0.0.1:" + std::to_string(receiver_->node->endpoint().port) + "/relay");
      for (const auto& s : {kXmlService, kJsonService, kCsvService}) reg.grant(kAdapterClient, s);
      reg.grant(kSender, kOutService);
      reg.grant(kSender, kRelayService);
      write_file(dir_ / "filedrop.key", reg.create_api_key(kAdapterClient) + "\n");
      sender_key_ = reg.create_api_key(kSender);
    }
    node_port_ = lgsp::test::free_port();
    auto env = lgsp::test::hsm_sim_env(hsm_);
    env.push_back("LGSP_SIGNING_CA_CHAIN=" + (hsm_ / "pki/issuing-ca.pem").string());
    node_ = new lgsp::test::Process(
        {kLgsp, "serve", "--listen", "127.0.0.1:" + std::to_string(node_port_), "--data-dir", (dir_ / "node").string()},
        dir_ / "serve.log", env);
    ASSERT_TRUE(wait_until(
        [] {
          try {
            lgsp::test::HttpClient c("127.0.0.1", node_port_);
            return c.request("GET", "/readyz").status == 200;
          } catch (const std::exception&) {
            return false;
          }
        },
        20s))
        << lgsp::test::read_file(dir_ / "serve.log");
  }

  static void TearDownTestSuite() {
    if (node_) {
      node_->signal(SIGTERM);
      node_->wait(15s);
      delete node_;
      node_ = nullptr;
    }
    if (receiver_) {
      receiver_->node->stop();
      std::this_thread::sleep_for(100ms);  // relay threads
      delete receiver_;
      receiver_ = nullptr;
    }
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  void SetUp() override {
    test_dir_ = dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(test_dir_);
  }
  void TearDown() override {
    if (runner_) stop_runner();
  }

  // The [runner] and [node] tables, then `adapters` ([[adapter]] tables without the common keys).
  fs::path write_config(const std::vector<std::string>& adapters, const std::string& node_keys = "") {
    std::string text = "[runner]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" + (test_dir_ / "state").string() +
                       "\"\n\n[node]\nurl = \"http://127.0.0.1:" + std::to_string(node_port_) + "\"\ntrust_roots = \"" +
                       (hsm_ / "pki/root-ca.pem").string() + "\"\nnode_certificates = \"" +
                       (hsm_ / "pki/lgsp-node.pem").string() + "\"\ncontracts_dir = \"" + kContracts.string() + "\"\n" +
                       node_keys;
    for (const auto& a : adapters)
      text += "\n[[adapter]]\nkind = \"filedrop\"\nclient = \"" + kAdapterClient + "\"\napi_key_file = \"" +
              (dir_ / "filedrop.key").string() + "\"\n" + a;
    const fs::path file = test_dir_ / "adapters.toml";
    write_file(file, text);
    return file;
  }

  // Starts `lgsp adapter run` on a port of its own choosing (a port picked beforehand could be taken by then)
  // and learns it from the line the runner prints once it listens.
  void start_runner(const fs::path& config) {
    const fs::path log = test_dir_ / "runner.log";
    const std::size_t seen = fs::exists(log) ? fs::file_size(log) : 0;
    runner_ = std::make_unique<lgsp::test::Process>(
        std::vector<std::string>{kLgsp, "adapter", "run", "--config", config.string()}, log);
    const std::string marker = "adapters listening on 127.0.0.1:";
    ASSERT_TRUE(wait_until(
        [&] {
          const std::string text = lgsp::test::read_file(log);
          const auto at = text.find(marker, seen);
          if (at == std::string::npos) return false;
          runner_port_ = static_cast<unsigned short>(std::stoi(text.substr(at + marker.size())));
          return true;
        },
        15s))
        << lgsp::test::read_file(log);
    // The outbound services' endpoint is this runner (the node sees a registry change at once).
    for (const auto& service : {kOutService}) {
      auto r =
          lgsp::test::run({kLgsp, "service", "update", service, "--endpoint",
                           "http://127.0.0.1:" + std::to_string(runner_port_.load()) + "/adapters/outbox/deliveries",
                           "--data-dir", (dir_ / "node").string()});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
  }

  void stop_runner() {
    runner_->signal(SIGTERM);
    EXPECT_EQ(runner_->wait(20s), 0) << lgsp::test::read_file(test_dir_ / "runner.log");
    runner_.reset();
  }

  std::string runner_get(const std::string& path) {
    lgsp::test::HttpClient c("127.0.0.1", runner_port_.load());
    return c.request("GET", path).body;
  }

  static int received(const std::string& id) {
    std::lock_guard lock(receiver_->mutex);
    auto it = receiver_->counts.find(id);
    return it == receiver_->counts.end() ? 0 : it->second;
  }
  static std::string received_body(const std::string& id) {
    std::lock_guard lock(receiver_->mutex);
    return receiver_->bodies[id];
  }

  // An inbox with its adapter's keys.
  std::string inbox_keys(const std::string& name, const fs::path& inbox) {
    fs::create_directories(inbox);
    return "name = \"" + name + "\"\ninbox = \"" + inbox.string() + "\"\n";
  }

  static inline fs::path hsm_;
  static inline fs::path dir_;
  static inline std::atomic<unsigned short> runner_port_{0};
  static inline unsigned short node_port_ = 0;
  static inline std::string sender_key_;
  static inline Receiver* receiver_ = nullptr;
  static inline lgsp::test::Process* node_ = nullptr;
  fs::path test_dir_;
  std::unique_ptr<lgsp::test::Process> runner_;
};

const std::string kCsvMapping = R"(format = "csv"
[adapter.csv]
header = true
delimiter = ";"
wrap_field = "data"
constants = { service = "CapNhatTienDoHoSoMC", madonvi = "000.00.13.H29" }
[[adapter.csv.columns]]
column = "ma_ho_so"
field = "MaHoSo"
[[adapter.csv.columns]]
column = "nguoi_xu_ly"
field = "NguoiXuLy"
[[adapter.csv.columns]]
column = "thoi_diem"
field = "ThoiDiemXuLy"
[[adapter.csv.columns]]
column = "noi_dung"
field = "NoiDungXuLy"
[[adapter.csv.columns]]
column = "trang_thai"
field = "TrangThai"
)";

const std::string kCsvText =
    "\xEF\xBB\xBFma_ho_so;nguoi_xu_ly;thoi_diem;noi_dung;trang_thai;ghi_chu\r\n"
    "000.00.13.H29-251120-0042;Bùi Thị Hạnh;20251120093112;\"Tiếp nhận hồ sơ; hẹn trả\";2;\r\n"
    "000.00.13.H29-251120-0043;Phạm Thu Trang;20251124101542;Yêu cầu bổ sung;5;gấp\r\n";

TEST_F(FiledropTest, xml_json_and_csv_files_reach_the_receiver_with_their_receipts) {
  const auto xml_in = test_dir_ / "xml", json_in = test_dir_ / "json", csv_in = test_dir_ / "csv";
  // A marker left by a runner killed after taking its file: removed at start, or the next hoso-0.json would be
  // taken while still being written.
  fs::create_directories(json_in);
  write_file(json_in / "hoso-0.json.done", "");
  start_runner(write_config({
      inbox_keys("vanthu-xml", xml_in) + "service = \"" + kXmlService +
          "\"\nformat = \"xml\"\nread_lock = \"rename\"\n",
      inbox_keys("hoso-json", json_in) + "service = \"" + kJsonService + "\"\nread_lock = \"done-file\"\n",
      inbox_keys("tiendo-csv", csv_in) + "service = \"" + kCsvService +
          "\"\nread_lock = \"changed\"\nstable_ms = 200\n" + kCsvMapping,
  }));
  drop(xml_in, "status.xml", status_xml());
  write_file(json_in / "hoso-1.json", dossier(1));
  write_file(json_in / "hoso-1.json.done", "");
  write_file(csv_in / "tiendo.csv", kCsvText);

  const std::string xml_id = sha256_hex(status_xml()), json_id = sha256_hex(dossier(1)), csv_id = sha256_hex(kCsvText);
  ASSERT_TRUE(wait_until([&] { return received(xml_id) && received(json_id) && received(csv_id); }, 20s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(received_body(xml_id), status_xml());
  EXPECT_EQ(received_body(json_id), dossier(1));
  const auto rows = nlohmann::json::parse(received_body(csv_id));
  EXPECT_EQ(rows["service"], "CapNhatTienDoHoSoMC");
  ASSERT_EQ(rows["data"].size(), 2u);
  EXPECT_EQ(rows["data"][0]["NoiDungXuLy"], "Tiếp nhận hồ sơ; hẹn trả");
  EXPECT_EQ(rows["data"][1]["TrangThai"], "5");
  EXPECT_FALSE(rows["data"][1].contains("ghi_chu"));

  // Each file in done/ with the node's receipt beside it; the inboxes empty (the done marker too).
  for (const auto& [inbox, name, id] :
       {std::tuple{xml_in, "status.xml", xml_id}, {json_in, "hoso-1.json", json_id}, {csv_in, "tiendo.csv", csv_id}}) {
    ASSERT_TRUE(wait_until([&] { return fs::exists(inbox / "done" / (std::string(name) + ".receipt.json")); }, 5s))
        << name;
    const auto receipt =
        nlohmann::json::parse(lgsp::test::read_file(inbox / "done" / (std::string(name) + ".receipt.json")));
    EXPECT_EQ(receipt["message_id"], id);
    EXPECT_TRUE(receipt["signature"].contains("sig"));
    EXPECT_TRUE(data_files(inbox).empty()) << name;
  }
  // The receipt beside the file proves what the node accepted: it verifies against the file itself.
  auto verified =
      lgsp::test::run({kLgsp, "verify-receipt", "--receipt", (xml_in / "done/status.xml.receipt.json").string(),
                       "--payload", (xml_in / "done/status.xml").string(), "--trust",
                       (hsm_ / "pki/root-ca.pem").string(), "--node-cert", (hsm_ / "pki/lgsp-node.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_FALSE(fs::exists(json_in / "hoso-1.json.done"));
  EXPECT_FALSE(fs::exists(json_in / "hoso-0.json.done"));
  const std::string metrics = runner_get("/metrics");
  EXPECT_NE(metrics.find("sent"), std::string::npos) << metrics;
  EXPECT_NE(runner_get("/healthz").find("hoso-json"), std::string::npos);
}

TEST_F(FiledropTest, no_read_lock_takes_a_partially_written_file) {
  const auto renamed = test_dir_ / "rename", marked = test_dir_ / "done-file", changed = test_dir_ / "changed";
  start_runner(write_config({
      inbox_keys("by-rename", renamed) + "service = \"" + kJsonService + "\"\nread_lock = \"rename\"\n",
      inbox_keys("by-marker", marked) + "service = \"" + kJsonService + "\"\nread_lock = \"done-file\"\n",
      inbox_keys("by-change", changed) + "service = \"" + kJsonService +
          "\"\nread_lock = \"changed\"\nstable_ms = 400\n",
  }));
  const std::string a = dossier(11), b = dossier(12), c = dossier(13);
  const auto half = [](const std::string& s) { return s.substr(0, s.size() / 2); };
  // rename: written under an ignored temporary name first.
  write_file(renamed / "a.json.tmp", half(a));
  // done-file: the file itself, no marker yet.
  write_file(marked / "b.json", half(b));
  // changed: written in pieces, 100 ms apart, for about a second (longer than stable_ms in all).
  std::thread slow_writer([&] {
    std::ofstream out(changed / "c.json", std::ios::binary);
    for (std::size_t at = 0; at < c.size(); at += c.size() / 10 + 1) {
      out << c.substr(at, c.size() / 10 + 1);
      out.flush();
      std::this_thread::sleep_for(100ms);
    }
  });
  std::this_thread::sleep_for(1200ms);
  slow_writer.join();
  EXPECT_TRUE(fs::exists(renamed / "a.json.tmp"));
  EXPECT_TRUE(fs::exists(marked / "b.json"));
  EXPECT_EQ(received(sha256_hex(half(a))), 0);
  EXPECT_EQ(received(sha256_hex(half(b))), 0);
  for (std::size_t n = 1; n <= c.size(); n += 97) EXPECT_EQ(received(sha256_hex(c.substr(0, n))), 0);

  // Completed: each is taken whole, once.
  write_file(renamed / "a.json.tmp", a);
  fs::rename(renamed / "a.json.tmp", renamed / "a.json");
  write_file(marked / "b.json", b);
  write_file(marked / "b.json.done", "");
  ASSERT_TRUE(
      wait_until([&] { return received(sha256_hex(a)) && received(sha256_hex(b)) && received(sha256_hex(c)); }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(received(sha256_hex(c)), 1);
  EXPECT_TRUE(fs::exists(changed / "done" / "c.json"));
  EXPECT_TRUE(fs::exists(marked / "done" / "b.json"));
  // A part taken early would have been refused (not JSON) and moved to failed/.
  for (const auto& inbox : {renamed, marked, changed}) EXPECT_TRUE(data_files(inbox / "failed").empty()) << inbox;
}

TEST_F(FiledropTest, a_bad_file_goes_to_failed_with_its_reason_and_the_next_file_still_goes) {
  const auto json_in = test_dir_ / "json", csv_in = test_dir_ / "csv";
  start_runner(write_config({
      inbox_keys("hoso-json", json_in) + "service = \"" + kJsonService +
          "\"\nread_lock = \"rename\"\nmax_file_bytes = 20000\n",
      inbox_keys("tiendo-csv", csv_in) + "service = \"" + kCsvService + "\"\nread_lock = \"rename\"\n" + kCsvMapping,
  }));
  const std::string invalid =
      lgsp::test::read_file(kContracts / "onestop.dossier-submission/v1/examples/invalid-missing-to-unit.json");
  drop(json_in, "1-invalid.json", invalid);
  drop(json_in, "2-too-large.json", std::string(20001, ' '));
  drop(json_in, "3-valid.json", dossier(21));
  const std::string latin1 = "4-h\xE0.json";  // a name that is not UTF-8, as an old Windows export may write
  drop(json_in, latin1, invalid + " ");
  std::string bad_csv = kCsvText;
  bad_csv.replace(bad_csv.find(";5;"), 3, ";;");  // row 2 has no trang_thai
  drop(csv_in, "bad.csv", bad_csv);
  drop(csv_in, "good.csv", kCsvText + "000.00.13.H29-251120-0044;A;20251124101542;B;9;\r\n");

  ASSERT_TRUE(wait_until([&] { return fs::exists(json_in / "done" / "3-valid.json.receipt.json"); }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(received(sha256_hex(dossier(21))), 1);
  ASSERT_TRUE(wait_until([&] { return fs::exists(csv_in / "done" / "good.csv.receipt.json"); }, 10s));
  ASSERT_TRUE(wait_until([&] { return fs::exists(json_in / "failed" / "2-too-large.json.reason.txt"); }, 5s));

  const std::string contract = lgsp::test::read_file(json_in / "failed" / "1-invalid.json.reason.txt");
  EXPECT_NE(contract.find("code: LGSP-400-CONTRACT"), std::string::npos) << contract;
  EXPECT_NE(contract.find("to_unit"), std::string::npos) << "the validator's reason names the field: " << contract;
  EXPECT_NE(contract.find("sha256: " + sha256_hex(invalid)), std::string::npos) << contract;
  const std::string large = lgsp::test::read_file(json_in / "failed" / "2-too-large.json.reason.txt");
  EXPECT_NE(large.find("LGSP-413-FILE-TOO-LARGE"), std::string::npos) << large;
  EXPECT_NE(large.find("20001 bytes"), std::string::npos) << large;
  ASSERT_TRUE(wait_until([&] { return fs::exists(csv_in / "failed" / "bad.csv.reason.txt"); }, 5s));
  const std::string csv = lgsp::test::read_file(csv_in / "failed" / "bad.csv.reason.txt");
  EXPECT_NE(csv.find("code: LGSP-400-CSV"), std::string::npos) << csv;
  EXPECT_NE(csv.find("reason: row 2 (line 3), column 'trang_thai': empty"), std::string::npos) << csv;
  EXPECT_EQ(received(sha256_hex(invalid)), 0);
  EXPECT_EQ(data_files(json_in), std::set<std::string>{});
  ASSERT_TRUE(wait_until([&] { return fs::exists(json_in / "failed" / (latin1 + ".reason.txt")); }, 5s));
  EXPECT_EQ(data_files(json_in / "failed"), (std::set<std::string>{"1-invalid.json", "2-too-large.json", latin1}));

  // Dead letters: one per failed file, each naming its file in failed/.
  stop_runner();
  auto list =
      lgsp::test::run({kLgsp, "adapter", "dlq", "list", "--config", (test_dir_ / "adapters.toml").string(), "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("1-invalid.json"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("LGSP-400-CONTRACT"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("bad.csv"), std::string::npos) << list.out;

  // Replay after the operator fixed the file in failed/: sent, and moved to done/.
  write_file(json_in / "failed" / "1-invalid.json", dossier(22));
  write_file(json_in / "failed" / latin1, dossier(23));
  std::string id, latin1_id;
  for (const auto& letter : nlohmann::json::parse(list.out)) {
    if (letter["key"] == "1-invalid.json") id = std::to_string(letter["id"].get<long>());
    if (letter["key"].get<std::string>().rfind("4-h", 0) == 0) latin1_id = std::to_string(letter["id"].get<long>());
  }
  ASSERT_FALSE(id.empty()) << list.out;
  ASSERT_FALSE(latin1_id.empty()) << list.out;
  for (const auto& letter : {id, latin1_id}) {
    auto replay = lgsp::test::run(
        {kLgsp, "adapter", "dlq", "replay", letter, "--config", (test_dir_ / "adapters.toml").string()});
    EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  }
  EXPECT_EQ(received(sha256_hex(dossier(23))), 1);
  EXPECT_TRUE(fs::exists(json_in / "done" / latin1));
  EXPECT_EQ(received(sha256_hex(dossier(22))), 1);
  EXPECT_TRUE(fs::exists(json_in / "done" / "1-invalid.json"));
  EXPECT_TRUE(fs::exists(json_in / "done" / "1-invalid.json.receipt.json"));
  EXPECT_FALSE(fs::exists(json_in / "failed" / "1-invalid.json"));
  EXPECT_FALSE(fs::exists(json_in / "failed" / "1-invalid.json.reason.txt"));
}

TEST_F(FiledropTest, a_file_dropped_twice_reaches_the_receiver_once) {
  const auto inbox = test_dir_ / "json";
  start_runner(
      write_config({inbox_keys("hoso-json", inbox) + "service = \"" + kJsonService + "\"\nread_lock = \"rename\"\n"}));
  const std::string body = dossier(31);
  drop(inbox, "hoso.json", body);
  ASSERT_TRUE(wait_until([&] { return fs::exists(inbox / "done" / "hoso.json.receipt.json"); }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  // The same export again, under the same name and under another.
  drop(inbox, "hoso.json", body);
  drop(inbox, "hoso-copy.json", body);
  ASSERT_TRUE(wait_until(
      [&] {
        return fs::exists(inbox / "done" / "hoso.2.json.receipt.json") &&
               fs::exists(inbox / "done" / "hoso-copy.json.receipt.json");
      },
      15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  std::this_thread::sleep_for(500ms);  // a second delivery, if there were one, would come now
  EXPECT_EQ(received(sha256_hex(body)), 1);
  // Never overwritten: three files in done/, each with the receipt of the one message.
  EXPECT_EQ(data_files(inbox / "done"), (std::set<std::string>{"hoso.json", "hoso.2.json", "hoso-copy.json"}));
  for (const char* name : {"hoso.json", "hoso.2.json", "hoso-copy.json"})
    EXPECT_EQ(nlohmann::json::parse(
                  lgsp::test::read_file(inbox / "done" / (std::string(name) + ".receipt.json")))["message_id"],
              sha256_hex(body));
}

TEST_F(FiledropTest, deliveries_are_written_atomically_once_each_with_their_receipt) {
  const auto inbox = test_dir_ / "unused-inbox", out = test_dir_ / "out";
  fs::create_directories(out);
  start_runner(write_config({inbox_keys("outbox", inbox) + "service = \"" + kJsonService +
                             "\"\nread_lock = \"rename\"\noutbound_dir = \"" + out.string() + "\"\n"}));
  // Watch the outbound folder: a final name may only ever appear by a rename.
  const int watch = ::inotify_init1(IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  ASSERT_GE(::inotify_add_watch(watch, out.c_str(), IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY), 0);

  const auto send = [&](const std::string& service, const std::string& id, const std::string& body) {
    lgsp::test::HttpClient c("127.0.0.1", node_port_);
    return c
        .request("POST", "/v1/messages", body,
                 {{"Authorization", "Bearer " + sender_key_},
                  {"LGSP-Client", kSender},
                  {"LGSP-Service", service},
                  {"LGSP-Message-Id", id},
                  {"Content-Type", "application/json"}})
        .status;
  };
  ASSERT_EQ(send(kOutService, "HS-0001", dossier(41)), 202u);
  ASSERT_EQ(send(kOutService, "HS:0002@x", dossier(42)), 202u);  // a ':' is allowed in an id, not in our names
  ASSERT_TRUE(wait_until([&] { return data_files(out).size() == 2; }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(lgsp::test::read_file(out / "HS-0001.json"), dossier(41));
  const auto receipt = nlohmann::json::parse(lgsp::test::read_file(out / "HS-0001.receipt.json"));
  EXPECT_EQ(receipt["message_id"], "HS-0001");
  EXPECT_EQ(receipt["client"], kSender);
  EXPECT_EQ(receipt["payload_sha256"], sha256_hex(dossier(41)));
  EXPECT_TRUE(receipt["signature"].contains("sig"));
  std::string other;
  for (const auto& name : data_files(out))
    if (name != "HS-0001.json") other = name;
  EXPECT_EQ(other.rfind("HS_0002_x~", 0), 0u) << other;

  // The same delivery pushed twice (the node never learnt the first answer): 200 both times, one file.
  ASSERT_EQ(send(kRelayService, "HS-0003", dossier(43)), 202u);
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(receiver_->mutex);
        return receiver_->relay_answers.size() == 2;
      },
      15s));
  {
    std::lock_guard lock(receiver_->mutex);
    EXPECT_EQ(receiver_->relay_answers, (std::vector<unsigned>{200, 200}));
  }
  EXPECT_EQ(lgsp::test::read_file(out / "HS-0003.json"), dossier(43));

  // A push without the node's seal is refused and writes nothing.
  {
    lgsp::test::HttpClient c("127.0.0.1", runner_port_.load());
    auto forged = c.request("POST", "/adapters/outbox/deliveries", dossier(44),
                            {{"LGSP-Message-Id", "FORGED-1"},
                             {"LGSP-Client", kSender},
                             {"LGSP-Service", kOutService},
                             {"Content-Type", "application/json"}});
    EXPECT_EQ(forged.status, 403u) << forged.body;
  }
  EXPECT_FALSE(fs::exists(out / "FORGED-1.json"));

  // What inotify saw: every final name arrived by rename only, each once; writes went to temporary names.
  std::map<std::string, int> moved_in;
  alignas(inotify_event) char buffer[64 * 1024];
  for (ssize_t n; (n = ::read(watch, buffer, sizeof buffer)) > 0;)
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      const std::string name = e->len ? e->name : "";
      if (name.empty() || name.front() == '.') continue;
      EXPECT_TRUE(e->mask & IN_MOVED_TO) << name << " was written in place (mask " << e->mask << ")";
      ++moved_in[name];
    }
  ::close(watch);
  EXPECT_EQ(moved_in["HS-0001.json"], 1);
  EXPECT_EQ(moved_in["HS-0003.json"], 1);
  EXPECT_EQ(data_files(out).size(), 3u);
}

TEST_F(FiledropTest, a_delivery_to_a_full_disk_is_answered_503_and_written_once_there_is_room) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const auto out = test_dir_ / "small-out";
  fs::create_directories(out);
  if (::mount("tmpfs", out.c_str(), "tmpfs", 0, "size=256k") != 0) GTEST_SKIP() << "cannot mount tmpfs here";
  struct Unmount {
    fs::path dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{out};
  start_runner(write_config({inbox_keys("outbox", test_dir_ / "unused-inbox") + "service = \"" + kJsonService +
                             "\"\nread_lock = \"rename\"\noutbound_dir = \"" + out.string() + "\"\n"}));
  {  // Fill the disk.
    std::ofstream filler(out / "filler.bin", std::ios::binary);
    const std::string block(4096, 'x');
    for (int i = 0; i < 1000 && filler.write(block.data(), block.size()); ++i) filler.flush();
  }
  lgsp::test::HttpClient c("127.0.0.1", node_port_);
  ASSERT_EQ(c.request("POST", "/v1/messages", dossier(71),
                      {{"Authorization", "Bearer " + sender_key_},
                       {"LGSP-Client", kSender},
                       {"LGSP-Service", kOutService},
                       {"LGSP-Message-Id", "HS-FULL-1"},
                       {"Content-Type", "application/json"}})
                .status,
            202u);
  // The node's attempts are refused with 503 while the disk is full (the runner counts them), nothing half written.
  ASSERT_TRUE(wait_until(
      [&] {
        return runner_get("/metrics").find("lgsp_adapter_delivery_write_failed_total{adapter=\"outbox\"") !=
               std::string::npos;
      },
      10s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_FALSE(fs::exists(out / "HS-FULL-1.json"));
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_FALSE(entry.path().filename().string().find(".tmp-lgsp-") != std::string::npos) << entry.path();
  // Room again: the node's next attempt is written.
  fs::remove(out / "filler.bin");
  ASSERT_TRUE(wait_until([&] { return fs::exists(out / "HS-FULL-1.json"); }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(lgsp::test::read_file(out / "HS-FULL-1.json"), dossier(71));
  EXPECT_TRUE(fs::exists(out / "HS-FULL-1.receipt.json"));
  stop_runner();
}

TEST_F(FiledropTest, a_file_that_no_event_announced_is_found_by_the_periodic_rescan) {
  const auto inbox = test_dir_ / "json";
  start_runner(write_config({inbox_keys("hoso-json", inbox) + "service = \"" + kJsonService +
                             "\"\nread_lock = \"rename\"\nrescan_ms = 300\n"}));
  // A hard link appears with IN_CREATE only (no close after writing, no rename): as good as a lost event.
  write_file(test_dir_ / "hoso.json", dossier(61));
  fs::create_hard_link(test_dir_ / "hoso.json", inbox / "hoso.json");
  ASSERT_TRUE(wait_until([&] { return fs::exists(inbox / "done" / "hoso.json.receipt.json"); }, 10s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  EXPECT_EQ(received(sha256_hex(dossier(61))), 1);
}

TEST_F(FiledropTest, while_the_node_is_unavailable_files_wait_in_the_inbox_and_go_when_it_is_back) {
  const auto inbox = test_dir_ / "json";
  start_runner(write_config({inbox_keys("hoso-json", inbox) + "service = \"" + kJsonService +
                             "\"\nread_lock = \"rename\"\nretry_initial_ms = 100\nretry_max_ms = 400\n"},
                            "timeout_ms = 300\n"));
  // A node that accepts connections but never answers (stopped), then comes back.
  struct Resume {
    ~Resume() { node_->signal(SIGCONT); }
  } resume;
  node_->signal(SIGSTOP);
  for (int i = 0; i < 3; ++i) drop(inbox, "hoso-" + std::to_string(i) + ".json", dossier(51 + i));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(data_files(inbox).size(), 3u) << "the files wait in the inbox";
  EXPECT_TRUE(data_files(inbox / "failed").empty());
  EXPECT_TRUE(data_files(inbox / "done").empty());
  const auto health = nlohmann::json::parse(runner_get("/healthz"));
  ASSERT_EQ(health["adapters"].size(), 1u) << health;
  EXPECT_EQ(health["adapters"][0]["ok"], false) << health;
  EXPECT_EQ(health["adapters"][0]["backlog"], 3) << health;
  EXPECT_NE(health["adapters"][0]["detail"].get<std::string>().find("node unavailable"), std::string::npos) << health;
  const std::string metrics = runner_get("/metrics");
  EXPECT_NE(metrics.find("lgsp_adapter_retried_total{adapter=\"hoso-json\""), std::string::npos) << metrics;

  node_->signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] { return data_files(inbox / "done").size() == 3; }, 15s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(received(sha256_hex(dossier(51 + i))), 1) << i;
  EXPECT_TRUE(
      wait_until([&] { return nlohmann::json::parse(runner_get("/healthz"))["adapters"][0]["ok"] == true; }, 5s));
}

// Issue 22's "done when": the runner SIGKILLed during a drop of 1,000 files, then restarted: every file reached
// the receiver exactly once and every file is in done/ or failed/, none in both, none left.
TEST_F(FiledropTest, sigkill_during_a_drop_of_1000_files_loses_none_and_sends_none_twice) {
  const auto inbox = test_dir_ / "inbox";
  const auto config = write_config({inbox_keys("hoso-json", inbox) + "service = \"" + kJsonService +
                                    "\"\nread_lock = \"rename\"\nretry_initial_ms = 50\nretry_max_ms = 500\n"});
  constexpr int kFiles = 1000;
  std::vector<std::string> bodies;
  std::set<std::string> ids;
  for (int i = 0; i < kFiles; ++i) {
    bodies.push_back(dossier(1000 + i));
    ids.insert(sha256_hex(bodies.back()));
  }
  start_runner(config);
  std::atomic<int> dropped{0};
  std::thread dropper([&] {
    for (int i = 0; i < kFiles; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "hoso-%04d.json", i);
      drop(inbox, name, bodies[static_cast<std::size_t>(i)]);
      ++dropped;
      if (i % 50 == 49) std::this_thread::sleep_for(20ms);
    }
  });
  // Kill it mid-drop, once a good part is in done/ and more is still coming.
  ASSERT_TRUE(wait_until([&] { return data_files(inbox / "done").size() >= 150; }, 30s))
      << lgsp::test::read_file(test_dir_ / "runner.log");
  runner_->signal(SIGKILL);
  runner_->wait(5s);
  runner_.reset();
  const std::size_t done_at_kill = data_files(inbox / "done").size();
  dropper.join();
  EXPECT_LT(done_at_kill, static_cast<std::size_t>(kFiles)) << "the kill should come before the end";

  start_runner(config);
  ASSERT_TRUE(wait_until(
      [&] { return data_files(inbox / "done").size() + data_files(inbox / "failed").size() >= kFiles; }, 60s))
      << data_files(inbox / "done").size() << " done\n"
      << lgsp::test::read_file(test_dir_ / "runner.log");
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(data_files(inbox).empty()) << data_files(inbox).size() << " left in the inbox";
  // Never in both, never twice: the names in done/ and failed/ are exactly the names dropped.
  std::set<std::string> all = data_files(inbox / "done");
  for (const auto& f : data_files(inbox / "failed")) EXPECT_TRUE(all.insert(f).second) << f << " in both";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kFiles));
  EXPECT_TRUE(data_files(inbox / "failed").empty()) << "a valid file failed";
  std::vector<std::string> missing, twice;
  {
    std::lock_guard lock(receiver_->mutex);
    for (const auto& id : ids) {
      auto it = receiver_->counts.find(id);
      if (it == receiver_->counts.end())
        missing.push_back(id);
      else if (it->second != 1)
        twice.push_back(id);
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " files never reached the receiver";
  EXPECT_TRUE(twice.empty()) << twice.size() << " files reached the receiver more than once";
  std::cout << "done before the kill: " << done_at_kill << " of " << kFiles << "\n";
}

}  // namespace
