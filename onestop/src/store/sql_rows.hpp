// Reading the office's rows: bus::Row reads a column by the name the SELECT gives it; these add the office's own
// conventions (times written as RFC 3339 by the office, empty text and zero for NULL where a view wants them).
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/local_time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::onestop::store {

using bus::Transaction;
using bus::Value;
using Params = std::vector<Value>;

inline Value text(const std::string& s) { return Value(s); }
inline Value opt_text(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
inline Value integer(std::int64_t v) { return Value(v); }
inline Value time_text(TimePoint t) { return Value(format_local_rfc3339(t)); }
inline Value opt_time_text(const std::optional<TimePoint>& t) {
  return t ? Value(format_local_rfc3339(*t)) : Value(nullptr);
}

class NamedRow {
 public:
  explicit NamedRow(bus::Row row) : row_(std::move(row)) {}
  bool is_null(std::string_view name) const { return row_.is_null(name); }
  std::string text(std::string_view name) const;  // NULL reads as ""
  std::optional<std::string> opt_text(std::string_view name) const { return row_.optional_text(name); }
  std::int64_t integer(std::string_view name) const;  // NULL reads as 0
  // The office writes every time itself (format_local_rfc3339): anything else in a time column is corruption.
  TimePoint time(std::string_view name) const;
  std::optional<TimePoint> opt_time(std::string_view name) const;

 private:
  bus::Row row_;
};

// Runs "SELECT <columns> <rest>". A column that is an expression is given a name with `AS`.
std::vector<NamedRow> select(Transaction& tx, const std::vector<std::string>& columns, const std::string& rest,
                             const Params& params = {});
// The same for one row; nullopt when there is none.
std::optional<NamedRow> select_one(Transaction& tx, const std::vector<std::string>& columns, const std::string& rest,
                                   const Params& params = {});
// Runs a whole statement (one kept elsewhere as one string, such as kDueBusMessagesSql, or an INSERT ...
// RETURNING).
std::vector<NamedRow> query_rows(Transaction& tx, const std::string& sql, const Params& params = {});

}  // namespace lgsp::onestop::store
