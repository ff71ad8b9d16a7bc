// The repository suite's fixture: one store per test on the backend the test is instantiated for, with
// the node's migrations. SQLite: a file in a fresh folder. PostgreSQL: a fresh database on a real server
// (postgres_server.hpp) started the first time a test needs it and stopped when the program ends.
#pragma once

#include "lgsp/bus/pg_store.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/sqlite_store.hpp"
#include "postgres_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace lgsp::bus::test {

// The program's PostgreSQL server, started on first use.
inline lgsp::test::PostgresServer& postgres() {
  static std::unique_ptr<lgsp::test::PostgresServer> server = std::make_unique<lgsp::test::PostgresServer>();
  return *server;
}

// A new, empty database on the program's server; its connection string.
inline std::string fresh_pg_database() {
  static int counter = 0;
  const std::string name = "lgsp_test_" + std::to_string(++counter);
  postgres().sql("DROP DATABASE IF EXISTS " + name);
  postgres().sql("CREATE DATABASE " + name);
  return postgres().conninfo(name);
}

class RepositoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (auto& c : name)
      if (c == '/') c = '-';
    dir_ = std::filesystem::temp_directory_path() / ("lgsp-repo-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    if (GetParam() == "sqlite") {
      store_ = std::make_unique<SqliteStore>(SqliteStoreOptions{dir_ / "lgsp.db", 64, std::chrono::milliseconds(0)},
                                             node_migrations());
    } else if (GetParam() == "postgresql") {
      PgStoreOptions options;
      options.conninfo = fresh_pg_database();
      options.pool_size = 2;
      options.group_commit_max_rows = 64;
      options.group_commit_max_delay = std::chrono::milliseconds(0);
      store_ = std::make_unique<PgStore>(options, node_pg_migrations());
    } else {
      FAIL() << "no store for backend " << GetParam();
    }
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `fn(repositories, tx)` in a write unit and waits for it.
  template <class Fn>
  void write(Fn fn) {
    store_->write([&](Transaction& tx) { fn(repositories(tx), tx); }).get();
  }
  template <class Fn>
  void read(Fn fn) {
    store_->read([&](Transaction& tx) { fn(repositories(tx), tx); });
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// Every backend this build can open (the suite runs once for each).
inline auto all_backends() { return ::testing::Values(std::string("sqlite"), std::string("postgresql")); }

}  // namespace lgsp::bus::test
