// libpq wrapped once: a connection and a result as RAII handles, statements prepared once and run with
// parameters (never SQL built from a record's text), identifiers from the config checked and quoted.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters::db {

// What failed and why (libpq's message, first line). `connection_lost`: the connection is gone and must be
// made again; otherwise the statement failed on a live connection (a constraint, a type, a missing table).
class PgError : public std::runtime_error {
 public:
  PgError(const std::string& what, bool connection_lost, std::string sqlstate = {})
      : std::runtime_error(what), connection_lost_(connection_lost), sqlstate_(std::move(sqlstate)) {}
  bool connection_lost() const { return connection_lost_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  bool connection_lost_;
  std::string sqlstate_;
};

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

class PgConnection {
 public:
  // Connects (libpq connection string or URI). Throws PgError (connection_lost) when it cannot.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool alive() const;
  // Prepares `sql` once under `name` (parameters $1.. as text).
  void prepare(const std::string& name, const std::string& sql);
  // Runs a prepared statement; a null parameter is SQL NULL. Throws PgError.
  PgResult run(const std::string& name, const std::vector<std::optional<std::string>>& params);
  // Runs a statement without parameters (BEGIN, COMMIT, DDL made of checked identifiers). Throws PgError.
  PgResult exec(const std::string& sql);

 private:
  PgResult check(PGresult* result, const std::string& what);
  struct Free {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Free> conn_;
};

// A table or column name from the config: 1 to 63 of [A-Za-z0-9_], not starting with a digit. An identifier
// is quoted anyway ("Name" keeps its case); the check keeps quotes and dots out of it.
bool is_identifier(std::string_view name);
// "name" -> "\"name\"", "schema.table" -> "\"schema\".\"table\""; throws std::invalid_argument naming the part.
std::string quote_identifier(std::string_view name);
std::string quote_table(std::string_view qualified);

// The text of column `column` in row `row`, nullopt for NULL.
std::optional<std::string> value(const PGresult* result, int row, int column);

}  // namespace lgsp::adapters::db
