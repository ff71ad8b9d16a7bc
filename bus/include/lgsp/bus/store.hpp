// The node's durable store. SQLite is the embedded backend; PostgreSQL implements the same interface.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lgsp::bus {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Blob {
  std::vector<std::uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

// A column or parameter value. Parameters are written `?` in SQL, bound in order.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;
using Row = std::vector<Value>;

// The statements a unit of work may run; valid only inside Store::write / Store::read.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual void exec(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual std::vector<Row> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual std::int64_t last_insert_id() = 0;
  // Rows changed by the last exec.
  virtual std::int64_t changes() = 0;
};

// One numbered, forward-only schema step.
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

struct StoreStatus {
  bool open = false;
  int schema_version = 0;    // applied
  int expected_version = 0;  // shipped with this build
  std::string reason;        // why not ready, empty when ready
  bool ready() const { return open && schema_version == expected_version && reason.empty(); }
};

class Store {
 public:
  using Work = std::function<void(Transaction&)>;
  virtual ~Store() = default;

  // Called once the unit is durable (null) or has failed (its exception), on the store's writer
  // thread: keep it short (hand real work to another thread).
  using Done = std::function<void(std::exception_ptr error)>;

  // Runs `work` in a transaction that may be shared with other concurrent writers (group commit:
  // many units per fsync). Each unit runs in its own savepoint, so one failing unit rolls back
  // only itself. `done` reports the outcome; callers on I/O threads use this form.
  virtual void write(Work work, Done done) = 0;
  // The same; the future becomes ready once the unit is durable, or holds its exception.
  std::future<void> write(Work work) {
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    write(std::move(work), [promise](std::exception_ptr error) {
      if (error)
        promise->set_exception(error);
      else
        promise->set_value();
    });
    return future;
  }

  // Runs `work` on a consistent read snapshot, on the caller's thread.
  virtual void read(const Work& work) = 0;

  virtual StoreStatus status() const = 0;

  // Counters for observing group commit (also exported as metrics).
  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t units = 0;
  };
  virtual Stats stats() const = 0;
};

// Typed accessors for row values, with a clear error on a type mismatch.
std::int64_t as_int(const Value& v);
const std::string& as_text(const Value& v);

}  // namespace lgsp::bus
