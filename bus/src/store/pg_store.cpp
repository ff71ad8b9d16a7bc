// PgStore: bus::Store over libpq. One writer connection runs batches of units (group commit, a
// savepoint per unit, one COMMIT per batch); reads take a connection from a pool. Statements are
// prepared once per connection.
#include "lgsp/bus/pg_store.hpp"

#include "group_commit.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

namespace lgsp::bus {

std::optional<std::string> postgresql_url_problem(const std::string& url) {
  if (url.empty()) return "must not be empty";
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    std::string why = error ? error : "cannot be read";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return "is not a libpq connection string or URI: " + why.substr(0, 200);
  }
  bool has_password = false;
  for (auto* o = options; o->keyword; ++o)
    if (std::string_view(o->keyword) == "password" && o->val && *o->val) has_password = true;
  PQconninfoFree(options);
  if (has_password)
    return "must not carry the password: put it in store.postgresql_password_file or $LGSP_STORE_POSTGRESQL_PASSWORD";
  return std::nullopt;
}

std::pair<std::string, int> pg_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted name: copied to its closing quote ('' and "" stay inside)
      const std::size_t end = sql.find(c, i + 1);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // a comment to the end of the line
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return {std::move(out), n};
}

namespace {

// Type OIDs of the results we read (pg_type.h): everything else is read as text.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700, kFloat8 = 701,
              kNumeric = 1700;

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;
struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnFree>;

// libpq's messages end in a newline and may run over several lines: the first line, bounded.
std::string first_line(const char* message) {
  std::string s = message ? message : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  if (s.size() > 300) s.resize(300);
  return s.empty() ? "unknown error" : s;
}

// Statements the server can prepare; anything else (BEGIN, SAVEPOINT, DDL) runs unprepared.
bool preparable(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return word == "SELECT" || word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "WITH" ||
         word == "VALUES";
}

Blob unhex_bytea(const char* text, std::size_t size) {
  // Text output of bytea is "\x" followed by two hex digits per byte (bytea_output = hex, set at connect).
  Blob b;
  if (size < 2 || text[0] != '\\' || text[1] != 'x') throw StoreError("postgresql: a bytea value not in hex format");
  b.bytes.reserve((size - 2) / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw StoreError("postgresql: a bytea value with a bad hex digit");
  };
  for (std::size_t i = 2; i + 1 < size; i += 2)
    b.bytes.push_back(static_cast<std::uint8_t>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  return b;
}

Value decode(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return nullptr;
  const char* text = PQgetvalue(r, row, col);
  const auto size = static_cast<std::size_t>(PQgetlength(r, row, col));
  switch (PQftype(r, col)) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(text, text + size, v);
      if (ec != std::errc() || end != text + size)
        throw StoreError("postgresql: column '" + std::string(PQfname(r, col)) + "' is not an integer");
      return v;
    }
    case kBool:
      return std::int64_t{text[0] == 't' ? 1 : 0};
    case kFloat4:
    case kFloat8:
    case kNumeric:
      return std::strtod(text, nullptr);
    case kBytea:
      return unhex_bytea(text, size);
    default:
      return std::string(text, size);
  }
}

// One libpq connection as a Transaction, with its prepared statements.
class Connection final : public Transaction {
 public:
  explicit Connection(const PgStoreOptions& options) : options_(options) { connect(); }

  Backend backend() const override { return Backend::postgresql; }

  void exec(std::string_view sql, std::span<const Value> params) override {
    Result r = run(sql, params);
    const char* n = PQcmdTuples(r.get());
    changes_ = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
  }

