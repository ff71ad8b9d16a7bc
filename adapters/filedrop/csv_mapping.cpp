#include "csv_mapping.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <optional>

namespace lgsp::adapters::filedrop {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxFieldsPerRow = 4096;
constexpr std::size_t kMaxQuotedValue = 64;  // how much of a bad value a message repeats

// The first byte offset where `text` is not valid UTF-8 (overlongs, surrogates and > U+10FFFF refused), or npos.
std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string quote_value(std::string_view value) {
  std::string out = "'";
  if (value.size() > kMaxQuotedValue) {
    // Cut on a character boundary so the message stays valid UTF-8.
    std::size_t cut = kMaxQuotedValue;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    out.append(value.substr(0, cut)).append("...");
  } else {
    out.append(value);
  }
  // One line: a quoted cell may hold line breaks, and the message goes into a reason file and a log.
  for (std::size_t i = 1; i < out.size(); ++i)
    if (static_cast<unsigned char>(out[i]) < 0x20 || out[i] == 0x7f) out[i] = ' ';
  return out + "'";
}

struct Record {
  std::size_t line = 0;  // where it starts
  std::vector<std::string> fields;
};

// RFC 4180 reader: quoted fields may hold the delimiter, "" and line breaks; a quote inside an unquoted
// field or text after a closing quote is an error (a legacy export that gets quoting wrong must not be
// guessed at). Blank lines are skipped.
class Reader {
 public:
  Reader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

  bool next(Record& record) {
    for (;;) {
      if (pos_ >= text_.size()) return false;
      record.fields.clear();
      record.line = line_;
      if (read_record(record)) return true;
    }
  }

 private:
  // False for a blank line.
  bool read_record(Record& record) {
    std::string field;
    bool quoted_field = false;
    bool any = false;
    const auto end_field = [&] {
      if (record.fields.size() >= kMaxFieldsPerRow)
        throw CsvError("line " + std::to_string(record.line) + ": more than " + std::to_string(kMaxFieldsPerRow) +
                       " columns");
      record.fields.push_back(std::move(field));
      field.clear();
      quoted_field = false;
    };
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        if (!field.empty() || quoted_field)
          throw CsvError("line " + std::to_string(line_) + ", column " + std::to_string(record.fields.size() + 1) +
                         ": a quote inside an unquoted value");
        quoted_field = true;
        any = true;
        ++pos_;
        read_quoted(field, record.line);
        // After the closing quote: a delimiter, a line end or the end of the text.
        if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
            !(text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') &&
            !(text_[pos_] == '\r' && pos_ + 1 == text_.size()))
          throw CsvError("line " + std::to_string(line_) + ", column " + std::to_string(record.fields.size() + 1) +
                         ": text after a closing quote");
        continue;
      }
      if (c == delimiter_) {
        any = true;
        end_field();
        ++pos_;
        continue;
      }
      if (c == '\n' || (c == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'))) {
        pos_ += c == '\r' && pos_ + 1 < text_.size() ? 2 : 1;
        ++line_;
        if (!any && field.empty()) return false;
        end_field();
        return true;
      }
      any = true;
      field.push_back(c);
      ++pos_;
    }
    if (!any && field.empty()) return false;
    end_field();
    return true;
  }

  void read_quoted(std::string& field, std::size_t start_line) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        return;
      }
      if (c == '\n') ++line_;
      field.push_back(c);
    }
    throw CsvError("line " + std::to_string(start_line) + ": a quoted value is never closed");
  }

  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The typed value, or nullopt when `raw` is not one ("why" filled).
