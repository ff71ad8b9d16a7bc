#include "lgsp/bus/sqlite_store.hpp"

#include "store/group_commit.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace lgsp::bus {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

[[noreturn]] void fail(sqlite3* db, std::string_view doing) {
  throw StoreError("sqlite: " + std::string(doing) + ": " + sqlite3_errmsg(db));
}

void exec_script(sqlite3* db, const std::string& sql, std::string_view doing) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite: " + std::string(doing) + ": " + msg);
  }
}

DbPtr open_db(const std::filesystem::path& file, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    throw StoreError("cannot open " + file.string() + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

// A connection with a statement cache; statements are reset after each use.
class Connection final : public Transaction {
 public:
  explicit Connection(DbPtr db) : db_(std::move(db)) {}

  Backend backend() const override { return Backend::sqlite; }

  void exec(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* s = prepare(sql, params).statement.get();
    int rc = sqlite3_step(s);
    while (rc == SQLITE_ROW) rc = sqlite3_step(s);
    finish(s, rc, sql);
  }

  std::vector<Row> query(std::string_view sql, std::span<const Value> params) override {
    Cached& c = prepare(sql, params);
    sqlite3_stmt* s = c.statement.get();
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::vector<Value> values;
      const auto n = c.columns->size();
      values.reserve(n);
      for (std::size_t i = 0; i < n; ++i) values.push_back(column(s, static_cast<int>(i)));
      rows.emplace_back(c.columns, std::move(values));
    }
    finish(s, rc, sql);
    return rows;
  }

  std::int64_t last_insert_id() override { return sqlite3_last_insert_rowid(db_.get()); }
  std::int64_t changes() override { return sqlite3_changes64(db_.get()); }
  // The primary result code of the last statement that failed, or of a disk failure since the
  // last call (SQLITE_OK once taken).
  int take_failure() { return std::exchange(last_failure_, SQLITE_OK); }
  static bool is_disk_failure(int code) { return code == SQLITE_FULL || code == SQLITE_IOERR; }

  void script(const std::string& sql, std::string_view doing) { exec_script(db_.get(), sql, doing); }
  sqlite3* handle() const { return db_.get(); }

 private:
  // A prepared statement with its result's column names, shared by every row it returns.
  struct Cached {
    StmtPtr statement;
    std::shared_ptr<const Row::Columns> columns;
  };

  Cached& prepare(std::string_view sql, std::span<const Value> params) {
    auto it = cache_.find(sql);  // no std::string built for a statement already prepared
    if (it == cache_.end()) {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                             nullptr) != SQLITE_OK)
        fail(db_.get(), "prepare '" + std::string(sql) + "'");
      Cached cached{StmtPtr(raw), nullptr};
      auto names = std::make_shared<Row::Columns>();
      const int n = sqlite3_column_count(raw);
      for (int i = 0; i < n; ++i) {
        const char* name = sqlite3_column_name(raw, i);
        names->emplace_back(name ? name : "");
      }
      cached.columns = std::move(names);
      it = cache_.emplace(std::string(sql), std::move(cached)).first;
    }
    sqlite3_stmt* s = it->second.statement.get();
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(s))
      throw StoreError("sqlite: '" + it->first + "' takes " + std::to_string(sqlite3_bind_parameter_count(s)) +
                       " parameters, got " + std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) bind(s, static_cast<int>(i + 1), params[i]);
    return it->second;
  }

  void bind(sqlite3_stmt* s, int index, const Value& v) {
    int rc = std::visit(
        [&](const auto& x) -> int {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>)
            return sqlite3_bind_null(s, index);
          else if constexpr (std::is_same_v<T, std::int64_t>)
            return sqlite3_bind_int64(s, index, x);
          else if constexpr (std::is_same_v<T, double>)
            return sqlite3_bind_double(s, index, x);
          else if constexpr (std::is_same_v<T, std::string>)
            return sqlite3_bind_text64(s, index, x.data(), x.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
          else
            return sqlite3_bind_blob64(s, index, x.bytes.data(), x.bytes.size(), SQLITE_TRANSIENT);
        },
        v);
    if (rc != SQLITE_OK) fail(db_.get(), "bind parameter " + std::to_string(index));
  }

  static Value column(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(s, i)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(s, i);
      case SQLITE_TEXT:
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
      case SQLITE_BLOB: {
        auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
        return Blob{std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s, i))};
      }
      default:
        return nullptr;
    }
  }

  void finish(sqlite3_stmt* s, int rc, std::string_view sql) {
    // A disk failure is kept over later failures: after SQLITE_FULL SQLite may roll the whole
    // transaction back, and the next statement then fails for want of its savepoint.
    if (rc != SQLITE_DONE && !is_disk_failure(last_failure_)) last_failure_ = rc & 0xff;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) fail(db_.get(), "run '" + std::string(sql.substr(0, 80)) + "'");
  }

  int last_failure_ = SQLITE_OK;
  DbPtr db_;
  std::map<std::string, Cached, std::less<>> cache_;
};

int current_version(Connection& c) {
  auto rows = c.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", {});
  return static_cast<int>(rows.at(0).integer("version"));
}

}  // namespace

struct SqliteStore::Impl {
  using Pending = detail::GroupCommitWriter::Pending;

  SqliteStoreOptions options;
  int expected_version = 0;
  int applied_version = 0;
  std::unique_ptr<Connection> writer;
  detail::ReaderPool<Connection> readers;

  // A full or failing disk: writes are refused, so the node must not look ready (it would accept
  // what it cannot make durable). Cleared by the first write that succeeds after the hold time.
  std::chrono::steady_clock::time_point degraded_until{};
  std::string degraded_reason;
  static constexpr std::chrono::seconds kDegradedHold{30};

