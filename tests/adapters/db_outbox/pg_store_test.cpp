// The outbox reader, the inbox writer and the cursor file against a real PostgreSQL started for this program.
#include "cursor_file.hpp"
#include "inbox_store.hpp"
#include "outbox_store.hpp"
#include "postgres_server.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>

namespace {
using namespace lgsp::adapters::db;
using json = nlohmann::json;

lgsp::test::PostgresServer* server = nullptr;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { server = new lgsp::test::PostgresServer(); }
  void TearDown() override {
    delete server;
    server = nullptr;
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// Each test gets its own database, so tests do not see each other's rows.
std::string fresh_database(const std::string& name) {
  server->sql("DROP DATABASE IF EXISTS " + name);
  server->sql("CREATE DATABASE " + name);
  return server->conninfo(name);
}

TEST(OutboxStore, reads_rows_after_the_cursor_in_key_order_with_the_payload_column) {
  const auto conninfo = fresh_database("outbox_payload");
  server->sql(
      "CREATE TABLE outbox (id bigserial PRIMARY KEY, body text NOT NULL, msg text, conv text);"
      "INSERT INTO outbox (body, msg, conv) VALUES ('{\"a\":1}', 'm-1', 'c-1'), ('{\"a\":2}', NULL, NULL), "
      "('{\"a\":3}', 'm-3', NULL);",
      "outbox_payload");
  PgConnection c(conninfo);
  OutboxStore store({"outbox", "id", "body", {}, "msg", "conv"});
  store.prepare(c);
  auto rows = store.after(c, 0, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, 1);
  EXPECT_EQ(rows[0].payload, "{\"a\":1}");
  EXPECT_EQ(rows[0].message_id, "m-1");
  EXPECT_EQ(rows[0].conversation_id, "c-1");
  EXPECT_FALSE(rows[1].message_id);
  rows = store.after(c, 2, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, 3);
  EXPECT_EQ(store.backlog(c, 1, 1000), 2);
  EXPECT_EQ(store.backlog(c, 0, 2), 2);  // counted up to the cap only
  EXPECT_EQ(store.last_key(c), 3);
}

TEST(OutboxStore, a_row_becomes_typed_json_when_no_payload_column_is_named) {
  const auto conninfo = fresh_database("outbox_json");
  server->sql(
      "CREATE TABLE legacy_out (seq integer PRIMARY KEY, ma_ho_so text, so_tien numeric, da_nop boolean, "
      "\"Ghi chu\" text);"
      "INSERT INTO legacy_out VALUES (7, 'HS-1', 150000.5, true, 'x');",
      "outbox_json");
  PgConnection c(conninfo);
  OutboxStore all({"public.legacy_out", "seq", "", {}, "", ""});
  all.prepare(c);
  auto rows = all.after(c, 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  const auto doc = json::parse(rows[0].payload);
  EXPECT_EQ(doc["ma_ho_so"], "HS-1");
  EXPECT_EQ(doc["so_tien"], 150000.5);
  EXPECT_EQ(doc["da_nop"], true);
  PgConnection c2(conninfo);
  OutboxStore some({"legacy_out", "seq", "", {"ma_ho_so", "da_nop"}, "", ""});
  some.prepare(c2);
  EXPECT_EQ(json::parse(some.after(c2, 0, 10).at(0).payload), json::parse(R"({"ma_ho_so":"HS-1","da_nop":true})"));
}

TEST(OutboxStore, refuses_names_that_are_not_plain_identifiers) {
  EXPECT_THROW(OutboxStore({"outbox; DROP TABLE outbox", "id", "", {}, "", ""}), std::invalid_argument);
  EXPECT_THROW(OutboxStore({"outbox", "id\" > 0 --", "", {}, "", ""}), std::invalid_argument);
  EXPECT_THROW(OutboxStore({"outbox", "id", "", {"a'b"}, "", ""}), std::invalid_argument);
  EXPECT_THROW(OutboxStore({"a.b.c", "id", "", {}, "", ""}), std::invalid_argument);
  EXPECT_THROW(OutboxStore({"outbox", "1id", "", {}, "", ""}), std::invalid_argument);
}

TEST(OutboxStore, a_dropped_connection_is_reported_as_lost) {
  const auto conninfo = fresh_database("outbox_lost");
  server->sql("CREATE TABLE outbox (id bigserial PRIMARY KEY, body text)", "outbox_lost");
  PgConnection c(conninfo);
  OutboxStore store({"outbox", "id", "body", {}, "", ""});
  store.prepare(c);
  server->sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'outbox_lost' AND pid <> "
      "pg_backend_pid()");
  try {
    store.after(c, 0, 10);
    FAIL() << "the terminated connection answered";
  } catch (const PgError& e) {
    EXPECT_TRUE(e.connection_lost()) << e.what();
  }
  EXPECT_THROW(PgConnection("host=127.0.0.1 port=1 user=lgsp dbname=postgres"), PgError);
}

TEST(InboxStore, stores_each_delivery_once_by_client_and_message_id) {
  const auto conninfo = fresh_database("inbox_once");
  PgConnection c(conninfo);
  InboxStore inbox({"inbox"});
  inbox.create(c);
  inbox.prepare(c);
  InboxRecord r{"m-1",       "000.00.13.H29/HOTICH", "000.00.13.H29/THUE/nop/v1", "", "2026-11-23T07:11:16.926Z",
                "{\"a\":1}", "application/json"};
  EXPECT_TRUE(inbox.store(c, r));
  EXPECT_FALSE(inbox.store(c, r));    // the node sent it again: stored once
  r.client = "000.00.13.H29/MOTCUA";  // another client may use the same id
  EXPECT_TRUE(inbox.store(c, r));
  EXPECT_EQ(server->sql("SELECT count(*), count(conversation_id) FROM inbox", "inbox_once"), "2|0");
  EXPECT_EQ(server->sql("SELECT payload FROM inbox WHERE client = '000.00.13.H29/HOTICH'", "inbox_once"), "{\"a\":1}");
}

TEST(InboxStore, writes_into_a_legacy_table_with_its_own_column_names_and_a_jsonb_payload) {
  const auto conninfo = fresh_database("inbox_legacy");
  server->sql(
      "CREATE TABLE ho_so_den (ma_tin text NOT NULL, he_thong text NOT NULL, noi_dung jsonb NOT NULL, "
      "PRIMARY KEY (he_thong, ma_tin))",
      "inbox_legacy");
  PgConnection c(conninfo);
  InboxTable t{"ho_so_den", "ma_tin", "he_thong", "", "", "", "noi_dung", ""};
  InboxStore inbox(t);
  inbox.prepare(c);
  EXPECT_TRUE(inbox.store(c, {"m-9", "A/B", "S", "", "", "{\"x\": [1, 2]}", ""}));
  EXPECT_FALSE(inbox.store(c, {"m-9", "A/B", "S", "", "", "{\"x\": [1, 2]}", ""}));
  EXPECT_EQ(server->sql("SELECT noi_dung->'x'->>1 FROM ho_so_den", "inbox_legacy"), "2");
  // A payload the column cannot take fails the statement and stores nothing.
  try {
    inbox.store(c, {"m-10", "A/B", "S", "", "", "not json", ""});
    FAIL();
  } catch (const PgError& e) {
    EXPECT_FALSE(e.connection_lost());
  }
  EXPECT_EQ(server->sql("SELECT count(*) FROM ho_so_den", "inbox_legacy"), "1");
}

class CursorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lgsp-cursor-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CursorFileTest, keeps_the_last_key_and_refuses_another_tables_cursor) {
  CursorFile cursor(dir_ / "cursor", "public.outbox.id");
  EXPECT_FALSE(cursor.load());
  cursor.store(41);
  cursor.store(42);
  EXPECT_EQ(CursorFile(dir_ / "cursor", "public.outbox.id").load(), 42);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "cursor.tmp"));
  EXPECT_THROW(CursorFile(dir_ / "cursor", "public.other.id").load(), std::runtime_error);
  std::ofstream(dir_ / "cursor") << "lgsp-outbox-cursor-v1\npublic.outbox.id\n4x\n";
  EXPECT_THROW(cursor.load(), std::runtime_error);
}

}  // namespace
