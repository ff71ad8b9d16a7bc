#include "lgsp/portal/sync_state.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <string_view>

namespace lgsp::portal {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) fail("prepare");
    s_.reset(s);
  }
  Stmt& bind(int i, std::int64_t v) {
    if (sqlite3_bind_int64(s_.get(), i, v) != SQLITE_OK) fail("bind");
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    if (sqlite3_bind_text(s_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
      fail("bind");
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_.get(), c); }
  std::string text(int c) const {
    auto p = sqlite3_column_text(s_.get(), c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_.get(), c)))
             : std::string();
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(std::string("portal state: ") + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StmtFinalize> s_;
};

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(std::string("portal state: ") + why);
  }
}

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS sync_state(
  one INTEGER PRIMARY KEY CHECK (one = 1), checkpoint INTEGER NOT NULL, confirmed INTEGER NOT NULL,
  already_there INTEGER NOT NULL, refused INTEGER NOT NULL, letters_dropped INTEGER NOT NULL,
  last_success_at INTEGER NOT NULL);
INSERT OR IGNORE INTO sync_state VALUES (1, 0, 0, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS pending(
  one INTEGER PRIMARY KEY CHECK (one = 1), outbox_id INTEGER NOT NULL, reason TEXT NOT NULL,
  since INTEGER NOT NULL, attempts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters(
  id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL UNIQUE, dossier_code TEXT NOT NULL,
  service TEXT NOT NULL, record TEXT NOT NULL, error_code TEXT NOT NULL, reason TEXT NOT NULL,
  at INTEGER NOT NULL, attempts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dossier_states(dossier_code TEXT PRIMARY KEY, outbox_id INTEGER NOT NULL);
)SQL";

// A transaction that rolls back unless committed (an exception between leaves the store as it was).
class Tx {
 public:
  explicit Tx(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  ~Tx() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};

DeadLetter letter_of(const Stmt& s) {
  return DeadLetter{s.integer(0), s.integer(1), s.text(2),    s.text(3),   s.text(4),
                    s.text(5),    s.text(6),    s.integer(7), s.integer(8)};
}

constexpr const char* kLetterColumns =
    "SELECT id, outbox_id, dossier_code, service, record, error_code, reason, at, attempts FROM dead_letters ";

}  // namespace

struct SyncState::Impl {
  std::unique_ptr<sqlite3, DbClose> db;
  std::int64_t max_letters = 10000;
};

SyncState::SyncState(const std::filesystem::path& file, std::int64_t max_letters) : impl_(std::make_unique<Impl>()) {
  // The folder is made here, not only by the job, so that `lgsp portal status` and `dlq list` answer (with an
  // empty state) before the first sync, instead of failing to open the file.
  std::error_code made;
  std::filesystem::create_directories(file.parent_path(), made);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  impl_->db.reset(db);
  if (rc != SQLITE_OK)
    throw std::runtime_error("portal state " + file.string() + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  impl_->max_letters = max_letters;
  sqlite3_busy_timeout(db, 10000);
  // WAL + FULL: a confirmation is on disk before the next record is sent, even across a power loss.
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(db, kSchema);
}

SyncState::~SyncState() = default;

std::int64_t SyncState::checkpoint() const { return stats().checkpoint; }

void SyncState::confirm(std::int64_t outbox_id, bool already_there, std::int64_t now, const std::string& dossier_code) {
  Tx tx(impl_->db.get());
  if (!dossier_code.empty()) note_dossier_state(dossier_code, outbox_id);
  Stmt(impl_->db.get(),
       "UPDATE sync_state SET checkpoint = max(checkpoint, ?), confirmed = confirmed + 1, "
       "already_there = already_there + ?, last_success_at = ?")
      .bind(1, outbox_id)
      .bind(2, static_cast<std::int64_t>(already_there ? 1 : 0))
      .bind(3, now)
      .run();
  Stmt(impl_->db.get(), "DELETE FROM pending").run();
  tx.commit();
}

void SyncState::dead_letter(const DeadLetter& l, std::int64_t now) {
  auto db = impl_->db.get();
  Tx tx(db);
  Stmt(db,
       "INSERT OR IGNORE INTO dead_letters(outbox_id, dossier_code, service, record, error_code, reason, at, "
       "attempts) VALUES (?,?,?,?,?,?,?,0)")
      .bind(1, l.outbox_id)
      .bind(2, l.dossier_code)
      .bind(3, l.service)
      .bind(4, l.record)
      .bind(5, l.error_code)
      .bind(6, l.reason)
      .bind(7, now)
      .run();
  Stmt(db, "UPDATE sync_state SET checkpoint = max(checkpoint, ?), refused = refused + 1").bind(1, l.outbox_id).run();
  Stmt(db, "DELETE FROM pending").run();
  // Bounded: the oldest letters go first, counted.
  Stmt count(db, "SELECT count(*) FROM dead_letters");
  count.step();
  std::int64_t over = count.integer(0) - impl_->max_letters;
  if (over > 0) {
    Stmt(db, "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ORDER BY id LIMIT ?)")
        .bind(1, over)
        .run();
    Stmt(db, "UPDATE sync_state SET letters_dropped = letters_dropped + ?").bind(1, over).run();
  }
  tx.commit();
}

bool SyncState::dead_lettered(std::int64_t outbox_id, const std::string& dossier_code) const {
  Stmt s(impl_->db.get(), "SELECT 1 FROM dead_letters WHERE outbox_id = ? AND dossier_code = ?");
  s.bind(1, outbox_id).bind(2, dossier_code);
  return s.step();
}

void SyncState::set_pending(std::int64_t outbox_id, const std::string& reason, std::int64_t now) {
  Stmt(impl_->db.get(),
       "INSERT INTO pending VALUES (1, ?, ?, ?, 1) ON CONFLICT(one) DO UPDATE SET "
       "attempts = CASE WHEN outbox_id = excluded.outbox_id THEN attempts + 1 ELSE 1 END, "
       "since = CASE WHEN outbox_id = excluded.outbox_id THEN since ELSE excluded.since END, "
       "outbox_id = excluded.outbox_id, reason = excluded.reason")
      .bind(1, outbox_id)
      .bind(2, reason.substr(0, 2048))
      .bind(3, now)
      .run();
}

std::optional<PendingRecord> SyncState::pending() const {
  Stmt s(impl_->db.get(), "SELECT outbox_id, reason, since, attempts FROM pending");
  if (!s.step()) return std::nullopt;
  return PendingRecord{s.integer(0), s.text(1), s.integer(2), s.integer(3)};
}

std::vector<DeadLetter> SyncState::letters(std::int64_t after_id, int limit) const {
  Stmt s(impl_->db.get(), std::string(kLetterColumns) + "WHERE id > ? ORDER BY id LIMIT ?");
  s.bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<DeadLetter> out;
  while (s.step()) out.push_back(letter_of(s));
  return out;
}

std::optional<DeadLetter> SyncState::letter(std::int64_t id) const {
  Stmt s(impl_->db.get(), std::string(kLetterColumns) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return letter_of(s);
}

void SyncState::note_dossier_state(const std::string& dossier_code, std::int64_t outbox_id) {
  Stmt(impl_->db.get(),
       "INSERT INTO dossier_states VALUES (?, ?) ON CONFLICT(dossier_code) DO UPDATE SET "
       "outbox_id = max(outbox_id, excluded.outbox_id)")
      .bind(1, dossier_code)
      .bind(2, outbox_id)
      .run();
}

std::int64_t SyncState::newest_state(const std::string& dossier_code) const {
  Stmt s(impl_->db.get(), "SELECT outbox_id FROM dossier_states WHERE dossier_code = ?");
  s.bind(1, dossier_code);
  return s.step() ? s.integer(0) : 0;
}

void SyncState::remove_letter(std::int64_t id, std::int64_t now, bool confirmed) {
  Tx tx(impl_->db.get());
  Stmt(impl_->db.get(), "DELETE FROM dead_letters WHERE id = ?").bind(1, id).run();
  if (confirmed)
    Stmt(impl_->db.get(), "UPDATE sync_state SET confirmed = confirmed + 1, last_success_at = ?").bind(1, now).run();
  tx.commit();
}

void SyncState::letter_failed(std::int64_t id, const std::string& error_code, const std::string& reason) {
  Stmt(impl_->db.get(), "UPDATE dead_letters SET attempts = attempts + 1, error_code = ?, reason = ? WHERE id = ?")
      .bind(1, error_code)
      .bind(2, reason.substr(0, 2048))
      .bind(3, id)
      .run();
}

SyncStats SyncState::stats() const {
  Stmt s(impl_->db.get(),
         "SELECT checkpoint, confirmed, already_there, refused, letters_dropped, last_success_at, "
         "(SELECT count(*) FROM dead_letters) FROM sync_state");
  if (!s.step()) return {};
  SyncStats st;
  st.checkpoint = s.integer(0);
  st.confirmed = s.integer(1);
  st.already_there = s.integer(2);
  st.refused = s.integer(3);
  st.letters_dropped = s.integer(4);
  st.last_success_at = s.integer(5);
  st.letters = s.integer(6);
  return st;
}

}  // namespace lgsp::portal
