// The db-outbox adapter end to end: a real PostgreSQL (started here), `lgsp adapter run` as a child process,
// a real `lgsp serve` node sealing with hsm-sim, and a receiver counting by LGSP-Message-Id. Rows a legacy
// system inserts reach the receiver once each, across a SIGKILL of the runner mid-stream; a row the node
// refuses is a dead letter and the cursor moves on; deliveries the node pushes land in a table once each.
#include "bus_fixture.hpp"
#include "pg.hpp"
#include "postgres_server.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using lgsp::test::wait_until;

const std::string kWard = "000.00.13.H29";
const std::string kAdapterClient = kWard + "/THUE";              // the legacy tax system's identity on the bus
const std::string kSender = kWard + "/MOTCUA";                   // a member system that sends to the tax system
const std::string kOutService = kWard + "/TIENDO/trangthai/v1";  // rows -> the receiver
const std::string kInService = kWard + "/THUE/trangthai/v1";     // deliveries -> the adapter -> a table

std::string status_row_values(int i, int status = 4) {
  char code[8];
  std::snprintf(code, sizeof code, "%05d", i);
  return "('000.00.13.H29-261122-" + std::string(code) + "', " + std::to_string(status) +
         ", '000.00.13.H29', '{\"name\": \"Lê Thị Cúc\"}', 'Đang xử lý', '2026-11-22T14:05:00+07:00')";
}

std::string status_json(int i) {
  char code[8];
  std::snprintf(code, sizeof code, "%05d", i);
  return nlohmann::json{{"dossier_code", "000.00.13.H29-261122-" + std::string(code)},
                        {"status", 9},
                        {"unit", "000.00.13.H29"},
                        {"actor", {{"name", "Trần Văn Dũng"}}},
                        {"comment", "Hoàn thành"},
                        {"changed_at", "2026-11-23T08:00:00+07:00"}}
      .dump();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

class DbOutboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new lgsp::test::PostgresServer();
    bus_ = new lgsp::test::BusFixture("db-outbox");
    bus_->start(
        [](lgsp::bus::Registry& reg, const std::string& runner, const std::string& receiver, const fs::path& dir) {
          reg.add_member(kWard, "UBND phường Bến Thành");
          for (const char* s : {"THUE", "MOTCUA", "TIENDO"}) reg.add_subsystem(kWard + "/" + s);
          lgsp::bus::Service out;
          out.id = kOutService;
          out.request_contract = "onestop.dossier-status@v1";
          out.endpoint = receiver + "/in";
          out.retry = {50, 50, 500};
          reg.add_service(out);
          reg.grant(kAdapterClient, kOutService);
          lgsp::bus::Service in;
          in.id = kInService;
          in.request_contract = "onestop.dossier-status@v1";
          in.endpoint = runner + "/adapters/thue-db/deliveries";
          in.retry = {100, 50, 500};
          reg.add_service(in);
          reg.grant(kSender, kInService);
          lgsp::test::write_text(dir / "thue.key", reg.create_api_key(kAdapterClient) + "\n");
          sender_key_ = reg.create_api_key(kSender);
        });
  }
  static void TearDownTestSuite() {
    delete bus_;
    delete pg_;
  }

  void SetUp() override {
    test_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    pg_->sql("DROP DATABASE IF EXISTS " + test_);
    pg_->sql("CREATE DATABASE " + test_);
    // The legacy system's own tables: its outbox of status changes, and the table it reads deliveries from.
    pg_->sql(
        "CREATE TABLE trang_thai_ra (id bigserial PRIMARY KEY, dossier_code text, status integer, unit text, "
        "actor jsonb, comment text, changed_at text, gui_luc timestamptz DEFAULT now());"
        "CREATE TABLE trang_thai_vao (ma_tin text NOT NULL, he_thong text NOT NULL, dich_vu text, noi_dung jsonb "
        "NOT NULL, PRIMARY KEY (he_thong, ma_tin));",
        test_);
    // Message ids are "thue-db-<key>" and the node and receiver are shared by the tests: each test's keys start
    // elsewhere, so one test's rows are never taken for another's repeats.
    static int tests = 0;
    pg_->sql("ALTER SEQUENCE trang_thai_ra_id_seq RESTART WITH " + std::to_string(++tests * 100000 + 1), test_);
    lgsp::test::write_text(bus_->dir() / (test_ + ".conn"), pg_->conninfo(test_) + "\n");
  }
  void TearDown() override {
    if (bus_->runner_running()) bus_->stop_runner();
  }

  fs::path config(const std::string& extra = "", int gap_wait_ms = 200) {
    return bus_->write_config(test_, "[[adapter]]\nname = \"thue-db\"\nkind = \"db-outbox\"\nclient = \"" +
                                         kAdapterClient + "\"\napi_key_file = \"" +
                                         (bus_->dir() / "thue.key").string() + "\"\nconnection_file = \"" +
                                         (bus_->dir() / (test_ + ".conn")).string() +
                                         "\"\n\n[adapter.outbox]\ntable = \"public.trang_thai_ra\"\nkey_column = "
                                         "\"id\"\nservice = \"" +
                                         kOutService +
                                         "\"\ncolumns = [\"dossier_code\", \"status\", \"unit\", \"actor\", "
                                         "\"comment\", \"changed_at\"]\npoll_interval_ms = 50\ngap_wait_ms = " +
                                         std::to_string(gap_wait_ms) +
                                         "\n"
                                         "initial_backoff_ms = 50\nmax_backoff_ms = 500\n\n[adapter.inbox]\ntable = "
                                         "\"trang_thai_vao\"\nservice = \"" +
                                         kInService +
                                         "\"\ncolumns = { message_id = \"ma_tin\", client = \"he_thong\", service = "
                                         "\"dich_vu\", payload = \"noi_dung\", conversation_id = \"\", accepted_at = "
                                         "\"\", content_type = \"\" }\n" +
                                         extra);
  }

  void insert_rows(int from, int to, int status = 4) {
    std::string values;
    for (int i = from; i < to; ++i) values += (values.empty() ? "" : ", ") + status_row_values(i, status);
    pg_->sql("INSERT INTO trang_thai_ra (dossier_code, status, unit, actor, comment, changed_at) VALUES " + values,
             test_);
  }
  std::string id_of(std::int64_t key) const { return "thue-db-" + std::to_string(key); }
  std::int64_t first_key() const {
    return std::stoll(pg_->sql("SELECT coalesce(min(id), 0) FROM trang_thai_ra", test_));
  }

  static inline lgsp::test::PostgresServer* pg_ = nullptr;
  static inline lgsp::test::BusFixture* bus_ = nullptr;
  static inline std::string sender_key_;
  std::string test_;
};

