#include "pg.hpp"

#include <algorithm>

namespace lgsp::adapters::db {
namespace {
// libpq's messages end with a newline and may hold several lines (DETAIL, HINT): one bounded line.
std::string first_line(const char* message) {
  std::string s = message == nullptr ? "" : message;
  s = s.substr(0, s.find('\n'));
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s.empty() ? "unknown error" : s;
}
}  // namespace

// A connection string without its own connect_timeout gets 10 s: a server that does not answer must not hold
// the adapter's thread for ever. (Keywords after the expanded dbname override it, so this one goes first.)
PGconn* connect(const std::string& conninfo) {
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "lgsp-adapter", conninfo.c_str(), nullptr};
  return PQconnectdbParams(keys, values, 1);
}

PgConnection::PgConnection(const std::string& conninfo) : conn_(connect(conninfo)) {
  if (!conn_) throw PgError("cannot connect to PostgreSQL: out of memory", true);
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw PgError("cannot connect to PostgreSQL: " + first_line(PQerrorMessage(conn_.get())), true);
}

PgConnection::~PgConnection() = default;

bool PgConnection::alive() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

PgResult PgConnection::check(PGresult* raw, const std::string& what) {
  PgResult result(raw);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
  const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  const char* message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get());
  if (message == nullptr || *message == '\0') message = PQerrorMessage(conn_.get());
  // Class 08 (connection exception) and 57P (operator intervention: the server shutting down) mean a new
  // connection is needed even when libpq has not noticed yet.
  const std::string sqlstate = state == nullptr ? "" : state;
  const bool gone = lost || sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0;
  throw PgError(what + ": " + first_line(message), gone, sqlstate);
}

void PgConnection::prepare(const std::string& name, const std::string& sql) {
  check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr), "preparing " + name);
}

PgResult PgConnection::run(const std::string& name, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(
      PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
      name);
}

PgResult PgConnection::exec(const std::string& sql) {
  return check(PQexec(conn_.get(), sql.c_str()), sql.substr(0, 60));
}

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string quote_identifier(std::string_view name) {
  if (!is_identifier(name))
    throw std::invalid_argument("'" + std::string(name.substr(0, 80)) +
                                "' is not a name of 1 to 63 letters, digits and _ (not starting with a digit)");
  return "\"" + std::string(name) + "\"";
}

std::string quote_table(std::string_view qualified) {
  const auto dot = qualified.find('.');
  if (dot == std::string_view::npos) return quote_identifier(qualified);
  return quote_identifier(qualified.substr(0, dot)) + "." + quote_identifier(qualified.substr(dot + 1));
}

std::optional<std::string> value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return std::string(PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column)));
}

}  // namespace lgsp::adapters::db
