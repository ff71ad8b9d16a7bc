// The embedded store: SQLite in WAL mode with a group-commit writer thread.
#pragma once

#include "lgsp/bus/store.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

namespace lgsp::bus {

struct SqliteStoreOptions {
  std::filesystem::path file;                           // database file; its folder is created
  unsigned group_commit_max_rows = 512;                 // units per transaction at most
  std::chrono::milliseconds group_commit_max_delay{2};  // how long a batch may wait to fill
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database and applies pending migrations in one transaction.
  // Throws StoreError with the file and the reason.
  SqliteStore(SqliteStoreOptions options, std::vector<Migration> migrations);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  using Store::write;
  void write(Work work, Done done) override;
  void read(const Work& work) override;
  StoreStatus status() const override;
  Stats stats() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The node's own schema, in order. Later modules append their migrations here.
const std::vector<Migration>& node_migrations();

}  // namespace lgsp::bus
