#include "lgsp/bus/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-store-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  SqliteStoreOptions options(unsigned max_rows = 512, int delay_ms = 2) {
    return {dir_ / "lgsp.db", max_rows, std::chrono::milliseconds(delay_ms)};
  }
  std::int64_t count(Store& s, const std::string& table) {
    std::int64_t n = -1;
    s.read([&](Transaction& tx) { n = tx.query("SELECT COUNT(*) AS n FROM " + table).at(0).integer("n"); });
    return n;
  }
  fs::path dir_;
};

const std::vector<Migration> kTwoSteps = {
    {1, "items", "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"},
    {2, "item size", "ALTER TABLE item ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"},
};

TEST_F(StoreTest, applies_all_migrations_on_a_fresh_database) {
  SqliteStore store(options(), kTwoSteps);
  auto st = store.status();
  EXPECT_TRUE(st.ready());
  EXPECT_EQ(st.schema_version, 2);
  store.read([](Transaction& tx) {
    auto rows = tx.query("SELECT version, name FROM schema_migrations ORDER BY version");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].text("name"), "item size");
  });
}

TEST_F(StoreTest, applies_only_new_migrations_on_an_existing_database_and_keeps_data) {
  {
    SqliteStore store(options(), {kTwoSteps[0]});
    const Value row[] = {std::string("kept")};
    store.write([&](Transaction& tx) { tx.exec("INSERT INTO item(name) VALUES (?)", row); }).get();
    EXPECT_EQ(store.status().schema_version, 1);
  }
  SqliteStore store(options(), kTwoSteps);
  EXPECT_EQ(store.status().schema_version, 2);
  store.read([](Transaction& tx) {
    auto rows = tx.query("SELECT name, size FROM item");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].text("name"), "kept");
    EXPECT_EQ(rows[0].integer("size"), 0);
  });
}

TEST_F(StoreTest, a_failing_migration_leaves_the_database_unchanged) {
  { SqliteStore store(options(), {kTwoSteps[0]}); }
  std::vector<Migration> broken = {kTwoSteps[0],
                                   {2, "ok part", "CREATE TABLE other (x INTEGER);"},
                                   {3, "broken", "ALTER TABLE nowhere ADD COLUMN y;"}};
  try {
    SqliteStore store(options(), broken);
    FAIL() << "expected the migration to fail";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 3 (broken)"), std::string::npos) << e.what();
  }
  SqliteStore store(options(), {kTwoSteps[0]});
  EXPECT_EQ(store.status().schema_version, 1);
  store.read(
      [](Transaction& tx) { EXPECT_TRUE(tx.query("SELECT name FROM sqlite_master WHERE name = 'other'").empty()); });
}

TEST_F(StoreTest, refuses_a_database_newer_than_the_build) {
  { SqliteStore store(options(), kTwoSteps); }
  try {
    SqliteStore store(options(), {kTwoSteps[0]});
    FAIL() << "expected a refusal";
  } catch (const StoreError& e) {
    EXPECT_STREQ(e.what(), "database schema version 2 is newer than this build (1); refusing to downgrade");
  }
}

TEST_F(StoreTest, runs_in_wal_mode) {
  SqliteStore store(options(), kTwoSteps);
  store.read([](Transaction& tx) { EXPECT_EQ(tx.query("PRAGMA journal_mode").at(0).text("journal_mode"), "wal"); });
}

TEST_F(StoreTest, group_commits_concurrent_writers_into_fewer_transactions) {
  SqliteStore store(options(512, 5), kTwoSteps);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> pending;
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        pending.push_back(store.write([name](Transaction& tx) {
          const Value p[] = {name};
          tx.exec("INSERT INTO item(name) VALUES (?)", p);
        }));
      }
      for (auto& f : pending) f.get();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count(store, "item"), kThreads * kPerThread);
  auto stats = store.stats();
  EXPECT_EQ(stats.units, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.commits, stats.units / 4) << "units were not batched into shared commits";
}

