// Small helpers the office's .cpp files share: bound parameters, typed columns, history and outbox rows.
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/local_time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop::detail {

using bus::Row;
using bus::Transaction;
using bus::Value;
using Params = std::vector<Value>;

inline Value text(const std::string& s) { return Value(s); }
inline Value opt_text(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
inline Value integer(std::int64_t v) { return Value(v); }

inline bool is_null(const Value& v) { return std::holds_alternative<std::nullptr_t>(v); }
inline std::string str(const Value& v) { return is_null(v) ? std::string() : bus::as_text(v); }
inline std::int64_t num(const Value& v) { return is_null(v) ? 0 : bus::as_int(v); }
inline nlohmann::json json_or_null(const Value& v) {
  return is_null(v) ? nlohmann::json() : nlohmann::json(bus::as_text(v));
}
// The office writes every time itself (format_local_rfc3339); anything else in a time column is corruption.
inline TimePoint time_of(const Value& v) {
  auto t = parse_rfc3339(bus::as_text(v));
  if (!t) throw bus::StoreError("onestop store: '" + bus::as_text(v) + "' in a time column is not a time");
  return *t;
}

inline std::vector<Row> query(Transaction& tx, const std::string& sql, const Params& p = {}) {
  return tx.query(sql, p);
}
inline void exec(Transaction& tx, const std::string& sql, const Params& p = {}) { tx.exec(sql, p); }

// Appends one entry of a dossier's process history.
void record_history(Transaction& tx, const std::string& code, TimePoint at, const Actor& actor,
                    const std::string& action, std::optional<int> from, std::optional<int> to, std::optional<int> step,
                    const std::string& comment, const nlohmann::json& details);

}  // namespace lgsp::onestop::detail
