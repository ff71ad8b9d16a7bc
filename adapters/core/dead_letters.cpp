// The runner's dead letters in one SQLite file (WAL: the runner writes while `lgsp adapter dlq` reads or
// replays from another process), bounded per adapter by dropping the oldest.
#include "lgsp/adapters/dead_letters.hpp"

#include "sqlite_handle.hpp"

#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <stdexcept>

namespace lgsp::adapters {
namespace fs = std::filesystem;

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS dead_letter (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  adapter TEXT NOT NULL,
  key TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload BLOB NOT NULL,
  detail TEXT NOT NULL,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dead_letter_by_adapter ON dead_letter (adapter, id);
CREATE TABLE IF NOT EXISTS dead_letter_dropped (
  adapter TEXT PRIMARY KEY,
  dropped INTEGER NOT NULL
);
)sql";

constexpr const char* kColumns = "id, adapter, key, reason, payload, detail, created_at, attempts";

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Cut at a UTF-8 character boundary so a cut reason is still valid text.
std::string cut(const std::string& text, std::size_t max, const char* mark) {
  if (text.size() <= max) return text;
  const std::string m(mark);
  std::size_t end = max > m.size() ? max - m.size() : 0;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + m;
}

DeadLetter row(const sqlite::Statement& s) {
  DeadLetter d;
  d.id = s.integer(0);
  d.adapter = s.text(1);
  d.key = s.text(2);
  d.reason = s.text(3);
  d.payload = s.text(4);
  d.detail = s.text(5);
  d.created_at = s.text(6);
  d.attempts = s.integer(7);
  return d;
}

int clamp_limit(int limit) { return limit < 1 ? 1 : (limit > 10000 ? 10000 : limit); }

constexpr auto kMaxPayloadBytes = DeadLetterStore::kMaxPayloadBytes;
constexpr auto kMaxDetailBytes = DeadLetterStore::kMaxDetailBytes;
constexpr auto kMaxKeyBytes = DeadLetterStore::kMaxKeyBytes;
constexpr auto kMaxReasonBytes = DeadLetterStore::kMaxReasonBytes;

// The SQL, behind one mutex (one connection per process).
class LetterTable {
 public:
  sqlite::Db db;
  std::int64_t max_per_adapter = 1;
  mutable std::mutex mutex;

