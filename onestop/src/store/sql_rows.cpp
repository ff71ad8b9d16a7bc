#include "sql_rows.hpp"

namespace lgsp::onestop::store {

std::string NamedRow::text(std::string_view name) const { return row_.is_null(name) ? std::string() : row_.text(name); }

std::int64_t NamedRow::integer(std::string_view name) const { return row_.is_null(name) ? 0 : row_.integer(name); }

TimePoint NamedRow::time(std::string_view name) const {
  const auto& s = row_.text(name);
  auto t = parse_rfc3339(s);
  if (!t) throw bus::StoreError("onestop store: '" + s + "' in time column " + std::string(name) + " is not a time");
  return *t;
}

std::optional<TimePoint> NamedRow::opt_time(std::string_view name) const {
  if (row_.is_null(name)) return std::nullopt;
  return time(name);
}

std::vector<NamedRow> query_rows(Transaction& tx, const std::string& sql, const Params& params) {
  std::vector<NamedRow> out;
  for (auto& row : tx.query(sql, params)) out.emplace_back(std::move(row));
  return out;
}

std::vector<NamedRow> select(Transaction& tx, const std::vector<std::string>& columns, const std::string& rest,
                             const Params& params) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
  return query_rows(tx, sql + " " + rest, params);
}

std::optional<NamedRow> select_one(Transaction& tx, const std::vector<std::string>& columns, const std::string& rest,
                                   const Params& params) {
  auto rows = select(tx, columns, rest, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace lgsp::onestop::store