TEST_F(StoreTest, a_failing_unit_rolls_back_alone_within_a_shared_commit) {
  SqliteStore store(options(512, 20), kTwoSteps);
  auto insert = [&](std::string name) {
    return store.write([name](Transaction& tx) {
      const Value p[] = {name};
      tx.exec("INSERT INTO item(name) VALUES (?)", p);
    });
  };
  auto a = insert("a");
  auto failing = store.write([](Transaction& tx) {
    const Value p[] = {std::string("b")};
    tx.exec("INSERT INTO item(name) VALUES (?)", p);
    tx.exec("INSERT INTO item(name) VALUES (?)", p);  // UNIQUE violation: the whole unit must vanish
  });
  auto c = insert("c");
  EXPECT_NO_THROW(a.get());
  EXPECT_THROW(failing.get(), StoreError);
  EXPECT_NO_THROW(c.get());
  store.read([](Transaction& tx) {
    auto rows = tx.query("SELECT name FROM item ORDER BY name");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].text("name"), "a");
    EXPECT_EQ(rows[1].text("name"), "c");
  });
}

TEST_F(StoreTest, reads_columns_by_name_and_alias) {
  SqliteStore store(options(), {{1, "values", "CREATE TABLE v (id INTEGER PRIMARY KEY, t TEXT, r REAL, b BLOB);"}});
  store
      .write([](Transaction& tx) {
        const Value p[] = {std::string("x"), 1.5, Blob{{1, 2, 3}}};
        tx.exec("INSERT INTO v(t, r, b) VALUES (?, ?, ?)", p);
        tx.exec("INSERT INTO v(t, r, b) VALUES (NULL, NULL, NULL)");
      })
      .get();
  store.read([](Transaction& tx) {
    auto rows = tx.query("SELECT v.id, t, r, b, length(t) AS t_length FROM v ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].integer("id"), 1);
    EXPECT_EQ(rows[0].text("t"), "x");
    EXPECT_EQ(rows[0].optional_text("t"), "x");
    EXPECT_DOUBLE_EQ(rows[0].real("r"), 1.5);
    EXPECT_EQ(rows[0].blob("b"), (Blob{{1, 2, 3}}));
    EXPECT_EQ(rows[0].integer("t_length"), 1);
    EXPECT_EQ(rows[1].optional_text("t"), std::nullopt);
    EXPECT_EQ(rows[1].optional_integer("t_length"), std::nullopt);
    EXPECT_EQ(rows[1].optional_blob("b"), std::nullopt);
    EXPECT_TRUE(rows[1].is_null("r"));
    EXPECT_TRUE(rows[0].has("t_length"));
    EXPECT_FALSE(rows[0].has("length(t)"));
    EXPECT_EQ(rows[0].take("b"), Value(Blob{{1, 2, 3}}));
    EXPECT_TRUE(rows[0].is_null("b")) << "taken";
    auto one = tx.query_one("SELECT t FROM v WHERE id = 2");
    ASSERT_TRUE(one.has_value());
    EXPECT_TRUE(one->is_null("t"));
    EXPECT_FALSE(tx.query_one("SELECT t FROM v WHERE id = 3").has_value());
  });
}

TEST_F(StoreTest, a_failing_savepoint_rolls_back_only_itself_and_the_unit_goes_on) {
  SqliteStore store(options(), kTwoSteps);
  store
      .write([](Transaction& tx) {
        tx.exec("INSERT INTO item(name) VALUES ('kept')");
        EXPECT_THROW(tx.in_savepoint([&] {
          tx.exec("INSERT INTO item(name) VALUES ('gone')");
          tx.exec("INSERT INTO item(name) VALUES ('kept')");  // UNIQUE violation
        }),
                     StoreError);
        tx.in_savepoint([&] { tx.exec("INSERT INTO item(name) VALUES ('after')"); });
      })
      .get();
  store.read([](Transaction& tx) {
    auto rows = tx.query("SELECT name FROM item ORDER BY name");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].text("name"), "after");
    EXPECT_EQ(rows[1].text("name"), "kept");
    EXPECT_EQ(tx.backend(), Backend::sqlite);
  });
}