  std::vector<Row> query(std::string_view sql, std::span<const Value> params) override {
    Result r = run(sql, params);
    changes_ = 0;
    const int nrows = PQntuples(r.get());
    const int ncols = PQnfields(r.get());
    auto columns = std::make_shared<Row::Columns>();
    columns->reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) columns->emplace_back(PQfname(r.get(), c));
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) values.push_back(decode(r.get(), i, c));
      rows.emplace_back(columns, std::move(values));
    }
    return rows;
  }

  // PostgreSQL has no rowid: the value the session's last nextval() gave (a BIGSERIAL insert). The
  // repositories prefer INSERT ... RETURNING.
  std::int64_t last_insert_id() override { return query("SELECT lastval() AS id", {}).at(0).integer("id"); }
  std::int64_t changes() override { return changes_; }

  bool lost() const { return !conn_ || PQstatus(conn_.get()) != CONNECTION_OK; }

  // A new session: the old one's prepared statements are gone with it.
  void connect() {
    cache_.clear();
    conn_.reset();
    // connect_timeout first, so that the connection string may set its own: without one, libpq waits
    // for the operating system's TCP timeout (minutes) when the server's host does not answer.
    std::vector<const char*> keys{"connect_timeout", "dbname", "fallback_application_name", "client_encoding"};
    std::vector<const char*> values{"10", options_.conninfo.c_str(), "lgsp", "UTF8"};
    if (!options_.password.empty()) {
      keys.push_back("password");
      values.push_back(options_.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw StoreConnectionLost("postgresql: cannot connect: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      std::string why = first_line(PQerrorMessage(conn_.get()));
      conn_.reset();
      throw StoreConnectionLost("postgresql: cannot connect: " + why);
    }
    PQsetNoticeReceiver(conn_.get(), &Connection::on_notice, this);
    // Values are read as text: bytea in hex whatever the server's default, times in UTC.
    script("SET bytea_output = 'hex'; SET TIME ZONE 'UTC'", "configure the session");
  }

  // Runs a script of statements without parameters (migrations, transaction control).
  void script(const std::string& sql, std::string_view doing) {
    if (lost()) throw StoreConnectionLost("postgresql: " + std::string(doing) + ": not connected");
    Result r(PQexec(conn_.get(), sql.c_str()));
    check(r, doing);
  }

  // Ends a failed transaction; a connection already gone has nothing to end.
  void rollback() noexcept {
    if (!lost()) Result(PQexec(conn_.get(), "ROLLBACK"));
  }

  // The first WARNING the server sent since the last call, or empty; clears it.
  std::string take_warning() { return std::exchange(warning_, {}); }
  // Closes the session: the next unit connects again.
  void drop() noexcept {
    conn_.reset();
    cache_.clear();
  }

 private:
  // The server's notices: NOTICE and below are dropped (libpq would print them on stderr, e.g. "relation
  // schema_migrations already exists, skipping" from every CLI command); the first WARNING is kept, because a
  // COMMIT that returns with one may not be what it seems: "canceling wait for synchronous replication" (the
  // backend's wait for the synchronous standby was cancelled) ends the COMMIT successfully although the
  // standby may not have the transaction.
  static void on_notice(void* self, const PGresult* r) {
    auto* c = static_cast<Connection*>(self);
    const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!severity || std::string_view(severity) != "WARNING" || !c->warning_.empty()) return;
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    c->warning_ = first_line(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) + " [" + (state ? state : "?") + "]";
  }

  struct Cached {
    std::string name;
    int params = 0;
  };

  Result run(std::string_view sql, std::span<const Value> params) {
    if (lost()) throw StoreConnectionLost("postgresql: not connected (" + std::string(sql.substr(0, 80)) + ")");
    // Text for scalars (the server converts to the column's type, as it infers each parameter's type
    // from where it stands); bytea in binary, its bytes as they are.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values[i] = nullptr;
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        texts[i] = std::to_string(*n);
      } else if (auto* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        texts[i] = buf;
      } else if (auto* s = std::get_if<std::string>(&v)) {
        // Text parameters end at a NUL byte: refuse rather than store a cut value.
        if (s->find('\0') != std::string::npos)
          throw StoreError("postgresql: parameter " + std::to_string(i + 1) + " holds a NUL byte");
        values[i] = s->c_str();
      } else {
        const auto& b = std::get<Blob>(v);
        values[i] = reinterpret_cast<const char*>(b.bytes.data());
        lengths[i] = static_cast<int>(b.bytes.size());
        formats[i] = 1;
      }
      if (!texts[i].empty()) values[i] = texts[i].c_str();
    }
    const int n = static_cast<int>(params.size());
    if (!preparable(sql)) {
      auto [text, count] = pg_placeholders(sql);
      if (count != n) throw bad_count(sql, count, n);
      Result r(n == 0 ? PQexec(conn_.get(), text.c_str())
                      : PQexecParams(conn_.get(), text.c_str(), n, nullptr, values.data(), lengths.data(),
                                     formats.data(), 0));
      check(r, sql);
      return r;
    }
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      auto [text, count] = pg_placeholders(sql);
      Cached c{"s" + std::to_string(cache_.size() + 1), count};
      Result r(PQprepare(conn_.get(), c.name.c_str(), text.c_str(), 0, nullptr));
      check(r, sql);
      it = cache_.emplace(std::string(sql), std::move(c)).first;
    }
    if (it->second.params != n) throw bad_count(sql, it->second.params, n);
    Result r(PQexecPrepared(conn_.get(), it->second.name.c_str(), n, values.data(), lengths.data(), formats.data(), 0));
    check(r, sql);
    return r;
  }

  static StoreError bad_count(std::string_view sql, int wanted, int got) {
    return StoreError("postgresql: '" + std::string(sql.substr(0, 80)) + "' takes " + std::to_string(wanted) +
                      " parameters, got " + std::to_string(got));
  }

  void check(const Result& r, std::string_view doing) {
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    std::string why = first_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_.get()));
    if (why == "unknown error") why = first_line(PQerrorMessage(conn_.get()));
    const std::string what = "postgresql: " + std::string(doing.substr(0, 80)) + ": " + why;
    if (lost()) throw StoreConnectionLost(what + " (connection lost)");
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw StoreError(state ? what + " [" + state + "]" : what);
  }

  const PgStoreOptions& options_;
  ConnPtr conn_;
  std::string warning_;
  std::int64_t changes_ = 0;
  std::map<std::string, Cached, std::less<>> cache_;
};

}  // namespace

