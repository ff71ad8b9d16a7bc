// The shared store: PostgreSQL over libpq, with the same group commit as the embedded SQLite store.
#pragma once

#include "lgsp/bus/store.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

struct PgStoreOptions {
  std::string conninfo;                                 // libpq connection string or URI, without the password
  std::string password;                                 // empty: libpq's own sources (PGPASSWORD, ~/.pgpass)
  unsigned pool_size = 4;                               // read connections; the writer has one of its own
  unsigned group_commit_max_rows = 512;                 // units per transaction at most
  std::chrono::milliseconds group_commit_max_delay{2};  // how long a batch may wait to fill
  // The writers of every store with this set on one database take turns (a transaction-scoped advisory lock from
  // BEGIN to COMMIT): the node's message log is one hash chain that each record extends, so several nodes (and
  // the CLI) must never append after the same record. The node's store sets it (open_embedded_store).
  bool serialize_writers = false;
};

// What is wrong with a store.postgresql_url for the node's and the office's configs, read the way libpq will:
// nullopt when libpq can read it and it carries no password (a config file is read by many, so a password there
// is refused). The reason never echoes the value.
std::optional<std::string> postgresql_url_problem(const std::string& url);

// Connection lost (the server went away, the network dropped): the statement's outcome on the
// server is what StoreError's text says (nothing committed, or unknown when COMMIT was under way).
class StoreConnectionLost : public StoreError {
 public:
  using StoreError::StoreError;
};

// Unlike SQLite, a statement that fails ends its unit (PostgreSQL refuses every later statement until
// the unit rolls back): a unit that means to go on after a failed statement runs that statement in
// Transaction::try_in_savepoint, which behaves the same on both backends.
class PgStore final : public Store {
 public:
  // Connects, applies pending migrations in one transaction (under an advisory lock, so that nodes
  // starting together on one database migrate once) and opens the read pool. Throws StoreError.
  PgStore(PgStoreOptions options, std::vector<Migration> migrations);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  using Store::write;
  void write(Work work, Done done) override;
  void read(const Work& work) override;
  StoreStatus status() const override;
  Stats stats() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The node's schema in PostgreSQL's dialect: the same versions as node_migrations(), step for step.
const std::vector<Migration>& node_pg_migrations();

// `?` placeholders as $1..$n (outside quoted text, quoted names and comments), and their count.
std::pair<std::string, int> pg_placeholders(std::string_view sql);

}  // namespace lgsp::bus