  std::vector<DeadLetter> list(const std::string* adapter, std::int64_t after, int limit) const {
    std::lock_guard lock(mutex);
    std::string sql = std::string("SELECT ") + kColumns + " FROM dead_letter WHERE id > ?1" +
                      (adapter ? " AND adapter = ?3" : "") + " ORDER BY id LIMIT ?2";
    sqlite::Statement s(db.get(), sql);
    s.bind(1, after).bind(2, std::int64_t{clamp_limit(limit)});
    if (adapter) s.bind(3, *adapter);
    std::vector<DeadLetter> out;
    while (s.step()) out.push_back(row(s));
    return out;
  }
  std::optional<DeadLetter> get(const std::string* adapter, std::int64_t id) const {
    std::lock_guard lock(mutex);
    sqlite::Statement s(db.get(), std::string("SELECT ") + kColumns + " FROM dead_letter WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    auto d = row(s);
    if (adapter && d.adapter != *adapter) return std::nullopt;
    return d;
  }
  std::int64_t count(const std::string& adapter) const {
    std::lock_guard lock(mutex);
    sqlite::Statement s(db.get(), "SELECT count(*) FROM dead_letter WHERE adapter = ?1");
    s.bind(1, adapter);
    s.step();
    return s.integer(0);
  }
  std::int64_t add(const std::string& adapter, const std::string& key, const std::string& reason,
                   const std::string& payload, const std::string& detail) {
    if (payload.size() > kMaxPayloadBytes)
      throw std::length_error("dead letter payload larger than " + std::to_string(kMaxPayloadBytes) + " bytes");
    if (detail.size() > kMaxDetailBytes)
      throw std::length_error("dead letter detail larger than " + std::to_string(kMaxDetailBytes) + " bytes");
    std::lock_guard lock(mutex);
    sqlite::exec(db.get(), "BEGIN IMMEDIATE");
    try {
      // Keep the newest: make room for this one first, counting what is dropped.
      sqlite::Statement c(db.get(), "SELECT count(*) FROM dead_letter WHERE adapter = ?1");
      c.bind(1, adapter);
      c.step();
      const std::int64_t over = c.integer(0) - max_per_adapter + 1;
      if (over > 0) {
        sqlite::Statement d(db.get(),
                            "DELETE FROM dead_letter WHERE id IN (SELECT id FROM dead_letter WHERE adapter = ?1 "
                            "ORDER BY id LIMIT ?2)");
        d.bind(1, adapter).bind(2, over).run();
        sqlite::Statement n(db.get(),
                            "INSERT INTO dead_letter_dropped (adapter, dropped) VALUES (?1, ?2) "
                            "ON CONFLICT (adapter) DO UPDATE SET dropped = dropped + ?2");
        n.bind(1, adapter).bind(2, over).run();
      }
      sqlite::Statement s(db.get(),
                          "INSERT INTO dead_letter (adapter, key, reason, payload, detail, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      s.bind(1, adapter)
          .bind(2, cut(key, kMaxKeyBytes, "…"))
          .bind(3, cut(reason, kMaxReasonBytes, " …"))
          .bind_blob(4, payload)
          .bind(5, detail)
          .bind(6, now_rfc3339())
          .run();
      const std::int64_t id = sqlite3_last_insert_rowid(db.get());
      sqlite::exec(db.get(), "COMMIT");
      return id;
    } catch (...) {
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
  void remove(const std::string& adapter, std::int64_t id) {
    std::lock_guard lock(mutex);
    sqlite::Statement s(db.get(), "DELETE FROM dead_letter WHERE id = ?1 AND adapter = ?2");
    s.bind(1, id).bind(2, adapter).run();
  }
  void failed_again(const std::string& adapter, std::int64_t id, const std::string& reason) {
    std::lock_guard lock(mutex);
    sqlite::Statement s(db.get(),
                        "UPDATE dead_letter SET attempts = attempts + 1, reason = ?3 WHERE id = ?1 AND adapter = ?2");
    s.bind(1, id).bind(2, adapter).bind(3, cut(reason, kMaxReasonBytes, " …")).run();
  }
};

class AdapterLetters : public DeadLetters {
 public:
  AdapterLetters(LetterTable& store, std::string adapter) : store_(store), adapter_(std::move(adapter)) {}
  std::int64_t add(const std::string& key, const std::string& reason, const std::string& payload,
                   const std::string& detail) override {
    return store_.add(adapter_, key, reason, payload, detail);
  }
  std::vector<DeadLetter> list(std::int64_t after_id, int limit) const override {
    return store_.list(&adapter_, after_id, limit);
  }
  std::optional<DeadLetter> get(std::int64_t id) const override { return store_.get(&adapter_, id); }
  void remove(std::int64_t id) override { store_.remove(adapter_, id); }
  void failed_again(std::int64_t id, const std::string& reason) override { store_.failed_again(adapter_, id, reason); }
  std::int64_t count() const override { return store_.count(adapter_); }

 private:
  LetterTable& store_;
  std::string adapter_;
};

}  // namespace

struct DeadLetterStore::Impl {
  LetterTable table;
  std::mutex views_mutex;
  std::map<std::string, std::unique_ptr<DeadLetters>> views;
};

DeadLetterStore::DeadLetterStore(const fs::path& file, std::int64_t max_per_adapter) : impl_(std::make_unique<Impl>()) {
  if (max_per_adapter < 1) throw std::invalid_argument("max_per_adapter must be at least 1");
  auto& table = impl_->table;
  table.max_per_adapter = max_per_adapter;
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  table.db.reset(db);
  if (rc != SQLITE_OK) throw sqlite::Error("dead letters " + file.string(), db);
  // The runner and `lgsp adapter dlq replay` may use the file at once.
  sqlite3_busy_timeout(db, 10000);
  sqlite::exec(db, "PRAGMA journal_mode=WAL");
  sqlite::exec(db, "PRAGMA synchronous=FULL");
  sqlite::exec(db, kSchema);
}

DeadLetterStore::~DeadLetterStore() = default;

DeadLetters& DeadLetterStore::for_adapter(const std::string& adapter) {
  std::lock_guard lock(impl_->views_mutex);
  auto& view = impl_->views[adapter];
  if (!view) view = std::make_unique<AdapterLetters>(impl_->table, adapter);
  return *view;
}

std::vector<DeadLetter> DeadLetterStore::list_all(std::int64_t after_id, int limit) const {
  return impl_->table.list(nullptr, after_id, limit);
}

std::optional<DeadLetter> DeadLetterStore::get(std::int64_t id) const { return impl_->table.get(nullptr, id); }

std::int64_t DeadLetterStore::count(const std::string& adapter) const { return impl_->table.count(adapter); }

std::int64_t DeadLetterStore::dropped(const std::string& adapter) const {
  std::lock_guard lock(impl_->table.mutex);
  sqlite::Statement s(impl_->table.db.get(), "SELECT dropped FROM dead_letter_dropped WHERE adapter = ?1");
  s.bind(1, adapter);
  return s.step() ? s.integer(0) : 0;
}

}  // namespace lgsp::adapters