struct PgStore::Impl {
  using Pending = detail::GroupCommitWriter::Pending;

  PgStoreOptions options;
  int expected_version = 0;
  int applied_version = 0;
  std::unique_ptr<Connection> writer;
  detail::ReaderPool<Connection> readers;

  mutable std::mutex mutex;  // counters and unreachable
  Stats counters;
  std::string unreachable;  // why the writer has no connection now; empty when it has one
  std::unique_ptr<detail::GroupCommitWriter> group_commit;  // made once the options are known

  void note_reachable(std::string why) {
    std::lock_guard lock(mutex);
    unreachable = std::move(why);
  }

  void migrate(const std::vector<Migration>& migrations) {
    writer->script("BEGIN", "begin migration");
    try {
      // One node migrates at a time; the others wait and then find the schema current.
      writer->script("SELECT pg_advisory_xact_lock(7285310418)", "lock for migration");
      writer->script(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
          " applied_at TEXT NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
          " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
          "create schema_migrations");
      int version = current_version();
      if (version > expected_version)
        throw StoreError("database schema version " + std::to_string(version) + " is newer than this build (" +
                         std::to_string(expected_version) + "); refusing to downgrade");
      for (const auto& m : migrations) {
        if (m.version <= version) continue;
        writer->script(m.sql, "migration " + std::to_string(m.version) + " (" + m.name + ")");
        const Value params[] = {std::int64_t{m.version}, m.name};
        writer->exec("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", params);
      }
      applied_version = current_version();
      writer->script("COMMIT", "commit migration");
    } catch (...) {
      writer->rollback();
      throw;
    }
  }

  int current_version() {
    auto rows = writer->query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", {});
    return static_cast<int>(rows.at(0).integer("version"));
  }

  // Connects the writer again if its connection is gone. Throws StoreConnectionLost when it cannot.
  void ensure_writer() {
    if (!writer->lost()) return;
    try {
      writer->connect();
      note_reachable({});
    } catch (const StoreError& e) {
      note_reachable(e.what());
      throw;
    }
  }

  void fail_all(std::vector<Pending>& batch, std::exception_ptr error) {
    for (auto& p : batch) p.done(error);
  }

