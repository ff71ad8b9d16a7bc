// CSV rows to the JSON a contract expects: an array of objects, one per row, built by a column mapping
// (column name or 1-based position -> JSON field and type), optionally wrapped in an object with constant
// fields ({"service": "...", "data": [rows]}). A row that does not fit fails the whole file, naming the row,
// its line and the column, so that nothing half-converted is ever sent.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters::filedrop {

enum class FieldType { string, integer, number, boolean };

struct CsvColumn {
  std::string header;     // the column's name in the header row; empty when taken by position
  std::size_t index = 0;  // 1-based position when `header` is empty
  std::string field;      // the JSON field name
  FieldType type = FieldType::string;
  bool required = true;  // false: an empty cell leaves the field out
};

struct CsvMapping {
  bool header = true;  // the first row names the columns
  char delimiter = ',';
  std::vector<CsvColumn> columns;
  std::string wrap_field;                        // non-empty: {wrap_field: [rows], ...constants}
  std::map<std::string, std::string> constants;  // string fields added to the wrapping object
  std::size_t max_rows = 100000;
};

// Why a file cannot be converted: "row 3 (line 4), column 'so_tien': 'abc' is not an integer".
class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Converts a whole CSV document (UTF-8, optional BOM, CRLF or LF, RFC 4180 quoting) to JSON text.
std::string csv_to_json(std::string_view text, const CsvMapping& mapping);

// "string" | "integer" | "number" | "boolean"; throws std::invalid_argument otherwise.
FieldType parse_field_type(const std::string& name);

}  // namespace lgsp::adapters::filedrop