TEST_F(DbOutboxTest, rows_reach_the_receiver_once_each_and_a_refused_row_is_a_dead_letter) {
  insert_rows(0, 5);
  insert_rows(5, 6, 99);  // status 99 breaks the contract: the node refuses it
  insert_rows(6, 10);
  const auto config_file = config();
  bus_->start_runner(config_file);
  const auto first = first_key();
  ASSERT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first + 9)) == 1; }, 30s))
      << lgsp::test::read_file(config_file.parent_path() / "runner.log");
  for (int i = 0; i < 10; ++i) {
    if (i == 5) {
      EXPECT_EQ(bus_->receiver().count(id_of(first + i)), 0);
      continue;
    }
    EXPECT_EQ(bus_->receiver().count(id_of(first + i)), 1) << i;
  }
  const auto body = nlohmann::json::parse(bus_->receiver().body(id_of(first)));
  EXPECT_EQ(body["dossier_code"], "000.00.13.H29-261122-00000");
  EXPECT_EQ(body["actor"]["name"], "Lê Thị Cúc");  // jsonb stays an object, integers stay integers
  EXPECT_EQ(body["status"], 4);

  const auto letters = bus_->lgsp({"adapter", "dlq", "list", "--config", config_file.string(), "--json"});
  ASSERT_EQ(letters.exit_code, 0) << letters.err;
  const auto list = nlohmann::json::parse(letters.out);
  ASSERT_EQ(list.size(), 1u) << letters.out;
  EXPECT_EQ(list[0]["key"], "row " + std::to_string(first + 5));
  EXPECT_NE(list[0]["reason"].get<std::string>().find("LGSP-400-CONTRACT"), std::string::npos) << letters.out;
  // Replayed as it is, the node refuses it again: the letter stays, with one attempt more.
  const auto id = std::to_string(list[0]["id"].get<std::int64_t>());
  EXPECT_EQ(bus_->lgsp({"adapter", "dlq", "replay", "--config", config_file.string(), id}).exit_code, 1);
  const auto again =
      nlohmann::json::parse(bus_->lgsp({"adapter", "dlq", "list", "--config", config_file.string(), "--json"}).out);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["attempts"], 1);

  // Rows written while the runner runs are picked up too.
  insert_rows(10, 12);
  EXPECT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first + 11)) == 1; }, 20s));
  const auto health = nlohmann::json::parse(bus_->get(bus_->runner_port(), "/healthz").body);
  EXPECT_NE(health.dump().find("rows waiting"), std::string::npos) << health.dump();
}

