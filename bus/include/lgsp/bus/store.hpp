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
#include <utility>
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

// One result row, read by column name: the name a SELECT gives the column (its alias with `AS`,
// else the table's column name), the same in SQLite and PostgreSQL. A missing column or a value
// of another type throws StoreError naming the column, so a changed query fails where it is read
// and says why, instead of a wrong value from a shifted position.
class Row {
 public:
  using Columns = std::vector<std::string>;
  Row() = default;
  Row(std::shared_ptr<const Columns> columns, std::vector<Value> values);

  bool has(std::string_view column) const;
  const Value& value(std::string_view column) const;
  bool is_null(std::string_view column) const;
  std::int64_t integer(std::string_view column) const;
  std::optional<std::int64_t> optional_integer(std::string_view column) const;
  double real(std::string_view column) const;  // an integer value is taken as well
  const std::string& text(std::string_view column) const;
  std::optional<std::string> optional_text(std::string_view column) const;
  const Blob& blob(std::string_view column) const;
  std::optional<Blob> optional_blob(std::string_view column) const;

  // Moves the value out, so a large payload is not copied again; the column reads null afterwards.
  Value take(std::string_view column);

  const Columns& columns() const;
  std::size_t size() const { return values_.size(); }

 private:
  std::size_t index_of(std::string_view column) const;  // throws StoreError naming the column
  std::shared_ptr<const Columns> columns_;
  std::vector<Value> values_;
};

// Which engine a store runs on: the repositories (repositories.hpp) pick their SQL by it.
enum class Backend { sqlite, postgresql };

// The statements a unit of work may run; valid only inside Store::write / Store::read. Only the store
// layer writes SQL: the rest of the bus goes through the repositories (repositories.hpp).
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Backend backend() const = 0;
  virtual void exec(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual std::vector<Row> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual std::int64_t last_insert_id() = 0;
  // Rows changed by the last exec.
  virtual std::int64_t changes() = 0;

  // Runs `fn` in a savepoint inside this transaction. When it throws, only what it changed rolls back
  // (the rest of the transaction goes on) and its exception is returned; a failure to roll back (the
  // transaction itself is gone, say after a full disk) is thrown, ending the unit.
  template <class Fn>
  std::exception_ptr try_in_savepoint(Fn&& fn) {
    exec("SAVEPOINT nested");
    std::exception_ptr error;
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
    if (error) exec("ROLLBACK TO nested");
    exec("RELEASE nested");
    return error;
  }
  // The same, with fn's exception thrown on.
  template <class Fn>
  void in_savepoint(Fn&& fn) {
    if (auto error = try_in_savepoint(std::forward<Fn>(fn))) std::rethrow_exception(error);
  }

  // The first row of a query, or none.
  std::optional<Row> query_one(std::string_view sql, std::span<const Value> params = {}) {
    auto rows = query(sql, params);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
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

// Deprecated, with Row::operator[], until onestop/ reads by name (issue 18): use Row::integer/text.
std::int64_t as_int(const Value& v);
const std::string& as_text(const Value& v);

}  // namespace lgsp::bus
