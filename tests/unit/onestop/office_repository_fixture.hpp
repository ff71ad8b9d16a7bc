// The office repository suite's fixture: one store per test on the backend the test is instantiated for ("sqlite":
// a file in a fresh folder; "postgresql": a fresh database on the program's real PostgreSQL server, started on
// first use), with the office's migrations, and the repositories of that backend bound to each unit of work.
#pragma once

#include "lgsp/onestop/repositories.hpp"
#include "lgsp/onestop/schema.hpp"
#include "postgres_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace lgsp::onestop::test_support {

// The program's PostgreSQL server, started the first time a test needs it and stopped when the program ends.
inline lgsp::test::PostgresServer& postgres() {
  static std::unique_ptr<lgsp::test::PostgresServer> server = std::make_unique<lgsp::test::PostgresServer>();
  return *server;
}

// A new, empty database on the program's server; its connection string.
inline std::string fresh_office_database() {
  static int counter = 0;
  const std::string name = "lgsp_office_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  postgres().sql("DROP DATABASE IF EXISTS " + name);
  postgres().sql("CREATE DATABASE " + name);
  return postgres().conninfo(name);
}

inline std::unique_ptr<bus::Store> open_office_pg(const std::string& conninfo) {
  bus::PgStoreOptions options;
  options.conninfo = conninfo;
  options.pool_size = 2;
  options.group_commit_max_rows = 64;
  options.group_commit_max_delay = std::chrono::milliseconds(0);
  return open_onestop_pg_store(options);
}

class OfficeRepositoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (auto& c : name)
      if (c == '/') c = '-';
    dir_ = std::filesystem::temp_directory_path() / ("lgsp-office-repo-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    if (GetParam() == "sqlite") {
      store_ = open_onestop_store(dir_);
      repositories_ = office_repositories;
    } else if (GetParam() == "postgresql") {
      conninfo_ = fresh_office_database();
      store_ = open_office_pg(conninfo_);
      repositories_ = office_repositories;
    } else {
      FAIL() << "no office store for backend " << GetParam();
    }
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `fn(repositories)` in a write unit and waits until it is durable (or rethrows its failure).
  void write(const std::function<void(OfficeRepositories&)>& fn) { write_on(*store_, fn); }
  // The same on another store (a second office instance on the same database), exclusive as the office's are.
  void write_on(bus::Store& store, const std::function<void(OfficeRepositories&)>& fn) {
    store
        .write([&](bus::Transaction& tx) {
          auto r = repositories_(tx);
          r->exclusive();
          fn(*r);
        })
        .get();
  }
  void read(const std::function<void(OfficeRepositories&)>& fn) {
    store_->read([&](bus::Transaction& tx) { fn(*repositories_(tx)); });
  }

  std::filesystem::path dir_;
  std::string conninfo_;  // postgresql: the test's database
  std::unique_ptr<bus::Store> store_;
  std::function<std::unique_ptr<OfficeRepositories>(bus::Transaction&)> repositories_;
};

// Every backend this build can open (the suite runs once for each).
inline auto all_office_backends() { return ::testing::Values(std::string("sqlite"), std::string("postgresql")); }
// Names the instantiations by backend (Backends/DossierRepositoryTest.x/postgresql), so that ctest can run the
// PostgreSQL ones as one test (one server for them all).
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace lgsp::onestop::test_support