TEST_F(DbOutboxTest, a_runner_killed_mid_stream_neither_skips_nor_resends_a_row) {
  constexpr int kRows = 400;
  insert_rows(0, kRows);
  const auto first = first_key();
  const auto config_file = config();
  bus_->start_runner(config_file);
  // Killed once some rows have gone and most have not.
  ASSERT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first + 40)) == 1; }, 30s));
  bus_->kill_runner();
  const auto before = bus_->receiver().counts();
  std::size_t delivered_before = 0;
  for (int i = 0; i < kRows; ++i) delivered_before += before.count(id_of(first + i));
  EXPECT_LT(delivered_before, static_cast<std::size_t>(kRows)) << "the kill came too late to test anything";

  bus_->start_runner(config_file);
  ASSERT_TRUE(wait_until(
      [&] {
        for (int i = 0; i < kRows; ++i)
          if (bus_->receiver().count(id_of(first + i)) == 0) return false;
        return true;
      },
      90s))
      << lgsp::test::read_file(config_file.parent_path() / "runner.log");
  std::this_thread::sleep_for(500ms);  // a second delivery would have come by now
  for (int i = 0; i < kRows; ++i) EXPECT_EQ(bus_->receiver().count(id_of(first + i)), 1) << "row " << i;
  const auto letters = bus_->lgsp({"adapter", "dlq", "list", "--config", config_file.string(), "--json"});
  EXPECT_EQ(nlohmann::json::parse(letters.out).size(), 0u) << letters.out;
}

TEST_F(DbOutboxTest, a_row_committed_after_a_later_key_is_waited_for_not_skipped) {
  insert_rows(0, 1);
  const auto first = first_key();
  const auto config_file = config("", 4000);
  bus_->start_runner(config_file);
  ASSERT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first)) == 1; }, 20s));
  // A legacy transaction takes key first+1 and has not committed when key first+2 is committed and visible.
  lgsp::adapters::db::PgConnection slow(pg_->conninfo(test_));
  slow.exec("BEGIN");
  slow.exec("INSERT INTO trang_thai_ra (dossier_code, status, unit, actor, comment, changed_at) VALUES " +
            status_row_values(1));
  insert_rows(2, 3);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(bus_->receiver().count(id_of(first + 2)), 0) << "sent past a key that may still commit";
  slow.exec("COMMIT");
  ASSERT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first + 2)) == 1; }, 20s));
  EXPECT_EQ(bus_->receiver().count(id_of(first + 1)), 1);  // without the wait, the cursor would have passed it
}

TEST_F(DbOutboxTest, deliveries_are_written_into_the_legacy_table_once_each) {
  const auto config_file = config();
  bus_->start_runner(config_file);
  for (int i = 0; i < 20; ++i) {
    const auto r = bus_->send(sender_key_, kSender, kInService, "vao-" + std::to_string(i), status_json(i));
    ASSERT_EQ(r.status, 202u) << r.body;
  }
  // The same message again: the node answers 200 and does not deliver it twice.
  EXPECT_EQ(bus_->send(sender_key_, kSender, kInService, "vao-0", status_json(0)).status, 200u);
  ASSERT_TRUE(wait_until([&] { return pg_->sql("SELECT count(*) FROM trang_thai_vao", test_) == "20"; }, 30s))
      << lgsp::test::read_file(config_file.parent_path() / "runner.log");
  EXPECT_EQ(pg_->sql("SELECT count(DISTINCT ma_tin), min(he_thong), min(dich_vu) FROM trang_thai_vao", test_),
            "20|" + kSender + "|" + kInService);
  EXPECT_EQ(pg_->sql("SELECT noi_dung->>'comment' FROM trang_thai_vao WHERE ma_tin = 'vao-3'", test_), "Hoàn thành");

  // A push that is not sealed by the node is refused and stores nothing.
  const auto forged =
      bus_->runner_request("POST", "/adapters/thue-db/deliveries", status_json(99),
                           {{"lgsp-message-id", "forged-1"}, {"lgsp-client", kSender}, {"lgsp-service", kInService}});
  EXPECT_EQ(forged.status, 403u) << forged.body;
  EXPECT_EQ(pg_->sql("SELECT count(*) FROM trang_thai_vao WHERE ma_tin = 'forged-1'", test_), "0");
}