TEST_F(StoreTest, names_the_column_that_is_missing_or_of_another_type) {
  SqliteStore store(options(), kTwoSteps);
  store.write([](Transaction& tx) { tx.exec("INSERT INTO item(name) VALUES ('a')"); }).get();
  store.read([](Transaction& tx) {
    auto row = tx.query("SELECT id, name FROM item").at(0);
    try {
      (void)row.text("state");
      FAIL() << "expected a missing column to throw";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("no column 'state'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("id, name"), std::string::npos) << e.what();
    }
    try {
      (void)row.integer("name");
      FAIL() << "expected text read as an integer to throw";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("column 'name' holds text, expected an integer"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW((void)row.optional_text("id"), StoreError);
    EXPECT_THROW((void)row.blob("name"), StoreError);
  });
}

TEST_F(StoreTest, acknowledged_writes_survive_reopening) {
  {
    SqliteStore store(options(), kTwoSteps);
    for (int i = 0; i < 50; ++i) {
      const Value p[] = {std::string("n") + std::to_string(i)};
      store.write([p0 = p[0]](Transaction& tx) {
        const Value q[] = {p0};
        tx.exec("INSERT INTO item(name) VALUES (?)", q);
      });
    }
    // Destruction flushes queued units before closing.
  }
  SqliteStore store(options(), kTwoSteps);
  EXPECT_EQ(count(store, "item"), 50);
}

TEST_F(StoreTest, reports_a_wrong_parameter_count) {
  SqliteStore store(options(), kTwoSteps);
  auto f = store.write([](Transaction& tx) { tx.exec("INSERT INTO item(name) VALUES (?)"); });
  try {
    f.get();
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("takes 1 parameters, got 0"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, refuses_migrations_with_gaps) {
  EXPECT_THROW(SqliteStore(options(), {{1, "a", "SELECT 1;"}, {3, "c", "SELECT 1;"}}), StoreError);
}

TEST_F(StoreTest, names_the_file_it_cannot_open) {
  fs::create_directories(dir_);
  auto blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  SqliteStoreOptions o{blocker / "lgsp.db", 1, std::chrono::milliseconds(0)};
  try {
    SqliteStore store(o, kTwoSteps);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(blocker.string()), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

TEST(StoreFullTest, a_full_database_makes_the_store_not_ready_and_loses_nothing_committed) {
  const auto dir = fs::temp_directory_path() / ("lgsp-store-full-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    SqliteStore store({dir / "lgsp.db", 512, std::chrono::milliseconds(0)}, kTwoSteps);
    store.write([](Transaction& tx) { tx.exec("INSERT INTO item(name) VALUES ('kept')"); }).get();
    ASSERT_TRUE(store.status().ready());
    // SQLite's page limit stands in for a full disk: the same SQLITE_FULL reaches the store.
    store.write([](Transaction& tx) { tx.query("PRAGMA max_page_count = 8"); }).get();
    auto too_big = store.write([](Transaction& tx) {
      const Value p[] = {std::string(200 * 1024, 'x')};
      tx.exec("INSERT INTO item(name) VALUES (?)", p);
    });
    EXPECT_THROW(too_big.get(), StoreError);
    auto st = store.status();
    EXPECT_FALSE(st.ready());
    EXPECT_NE(st.reason.find("disk full"), std::string::npos) << st.reason;
    std::int64_t n = 0;
    store.read([&](Transaction& tx) { n = tx.query("SELECT COUNT(*) AS n FROM item")[0].integer("n"); });
    EXPECT_EQ(n, 1);
  }
  fs::remove_all(dir);
}

// A unit may get over a failed statement itself (the delivery outcomes roll one outcome back to
// its savepoint and go on): a full disk must still make the node unready.
TEST(StoreFullTest, a_full_database_makes_the_store_not_ready_even_when_the_unit_gets_over_it) {
  const auto dir = fs::temp_directory_path() / ("lgsp-store-full-sp-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    SqliteStore store({dir / "lgsp.db", 512, std::chrono::milliseconds(0)}, kTwoSteps);
    store.write([](Transaction& tx) { tx.exec("INSERT INTO item(name) VALUES ('kept')"); }).get();
    store.write([](Transaction& tx) { tx.query("PRAGMA max_page_count = 8"); }).get();
    bool failed_inside = false;
    auto unit = store.write([&](Transaction& tx) {
      try {
        const Value p[] = {std::string(200 * 1024, 'x')};
        tx.exec("INSERT INTO item(name) VALUES (?)", p);
      } catch (const StoreError&) {
        failed_inside = true;  // and carries on
      }
    });
    try {
      unit.get();
    } catch (const StoreError&) {
      // SQLite may have rolled the whole transaction back, and the unit with it: either way is fine.
    }
    EXPECT_TRUE(failed_inside);
    auto st = store.status();
    EXPECT_FALSE(st.ready());
    EXPECT_NE(st.reason.find("database or disk is full"), std::string::npos) << st.reason;
    std::int64_t n = 0;
    store.read([&](Transaction& tx) { n = tx.query("SELECT COUNT(*) AS n FROM item")[0].integer("n"); });
    EXPECT_EQ(n, 1);
  }
  fs::remove_all(dir);
}

}  // namespace