  void commit(std::vector<Pending>& batch) {
    std::vector<std::exception_ptr> errors(batch.size());
    // A connection found gone at BEGIN is made again and the batch run then: no unit has run yet.
    // Once a unit has run, a lost connection fails the whole batch (nothing was committed) rather
    // than run units twice; a connection lost during COMMIT leaves the outcome unknown, and says so.
    for (int attempt = 0;; ++attempt) {
      try {
        ensure_writer();
        writer->exec("BEGIN", {});
        // Several nodes (and the CLI) write one database: the message log is one hash chain, and each record
        // follows the last one committed. This lock, held until COMMIT, makes the writers' transactions take
        // turns, so two nodes never append after the same record (a fork the chain could not show) and the
        // chain stays whole however many nodes write. Each node still commits a whole batch per turn.
        if (options.serialize_writers) writer->exec("SELECT pg_advisory_xact_lock(7285310419)", {});
        break;
      } catch (const StoreConnectionLost& e) {
        if (attempt == 0) {
          writer->rollback();
          continue;
        }
        note_reachable(e.what());
        fail_all(batch, std::current_exception());
        return;
      } catch (...) {
        fail_all(batch, std::current_exception());
        return;
      }
    }
    bool commit_sent = false;
    try {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        writer->exec("SAVEPOINT unit", {});
        try {
          batch[i].work(*writer);
          writer->exec("RELEASE unit", {});
        } catch (...) {
          if (writer->lost()) throw;
          errors[i] = std::current_exception();
          writer->exec("ROLLBACK TO unit", {});
          writer->exec("RELEASE unit", {});
        }
      }
      commit_sent = true;
      writer->take_warning();
      writer->exec("COMMIT", {});
      // A COMMIT with a warning (the synchronous-replication wait cancelled, see on_notice) is committed
      // here but perhaps not on the synchronous standby: never acknowledged. The units fail as "unknown"
      // (a client that sends again is answered from the idempotency check) and the session is made anew.
      if (auto warning = writer->take_warning(); !warning.empty()) {
        writer->drop();
        fail_all(batch, std::make_exception_ptr(StoreConnectionLost(
                            "postgresql: COMMIT returned with a warning: whether the batch is on the synchronous"
                            " standby is unknown: " +
                            warning)));
        return;
      }
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      if (writer->lost()) {
        std::string why = "unknown error";
        try {
          throw;
        } catch (const std::exception& e) {
          why = e.what();
        } catch (...) {
        }
        note_reachable(why);
        error = std::make_exception_ptr(StoreConnectionLost(
            commit_sent ? std::string("postgresql: connection lost during COMMIT: whether the batch was committed"
                                      " is unknown: ") +
                              why
                        : std::string("postgresql: connection lost before COMMIT: nothing was committed: ") + why));
      } else {
        writer->rollback();
      }
      fail_all(batch, error);
      return;
    }
    {
      std::lock_guard lock(mutex);
      counters.commits += 1;
      counters.units += batch.size();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(errors[i]);
  }
};

PgStore::PgStore(PgStoreOptions options, std::vector<Migration> migrations) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  auto& o = impl_->options;
  if (o.pool_size == 0) o.pool_size = 1;
  for (const auto& m : migrations) {
    if (m.version != impl_->expected_version + 1)
      throw StoreError("migrations must be numbered 1, 2, 3, ...; found " + std::to_string(m.version) + " after " +
                       std::to_string(impl_->expected_version));
    impl_->expected_version = m.version;
  }
  impl_->writer = std::make_unique<Connection>(o);
  impl_->migrate(migrations);
  for (unsigned i = 0; i < o.pool_size; ++i) impl_->readers.add(std::make_unique<Connection>(o));
  impl_->group_commit = std::make_unique<detail::GroupCommitWriter>(o.group_commit_max_rows, o.group_commit_max_delay);
  impl_->group_commit->start("lgsp-pg-writer", [impl = impl_.get()](auto& batch) { impl->commit(batch); });
}

PgStore::~PgStore() {
  if (impl_->group_commit) impl_->group_commit->stop();  // commits what is queued, before the connections go
}

void PgStore::write(Work work, Done done) { impl_->group_commit->push(std::move(work), std::move(done)); }

void PgStore::read(const Work& work) {
  auto lease = impl_->readers.acquire();
  Connection& c = lease.connection();
  // One snapshot for the whole unit. A connection found gone at BEGIN is made again once (the
  // work has not run); a connection lost inside the work is reported, not run again.
  // Whether the database answers is kept for status() by reads too: a node that only reads (no
  // messages coming) still turns unready while the database is gone, and ready once it is back.
  bool reconnected = false;
  for (int attempt = 0;; ++attempt) {
    try {
      if (c.lost()) {
        c.connect();
        reconnected = true;
      }
      c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {});
      break;
    } catch (const StoreConnectionLost& e) {
      if (attempt > 0) {
        impl_->note_reachable(e.what());
        throw;
      }
    }
  }
  if (reconnected) impl_->note_reachable({});
  try {
    work(c);
    c.exec("COMMIT", {});
  } catch (const StoreConnectionLost& e) {
    impl_->note_reachable(e.what());
    throw;
  } catch (...) {
    c.rollback();
    throw;
  }
}

StoreStatus PgStore::status() const {
  StoreStatus s;
  s.open = true;
  s.schema_version = impl_->applied_version;
  s.expected_version = impl_->expected_version;
  std::lock_guard lock(impl_->mutex);
  if (!impl_->unreachable.empty()) s.reason = "the database is unreachable: " + impl_->unreachable;
  return s;
}

PgStore::Stats PgStore::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

}  // namespace lgsp::bus
