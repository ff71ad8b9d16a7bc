// Named column access for result rows, shared by every store backend.
#include "lgsp/bus/store.hpp"

#include <algorithm>
#include <utility>

namespace lgsp::bus {
namespace {

const char* type_name(const Value& v) {
  switch (v.index()) {
    case 0:
      return "null";
    case 1:
      return "an integer";
    case 2:
      return "a real";
    case 3:
      return "text";
    default:
      return "a blob";
  }
}

const Row::Columns& no_columns() {
  static const Row::Columns none;
  return none;
}

}  // namespace

Row::Row(std::shared_ptr<const Columns> columns, std::vector<Value> values)
    : columns_(std::move(columns)), values_(std::move(values)) {
  if (!columns_ || columns_->size() != values_.size())
    throw StoreError("store: a row's values do not match its column names");
}

const Row::Columns& Row::columns() const { return columns_ ? *columns_ : no_columns(); }

bool Row::has(std::string_view column) const {
  const auto& names = columns();
  return std::find(names.begin(), names.end(), column) != names.end();
}

std::size_t Row::index_of(std::string_view column) const {
  const auto& names = columns();
  // A handful of columns per row: a scan costs less than building a map for each result.
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == column) return i;
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw StoreError("store: the result has no column '" + std::string(column) + "' (it has: " + known + ")");
}

const Value& Row::value(std::string_view column) const { return values_[index_of(column)]; }

Value Row::take(std::string_view column) { return std::exchange(values_[index_of(column)], Value(nullptr)); }

namespace {
[[noreturn]] void wrong_type(std::string_view column, const Value& v, const char* expected) {
  throw StoreError("store: column '" + std::string(column) + "' holds " + type_name(v) + ", expected " + expected);
}
}  // namespace

bool Row::is_null(std::string_view column) const { return std::holds_alternative<std::nullptr_t>(value(column)); }

std::int64_t Row::integer(std::string_view column) const {
  const Value& v = value(column);
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  wrong_type(column, v, "an integer");
}

std::optional<std::int64_t> Row::optional_integer(std::string_view column) const {
  const Value& v = value(column);
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  wrong_type(column, v, "an integer or null");
}

double Row::real(std::string_view column) const {
  const Value& v = value(column);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  wrong_type(column, v, "a number");
}

const std::string& Row::text(std::string_view column) const {
  const Value& v = value(column);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  wrong_type(column, v, "text");
}

std::optional<std::string> Row::optional_text(std::string_view column) const {
  const Value& v = value(column);
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  wrong_type(column, v, "text or null");
}

const Blob& Row::blob(std::string_view column) const {
  const Value& v = value(column);
  if (auto* b = std::get_if<Blob>(&v)) return *b;
  wrong_type(column, v, "a blob");
}

std::optional<Blob> Row::optional_blob(std::string_view column) const {
  const Value& v = value(column);
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  if (auto* b = std::get_if<Blob>(&v)) return *b;
  wrong_type(column, v, "a blob or null");
}

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  throw StoreError("store: expected an integer column");
}

const std::string& as_text(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  throw StoreError("store: expected a text column");
}

}  // namespace lgsp::bus
