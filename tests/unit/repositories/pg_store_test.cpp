// PgStore against a real PostgreSQL: parameters and types, a savepoint per unit, group commit,
// migrations checked at start, and a lost connection reported (and made again) the safe way.
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/node.hpp"
#include "repository_test.hpp"

#include <cstdlib>
#include <fstream>

#include <atomic>
#include <future>
#include <thread>

namespace lgsp::bus::test {
namespace {

Blob bytes(std::initializer_list<std::uint8_t> b) { return Blob{std::vector<std::uint8_t>(b)}; }

const std::vector<Migration>& test_migrations() {
  static const std::vector<Migration> m = {
      {1, "things",
       "CREATE TABLE thing (id BIGSERIAL PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, t TEXT, b BYTEA);"
       "CREATE TABLE unique_thing (name TEXT PRIMARY KEY);"},
  };
  return m;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { conninfo_ = fresh_pg_database(); }
  std::unique_ptr<PgStore> open(unsigned pool = 2, std::chrono::milliseconds delay = std::chrono::milliseconds(0),
                                const std::vector<Migration>& migrations = test_migrations()) {
    PgStoreOptions o;
    o.conninfo = conninfo_;
    o.pool_size = pool;
    o.group_commit_max_delay = delay;
    return std::make_unique<PgStore>(o, migrations);
  }
  // Ends every server session of this test's database but the caller's (psql's).
  void kill_sessions() {
    postgres().sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                   conninfo_.substr(conninfo_.rfind('=') + 1) + "' AND pid <> pg_backend_pid()");
  }
  std::string conninfo_;
};

TEST(PgPlaceholders, numbers_question_marks_outside_quotes_and_comments) {
  auto [sql, n] = pg_placeholders("SELECT ? , '?', \"a?\" -- what?\n FROM t WHERE x = ? AND y = 'it''s ?'");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(sql, "SELECT $1 , '?', \"a?\" -- what?\n FROM t WHERE x = $2 AND y = 'it''s ?'");
}

TEST_F(PgStoreTest, values_keep_their_types_both_ways) {
  auto store = open();
  EXPECT_EQ(store->status().schema_version, 1);
  EXPECT_TRUE(store->status().ready());
  const Blob blob = bytes({0, 1, 2, 0xff, '\\', 'x', 0});
  store
      ->write([&](Transaction& tx) {
        EXPECT_EQ(tx.backend(), Backend::postgresql);
        const Value p[] = {std::int64_t{-9007199254740993}, 0.1, std::string("chữ ký số '?' \"x\""), blob};
        tx.exec("INSERT INTO thing(n, x, t, b) VALUES (?, ?, ?, ?)", p);
        EXPECT_EQ(tx.changes(), 1);
        EXPECT_EQ(tx.last_insert_id(), 1);
        const Value nulls[] = {nullptr, nullptr, nullptr, nullptr};
        tx.exec("INSERT INTO thing(n, x, t, b) VALUES (?, ?, ?, ?)", nulls);
        EXPECT_EQ(tx.last_insert_id(), 2);
      })
      .get();
  store->read([&](Transaction& tx) {
    auto rows = tx.query("SELECT id, n, x, t, b, n IS NULL AS missing FROM thing ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].integer("n"), -9007199254740993);
    EXPECT_EQ(rows[0].real("x"), 0.1);
    EXPECT_EQ(rows[0].text("t"), "chữ ký số '?' \"x\"");
    EXPECT_EQ(rows[0].blob("b"), blob);
    EXPECT_EQ(rows[0].integer("missing"), 0);
    EXPECT_TRUE(rows[1].is_null("n") && rows[1].is_null("x") && rows[1].is_null("t") && rows[1].is_null("b"));
    EXPECT_EQ(rows[1].integer("missing"), 1);
    const Value p[] = {std::int64_t{2}};
    EXPECT_EQ(tx.query("SELECT count(*) AS c FROM thing WHERE id < ?", p).at(0).integer("c"), 1);
  });
}

TEST_F(PgStoreTest, a_statement_error_names_its_cause_and_a_wrong_parameter_count_is_refused) {
  auto store = open();
  store->write([](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES ('a')"); }).get();
  try {
    store->write([](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES ('a')"); }).get();
    FAIL() << "a duplicate key was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[23505]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store->read([](Transaction& tx) { tx.query("SELECT ? AS a"); }), StoreError);
  const Value with_nul[] = {std::string("a\0b", 3)};
  EXPECT_THROW(
      store->write([&](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES (?)", with_nul); }).get(),
      StoreError);
}

TEST_F(PgStoreTest, a_failing_unit_rolls_back_only_itself_within_one_commit) {
  // A delay long enough for all three units to queue before the writer starts the batch.
  auto store = open(2, std::chrono::milliseconds(200));
  auto a = store->write([](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES ('a')"); });
  auto bad = store->write([](Transaction& tx) {
    tx.exec("INSERT INTO unique_thing(name) VALUES ('b')");
    tx.exec("INSERT INTO unique_thing(name) VALUES ('a')");  // fails: 'b' must go too
  });
  auto c = store->write([](Transaction& tx) {
    // A nested savepoint: the unit gets over its own failed statement and goes on.
    auto error = tx.try_in_savepoint([&] { tx.exec("INSERT INTO no_such_table VALUES (1)"); });
    EXPECT_TRUE(error);
    tx.exec("INSERT INTO unique_thing(name) VALUES ('c')");
  });
  EXPECT_NO_THROW(a.get());
  EXPECT_THROW(bad.get(), StoreError);
  EXPECT_NO_THROW(c.get());
  EXPECT_EQ(store->stats().commits, 1u);
  EXPECT_EQ(store->stats().units, 3u);
  store->read([](Transaction& tx) {
    std::vector<std::string> names;
    for (auto& r : tx.query("SELECT name FROM unique_thing ORDER BY name")) names.push_back(r.text("name"));
    EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));
  });
}

TEST_F(PgStoreTest, concurrent_writers_share_commits_and_readers_use_the_pool) {
  auto store = open(3, std::chrono::milliseconds(5));
  std::vector<std::future<void>> done;
  for (int i = 0; i < 200; ++i)
    done.push_back(store->write([i](Transaction& tx) {
      const Value p[] = {std::int64_t{i}};
      tx.exec("INSERT INTO thing(n) VALUES (?)", p);
    }));
  for (auto& f : done) f.get();
  EXPECT_LT(store->stats().commits, 200u);
  EXPECT_EQ(store->stats().units, 200u);
  std::vector<std::thread> readers;
  std::atomic<int> seen{0};
  for (int t = 0; t < 6; ++t)
    readers.emplace_back([&] {
      for (int k = 0; k < 20; ++k)
        store->read([&](Transaction& tx) {
          if (tx.query("SELECT count(*) AS c FROM thing").at(0).integer("c") == 200) ++seen;
        });
    });
  for (auto& t : readers) t.join();
  EXPECT_EQ(seen.load(), 120);
}

TEST_F(PgStoreTest, migrations_are_applied_once_and_a_newer_schema_is_refused) {
  open().reset();
  open().reset();  // again: nothing to apply, no error
  EXPECT_EQ(postgres().sql("SELECT count(*) FROM schema_migrations", conninfo_.substr(conninfo_.rfind('=') + 1)), "1");
  const std::vector<Migration> none;
  try {
    open(2, std::chrono::milliseconds(0), none);
    FAIL() << "a schema newer than the build was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this build"), std::string::npos) << e.what();
  }
}

TEST_F(PgStoreTest, the_node_schema_applies_in_one_go) {
  PgStoreOptions o;
  o.conninfo = conninfo_;
  PgStore store(o, node_pg_migrations());
  EXPECT_EQ(store.status().schema_version, static_cast<int>(node_migrations().size()));
  EXPECT_EQ(node_pg_migrations().size(), node_migrations().size());
  for (std::size_t i = 0; i < node_migrations().size(); ++i)
    EXPECT_EQ(node_pg_migrations()[i].name, node_migrations()[i].name);
}

// Several nodes on one database: each node's writer appends to the one message log. Two stores (two nodes)
// appending at once from several threads never follow the same record twice (a fork, or a duplicate seq the
// database refuses): every append succeeds and the whole chain verifies.
TEST_F(PgStoreTest, two_stores_appending_to_the_log_at_once_keep_one_unbroken_chain) {
  PgStoreOptions o;
  o.conninfo = conninfo_;
  o.group_commit_max_delay = std::chrono::milliseconds(1);
  o.serialize_writers = true;  // as the node's store (open_embedded_store)
  PgStore a(o, node_pg_migrations());
  PgStore b(o, node_pg_migrations());
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 6; ++t)
    writers.emplace_back([&, t] {
      Store& store = t % 2 ? static_cast<Store&>(a) : static_cast<Store&>(b);
      for (int i = 0; i < 25; ++i) {
        try {
          store
              .write([&](Transaction& tx) {
                MessageLog::append(tx, "attempt", "writer-" + std::to_string(t), {{"attempt", i}});
              })
              .get();
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(failed.load(), 0);
  std::string prev;
  auto records = MessageLog::read(a, std::nullopt, std::nullopt, prev);
  EXPECT_EQ(records.size(), 150u);
  auto check = MessageLog::verify(records, prev, nullptr);
  EXPECT_TRUE(check.ok) << check.reason;
}

TEST_F(PgStoreTest, an_unreachable_server_is_a_store_error_naming_the_cause) {
  PgStoreOptions o;
  o.conninfo = "host=127.0.0.1 port=" + std::to_string(lgsp::test::free_port()) + " user=lgsp dbname=x";
  try {
    PgStore store(o, test_migrations());
    FAIL() << "connected to nothing";
  } catch (const StoreConnectionLost& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
}

TEST_F(PgStoreTest, connections_ended_by_the_server_are_made_again_before_any_unit_runs) {
  auto store = open();
  store->write([](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES ('before')"); }).get();
  store->read([](Transaction& tx) { tx.query("SELECT 1 AS one"); });
  kill_sessions();
  // The writer and the reader find their sessions gone at BEGIN: no work has run, so they connect
  // again and go on.
  int runs = 0;
  store
      ->write([&](Transaction& tx) {
        ++runs;
        tx.exec("INSERT INTO unique_thing(name) VALUES ('after')");
      })
      .get();
  EXPECT_EQ(runs, 1);
  std::int64_t count = 0;
  for (int i = 0; i < 2; ++i)  // both pooled connections were ended
    store->read(
        [&](Transaction& tx) { count = tx.query("SELECT count(*) AS c FROM unique_thing").at(0).integer("c"); });
  EXPECT_EQ(count, 2);
  EXPECT_TRUE(store->status().ready());
}

TEST_F(PgStoreTest, a_connection_lost_inside_a_unit_fails_it_and_nothing_of_it_is_committed) {
  auto store = open();
  const std::string db = conninfo_.substr(conninfo_.rfind('=') + 1);
  try {
    store
        ->write([&](Transaction& tx) {
          tx.exec("INSERT INTO unique_thing(name) VALUES ('lost')");
          // Another session ends this one mid-unit, as a server restart or a network drop would.
          const auto pid = tx.query("SELECT pg_backend_pid() AS pid").at(0).integer("pid");
          postgres().sql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")", db);
          tx.exec("INSERT INTO unique_thing(name) VALUES ('lost too')");
        })
        .get();
    FAIL() << "a unit whose connection was lost was reported durable";
  } catch (const StoreConnectionLost& e) {
    EXPECT_NE(std::string(e.what()).find("nothing was committed"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store->status().ready());
  // The next unit connects again.
  store->write([](Transaction& tx) { tx.exec("INSERT INTO unique_thing(name) VALUES ('next')"); }).get();
  EXPECT_TRUE(store->status().ready());
  EXPECT_EQ(postgres().sql("SELECT string_agg(name, ',' ORDER BY name) FROM unique_thing", db), "next");
}

TEST_F(PgStoreTest, a_read_whose_connection_is_lost_inside_its_work_is_reported_not_run_again) {
  auto store = open(1);
  const std::string db = conninfo_.substr(conninfo_.rfind('=') + 1);
  int runs = 0;
  EXPECT_THROW(store->read([&](Transaction& tx) {
    ++runs;
    const auto pid = tx.query("SELECT pg_backend_pid() AS pid").at(0).integer("pid");
    postgres().sql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")", db);
    tx.query("SELECT 1 AS one");
  }),
               StoreConnectionLost);
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(store->status().ready()) << "a lost connection shows in the status";
  store->read([](Transaction& tx) { EXPECT_EQ(tx.query("SELECT 1 AS one").at(0).integer("one"), 1); });
  EXPECT_TRUE(store->status().ready()) << "and a read that connected again clears it";
}

// The password: given to the store, or by the node's config from a file or the environment; without it
// a server that asks for one refuses, and the store says so.
TEST_F(PgStoreTest, a_password_from_the_options_the_password_file_or_the_environment_opens_the_store) {
  const std::string db = conninfo_.substr(conninfo_.rfind('=') + 1);
  postgres().add_password_role("lgsp_pw", "correct horse", db);
  const std::string url = "host=127.0.0.1 port=" + std::to_string(postgres().port()) + " user=lgsp_pw dbname=" + db;
  PgStoreOptions o;
  o.conninfo = url;
  try {
    PgStore store(o, test_migrations());
    FAIL() << "opened without the password";
  } catch (const StoreConnectionLost& e) {
    EXPECT_NE(std::string(e.what()).find("password"), std::string::npos) << e.what();
  }
  o.password = "correct horse";
  EXPECT_NO_THROW(PgStore(o, test_migrations()));

  Config config;
  config.store.backend = StoreBackendKind::postgresql;
  config.store.postgresql_url = url;
  const auto file = std::filesystem::temp_directory_path() / ("lgsp-pg-password-" + std::to_string(::getpid()));
  std::ofstream(file) << "correct horse\n";  // the first line: a trailing newline is no part of it
  config.store.postgresql_password_file = file;
  EXPECT_NO_THROW(open_embedded_store(config)->status());
  std::ofstream(file, std::ios::trunc) << "\n";
  EXPECT_THROW(open_embedded_store(config), ConfigError);
  std::filesystem::remove(file);
  config.store.postgresql_password_file.clear();
  ::setenv("LGSP_STORE_POSTGRESQL_PASSWORD", "correct horse", 1);
  EXPECT_NO_THROW(open_embedded_store(config)->status());
  ::setenv("LGSP_STORE_POSTGRESQL_PASSWORD", "wrong", 1);
  EXPECT_THROW(open_embedded_store(config), StoreConnectionLost);
  ::unsetenv("LGSP_STORE_POSTGRESQL_PASSWORD");
}

}  // namespace
}  // namespace lgsp::bus::test
