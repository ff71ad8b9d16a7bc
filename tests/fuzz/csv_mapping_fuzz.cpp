// The file-drop adapter's readers of what a legacy system drops: CSV to JSON by a column mapping, and the file
// name an outbound delivery gets from its message id. The first byte chooses:
//   even: CSV (bit 1: header row, bit 2: ';' instead of ','), the rest the file's bytes
//   odd:  a message id, the rest its text
// CSV either converts to JSON that reads back as an array of objects holding only mapped fields, or is refused
// with CsvError (one line, bounded); a delivery's file name is allow-listed, never hidden or a path.
#include "csv_mapping.hpp"
#include "fuzz_target.hpp"
#include "outbound_writer.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace {

using namespace lgsp::adapters::filedrop;

void csv(std::uint8_t selector, std::string_view text) {
  CsvMapping m;
  m.header = selector & 2;
  m.delimiter = selector & 4 ? ';' : ',';
  m.max_rows = 1000;
  if (m.header) {
    m.columns = {{"a", 0, "a", FieldType::string, true},
                 {"b", 0, "b", FieldType::integer, false},
                 {"", 3, "c", FieldType::number, false},
                 {"d", 0, "d", FieldType::boolean, false}};
  } else {
    m.columns = {{"", 1, "a", FieldType::string, false}, {"", 2, "b", FieldType::integer, false}};
  }
  std::string json;
  try {
    json = csv_to_json(text, m);
  } catch (const CsvError& e) {
    const std::string_view why = e.what();
    if (why.empty() || why.size() > 400 || why.find('\n') != std::string_view::npos) std::abort();
    return;
  }
  const auto rows = nlohmann::json::parse(json);  // throws (and fails the run) if the JSON is not valid
  if (!rows.is_array() || rows.size() > m.max_rows) std::abort();
  for (const auto& row : rows) {
    if (!row.is_object() || row.size() > m.columns.size()) std::abort();
    for (const auto& [key, value] : row.items()) {
      if (key != "a" && key != "b" && key != "c" && key != "d") std::abort();
      if (key == "b" && !value.is_number_integer()) std::abort();
    }
  }
}

void message_id(std::string_view text) {
  const std::string stem = OutboundWriter::stem_for(std::string(text));
  if (stem.empty() || stem.front() == '.' || stem.size() > 128 + 13) std::abort();
  for (char c : stem) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~';
    if (!ok) std::abort();
  }
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto text = lgsp::fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1)
    message_id(text);
  else
    csv(data[0], text);
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(csv_mapping);
