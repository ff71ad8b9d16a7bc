// EventRepository on SQLite and PostgreSQL (sql_dialect.hpp).
#include "pg_repositories.hpp"
#include "sql_dialect.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus::store {
namespace {

// "(?, ?, ...)" for n values.
std::string placeholders(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out + ")";
}

class SqlEvents final : public EventRepository {
 public:
  explicit SqlEvents(const SqlDialect& dialect) : d_(dialect) {}

  void insert(Transaction& tx, const std::string& kind, const std::string& detail) const override {
    const Value p[] = {kind, detail};
    tx.exec("INSERT INTO node_event(kind, detail) VALUES (?, ?)", p);
  }
  void delete_older(Transaction& tx, const std::string& kind, std::chrono::seconds max_age) const override {
    // node_event_kind_at serves the range; `at` is written in this same format.
    const Value p[] = {kind, std::int64_t{max_age.count()}};
    tx.exec(std::string("DELETE FROM node_event WHERE kind = ? AND at < ") + d_.now_minus_seconds, p);
  }
  void keep_newest(Transaction& tx, const std::vector<std::string>& kinds, std::int64_t keep) const override {
    if (kinds.empty()) return;
    const std::string in = placeholders(kinds.size());
    std::vector<Value> p(kinds.begin(), kinds.end());
    p.emplace_back(keep);
    // Everything older than the newest `keep` events of these kinds.
    auto cut = tx.query_one("SELECT id FROM node_event WHERE kind IN " + in + " ORDER BY id DESC LIMIT 1 OFFSET ?", p);
    if (!cut) return;
    p.back() = cut->integer("id");
    tx.exec("DELETE FROM node_event WHERE kind IN " + in + " AND id <= ?", p);
  }
  std::vector<NodeEvent> latest(Transaction& tx, const std::string& kind, std::int64_t limit) const override {
    const Value p[] = {kind, limit};
    std::vector<NodeEvent> out;
    for (auto& r : tx.query("SELECT id, at, kind, detail FROM node_event WHERE kind = ? ORDER BY id DESC LIMIT ?", p))
      out.push_back({r.integer("id"), r.text("at"), r.text("kind"), r.text("detail")});
    return out;
  }

 private:
  const SqlDialect& d_;
};

}  // namespace

const EventRepository& sqlite_events() {
  static const SqlEvents repository{kSqliteDialect};
  return repository;
}

const EventRepository& pg_events() {
  static const SqlEvents repository{kPostgresqlDialect};
  return repository;
}

}  // namespace lgsp::bus::store