std::optional<Json> convert(const std::string& raw, FieldType type, std::string& why) {
  switch (type) {
    case FieldType::string:
      return Json(raw);
    case FieldType::integer: {
      const auto v = trim(raw);
      std::int64_t value = 0;
      const char* first = v.data() + (!v.empty() && v.front() == '+' ? 1 : 0);
      const auto [end, ec] = std::from_chars(first, v.data() + v.size(), value);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
        why = quote_value(raw) +
              (ec == std::errc::result_out_of_range ? " is out of range for an integer" : " is not an integer");
        return std::nullopt;
      }
      return Json(value);
    }
    case FieldType::number: {
      const auto v = trim(raw);
      double value = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value, std::chars_format::general);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(value)) {
        why = quote_value(raw) + " is not a number (use '.' for decimals)";
        return std::nullopt;
      }
      return Json(value);
    }
    case FieldType::boolean: {
      std::string v(trim(raw));
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (v == "true" || v == "1") return Json(true);
      if (v == "false" || v == "0") return Json(false);
      why = quote_value(raw) + " is not a boolean (true, false, 1 or 0)";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string column_name(const CsvColumn& c) {
  return c.header.empty() ? std::to_string(c.index) : "'" + c.header + "'";
}

}  // namespace

FieldType parse_field_type(const std::string& name) {
  if (name == "string") return FieldType::string;
  if (name == "integer") return FieldType::integer;
  if (name == "number") return FieldType::number;
  if (name == "boolean") return FieldType::boolean;
  throw std::invalid_argument("must be one of string, integer, number, boolean");
}

std::string csv_to_json(std::string_view text, const CsvMapping& mapping) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (const auto bad = invalid_utf8_at(text); bad != std::string_view::npos) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < bad; ++i) line += text[i] == '\n';
    throw CsvError("line " + std::to_string(line) + ": not UTF-8 (byte " + std::to_string(bad + 1) +
                   "); export the file as UTF-8");
  }
  Reader reader(text, mapping.delimiter);
  Record record;
  // Where each mapped column is in a row (0-based).
  std::vector<std::size_t> positions;
  std::size_t expected_fields = 0;
  if (mapping.header) {
    if (!reader.next(record)) throw CsvError("the file is empty: no header row");
    for (const auto& column : mapping.columns) {
      if (column.header.empty()) {
        if (column.index > record.fields.size())
          throw CsvError("column " + std::to_string(column.index) + ": the header has only " +
                         std::to_string(record.fields.size()) + " columns");
        positions.push_back(column.index - 1);
        continue;
      }
      std::size_t found = record.fields.size();
      for (std::size_t i = 0; i < record.fields.size(); ++i)
        if (trim(record.fields[i]) == column.header) {
          found = i;
          break;
        }
      if (found == record.fields.size())
        throw CsvError("column '" + column.header + "' is not in the header (line " + std::to_string(record.line) +
                       ")");
      positions.push_back(found);
    }
    expected_fields = record.fields.size();
  } else {
    for (const auto& column : mapping.columns) positions.push_back(column.index - 1);
  }

  Json rows = Json::array();
  std::size_t row = 0;
  while (reader.next(record)) {
    ++row;
    const std::string where = "row " + std::to_string(row) + " (line " + std::to_string(record.line) + ")";
    if (row > mapping.max_rows)
      throw CsvError(where + ": more than " + std::to_string(mapping.max_rows) + " rows (csv.max_rows)");
    if (mapping.header && record.fields.size() != expected_fields)
      throw CsvError(where + ": " + std::to_string(record.fields.size()) + " columns, the header has " +
                     std::to_string(expected_fields));
    Json object = Json::object();
    for (std::size_t i = 0; i < mapping.columns.size(); ++i) {
      const auto& column = mapping.columns[i];
      if (positions[i] >= record.fields.size())
        throw CsvError(where + ", column " + column_name(column) + ": the row has only " +
                       std::to_string(record.fields.size()) + " columns");
      const std::string& raw = record.fields[positions[i]];
      if (raw.empty()) {
        if (column.required) throw CsvError(where + ", column " + column_name(column) + ": empty");
        continue;
      }
      std::string why;
      auto value = convert(raw, column.type, why);
      if (!value) throw CsvError(where + ", column " + column_name(column) + ": " + why);
      object[column.field] = std::move(*value);
    }
    rows.push_back(std::move(object));
  }
  if (mapping.wrap_field.empty()) return rows.dump();
  Json wrapped = Json::object();
  for (const auto& [key, value] : mapping.constants) wrapped[key] = value;
  wrapped[mapping.wrap_field] = std::move(rows);
  return wrapped.dump();
}

}  // namespace lgsp::adapters::filedrop