TEST_F(DbOutboxTest, a_database_that_goes_away_is_waited_for_and_nothing_is_lost) {
  insert_rows(0, 3);
  const auto first = first_key();
  const auto config_file = config();
  bus_->start_runner(config_file);
  ASSERT_TRUE(wait_until([&] { return bus_->receiver().count(id_of(first + 2)) == 1; }, 30s));
  pg_->stop();
  // While the database is down: deliveries are answered 503 and the node keeps them; health says why.
  ASSERT_EQ(bus_->send(sender_key_, kSender, kInService, "down-1", status_json(1)).status, 202u);
  EXPECT_TRUE(wait_until(
      [&] { return bus_->get(bus_->runner_port(), "/healthz").body.find("database") != std::string::npos; }, 20s))
      << bus_->get(bus_->runner_port(), "/healthz").body;
  pg_->start();
  insert_rows(3, 6);
  // A server that stopped in a crash skips sequence values it had cached: the keys after it are not first+3...
  std::vector<std::string> ids;
  for (const auto& key : split_lines(pg_->sql("SELECT id FROM trang_thai_ra ORDER BY id", test_)))
    ids.push_back("thue-db-" + key);
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_TRUE(wait_until([&] { return bus_->receiver().count(ids.back()) == 1; }, 40s))
      << lgsp::test::read_file(config_file.parent_path() / "runner.log");
  EXPECT_TRUE(wait_until(
      [&] { return pg_->sql("SELECT count(*) FROM trang_thai_vao WHERE ma_tin = 'down-1'", test_) == "1"; }, 40s));
  for (const auto& id : ids) EXPECT_EQ(bus_->receiver().count(id), 1) << id;
}

TEST_F(DbOutboxTest, a_config_naming_a_table_the_database_does_not_have_refuses_to_start) {
  const auto file =
      bus_->write_config(test_, "[[adapter]]\nname = \"thue-db\"\nkind = \"db-outbox\"\nclient = \"" + kAdapterClient +
                                    "\"\napi_key_file = \"" + (bus_->dir() / "thue.key").string() +
                                    "\"\nconnection_file = \"" + (bus_->dir() / (test_ + ".conn")).string() +
                                    "\"\n[adapter.outbox]\ntable = \"khong_co\"\nkey_column = \"id\"\nservice = \"" +
                                    kOutService + "\"\n");
  lgsp::test::Process runner({LGSP_BINARY, "adapter", "run", "--config", file.string()},
                             file.parent_path() / "bad.log");
  EXPECT_NE(runner.wait(20s), 0);
  EXPECT_NE(lgsp::test::read_file(file.parent_path() / "bad.log").find("khong_co"), std::string::npos)
      << lgsp::test::read_file(file.parent_path() / "bad.log");
  // An identifier that is not a plain name is refused before any connection.
  const auto bad = bus_->write_config(
      test_, "[[adapter]]\nname = \"thue-db\"\nkind = \"db-outbox\"\nclient = \"" + kAdapterClient +
                 "\"\napi_key_file = \"" + (bus_->dir() / "thue.key").string() + "\"\nconnection_env = \"PG\"\n" +
                 "[adapter.outbox]\ntable = \"x; DROP TABLE trang_thai_ra\"\nkey_column = \"id\"\nservice = \"" +
                 kOutService + "\"\n");
  const auto check = lgsp::test::run({LGSP_BINARY, "adapter", "check", "--config", bad.string()}, "", {"PG=x"});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE((check.out + check.err).find("outbox.table"), std::string::npos) << check.out << check.err;
}

}  // namespace