  void note_failure(int code, const std::string& what) {
    if (!Connection::is_disk_failure(code)) return;
    std::lock_guard lock(mutex);
    degraded_until = std::chrono::steady_clock::now() + kDegradedHold;
    // SQLite's words for the code first: `what` may be a later statement's failure (a savepoint
    // gone with the transaction SQLite rolled back).
    degraded_reason = std::string(sqlite3_errstr(code)) + " (" + what + ")";
  }

  mutable std::mutex mutex;  // degraded_* and counters
  Stats counters;
  std::unique_ptr<detail::GroupCommitWriter> group_commit;  // made once the options are known

  void migrate(const std::vector<Migration>& migrations) {
    writer->script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
        "create schema_migrations");
    writer->script("BEGIN IMMEDIATE", "begin migration");
    try {
      int version = current_version(*writer);
      if (version > expected_version)
        throw StoreError("database schema version " + std::to_string(version) + " is newer than this build (" +
                         std::to_string(expected_version) + "); refusing to downgrade");
      for (const auto& m : migrations) {
        if (m.version <= version) continue;
        writer->script(m.sql, "migration " + std::to_string(m.version) + " (" + m.name + ")");
        const Value params[] = {std::int64_t{m.version}, m.name};
        writer->exec("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", params);
      }
      applied_version = current_version(*writer);
      writer->script("COMMIT", "commit migration");
    } catch (...) {
      sqlite3_exec(writer->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void commit(std::vector<Pending>& batch) {
    std::vector<std::exception_ptr> errors(batch.size());
    try {
      // Prepared once (the statement cache) like the savepoints, not parsed for every commit.
      writer->exec("BEGIN IMMEDIATE", {});
      for (std::size_t i = 0; i < batch.size(); ++i) {
        // Prepared once (the statement cache), not parsed again for every unit.
        writer->exec("SAVEPOINT unit", {});
        try {
          batch[i].work(*writer);
          writer->exec("RELEASE unit", {});
          // A unit may get over a failed statement itself (the delivery outcomes roll back one
          // outcome to a savepoint and go on): a full or failing disk still makes the node unready.
          if (const int code = writer->take_failure())
            note_failure(code, "a statement failed inside a write unit that went on");
        } catch (const std::exception& e) {
          errors[i] = std::current_exception();
          note_failure(writer->take_failure(), e.what());
          writer->exec("ROLLBACK TO unit", {});
          writer->exec("RELEASE unit", {});
        }
      }
      writer->exec("COMMIT", {});
    } catch (...) {
      const int code = writer->take_failure();
      note_failure(code != SQLITE_OK ? code : sqlite3_errcode(writer->handle()) & 0xff, "commit failed");
      sqlite3_exec(writer->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      auto error = std::current_exception();
      for (auto& p : batch) p.done(error);
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

SqliteStore::SqliteStore(SqliteStoreOptions options, std::vector<Migration> migrations)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& m : migrations) {
    if (m.version != impl_->expected_version + 1)
      throw StoreError("migrations must be numbered 1, 2, 3, ...; found " + std::to_string(m.version) + " after " +
                       std::to_string(impl_->expected_version));
    impl_->expected_version = m.version;
  }
  const auto& file = impl_->options.file;
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) throw StoreError("cannot create " + file.parent_path().string() + ": " + ec.message());

  impl_->writer = std::make_unique<Connection>(open_db(file, false));
  // WAL: readers never block the writer; synchronous=FULL: a commit is on disk when COMMIT returns.
  impl_->writer->script("PRAGMA journal_mode=WAL", "enable WAL");
  impl_->writer->script("PRAGMA synchronous=FULL", "set synchronous");
  impl_->writer->script("PRAGMA foreign_keys=ON", "enable foreign keys");
  impl_->migrate(migrations);
  const unsigned reader_count = std::clamp(std::thread::hardware_concurrency() + 2, 3u, 16u);
  for (unsigned i = 0; i < reader_count; ++i) impl_->readers.add(std::make_unique<Connection>(open_db(file, true)));
  impl_->group_commit = std::make_unique<detail::GroupCommitWriter>(impl_->options.group_commit_max_rows,
                                                                    impl_->options.group_commit_max_delay);
  impl_->group_commit->start("lgsp-writer", [impl = impl_.get()](auto& batch) { impl->commit(batch); });
}

SqliteStore::~SqliteStore() {
  if (impl_->group_commit) impl_->group_commit->stop();  // commits what is queued, before the connections go
}

void SqliteStore::write(Work work, Done done) { impl_->group_commit->push(std::move(work), std::move(done)); }

void SqliteStore::read(const Work& work) {
  auto lease = impl_->readers.acquire();
  Connection& c = lease.connection();
  // Prepared once per connection: a request makes several short reads, each parsing BEGIN and
  // COMMIT again through sqlite3_exec cost more than the queries they wrap.
  c.exec("BEGIN", {});
  try {
    work(c);
  } catch (...) {
    sqlite3_exec(c.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  c.exec("COMMIT", {});
}

StoreStatus SqliteStore::status() const {
  StoreStatus s;
  s.open = true;
  s.schema_version = impl_->applied_version;
  s.expected_version = impl_->expected_version;
  std::lock_guard lock(impl_->mutex);
  if (std::chrono::steady_clock::now() < impl_->degraded_until)
    s.reason = "writes are failing (disk full or failing): " + impl_->degraded_reason;
  return s;
}

SqliteStore::Stats SqliteStore::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

}  // namespace lgsp::bus
