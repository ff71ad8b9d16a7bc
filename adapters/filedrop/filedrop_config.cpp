#include "filedrop_config.hpp"

#include <set>

namespace lgsp::adapters::filedrop {

namespace {

CsvMapping read_csv(ConfigTable& csv) {
  CsvMapping m;
  m.header = csv.boolean("header", true);
  const std::string delimiter = csv.string("delimiter", ",");
  if (delimiter == "\\t" || delimiter == "\t") {
    m.delimiter = '\t';
  } else if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r") {
    throw AdapterConfigError(csv.where("delimiter"), "must be one character (not a quote or line break), or \"\\t\"");
  } else {
    m.delimiter = delimiter[0];
  }
  m.wrap_field = csv.string("wrap_field", "");
  m.constants = csv.string_map("constants");
  if (!m.constants.empty() && m.wrap_field.empty())
    throw AdapterConfigError(csv.where("constants"), "needs wrap_field (the rows go into an object with them)");
  if (m.constants.count(m.wrap_field))
    throw AdapterConfigError(csv.where("constants"), "must not name wrap_field '" + m.wrap_field + "'");
  m.max_rows = static_cast<std::size_t>(csv.integer("max_rows", 100000, 1, 10000000));
  std::set<std::string> fields;
  for (auto& column : csv.tables("columns")) {
    CsvColumn c;
    const auto header = column.optional_string("column");
    const auto index = column.optional_integer("index", 1, 4096);
    if (header.has_value() == index.has_value())
      throw AdapterConfigError(column.where(), "give either column (a header name) or index (1 = first column)");
    if (header) {
      if (!m.header) throw AdapterConfigError(column.where("column"), "needs header = true; use index");
      if (header->empty()) throw AdapterConfigError(column.where("column"), "must not be empty");
      c.header = *header;
    } else {
      c.index = static_cast<std::size_t>(*index);
    }
    c.field = column.required_string("field");
    if (c.field.empty()) throw AdapterConfigError(column.where("field"), "must not be empty");
    if (!fields.insert(c.field).second || c.field == m.wrap_field || m.constants.count(c.field))
      throw AdapterConfigError(column.where("field"), "'" + c.field + "' is mapped twice");
    try {
      c.type = parse_field_type(column.string("type", "string"));
    } catch (const std::invalid_argument& e) {
      throw AdapterConfigError(column.where("type"), e.what());
    }
    c.required = column.boolean("required", true);
    m.columns.push_back(std::move(c));
  }
  if (m.columns.empty()) throw AdapterConfigError(csv.where("columns"), "map at least one column");
  return m;
}

}  // namespace

FiledropConfig read_filedrop_config(ConfigTable& table) {
  FiledropConfig c;
  c.name = table.required_string("name");
  c.inbox = table.required_path("inbox");
  c.done_dir = table.optional_path("done_dir").value_or(c.inbox / "done");
  c.failed_dir = table.optional_path("failed_dir").value_or(c.inbox / "failed");
  c.outbound_dir = table.optional_path("outbound_dir");
  c.service = table.required_string("service");
  const std::string format = table.choice("format", {"xml", "json", "csv"}, "json");
  c.format = format == "xml" ? Format::xml : format == "csv" ? Format::csv : Format::json;
  c.content_type = table.string("content_type", c.format == Format::xml ? "application/xml" : "application/json");
  if (c.content_type.empty() || c.content_type.size() > 200 ||
      c.content_type.find_first_of("\r\n") != std::string::npos)
    throw AdapterConfigError(table.where("content_type"), "must be a media type such as application/json");

  const std::string lock = table.choice("read_lock", {"done-file", "rename", "changed"}, "changed");
  c.read_lock.mode = lock == "done-file" ? ReadLock::done_file
                     : lock == "rename"  ? ReadLock::rename
                                         : ReadLock::changed;
  c.read_lock.done_suffix = table.string("done_suffix", ".done");
  if (c.read_lock.done_suffix.empty() || c.read_lock.done_suffix.find('/') != std::string::npos)
    throw AdapterConfigError(table.where("done_suffix"), "must be a non-empty file-name suffix such as \".done\"");
  c.read_lock.stable = table.milliseconds("stable_ms", std::chrono::milliseconds(1000), std::chrono::milliseconds(10),
                                          std::chrono::hours(1));
  c.read_lock.ignore =
      table.has("ignore") ? table.strings("ignore") : std::vector<std::string>{".*", "*.tmp", "*.part"};
  c.max_file_bytes = static_cast<std::uint64_t>(table.integer("max_file_bytes", 100ll << 20, 1, 1ll << 30));
  c.parallel = static_cast<std::size_t>(table.integer("parallel", 4, 1, 64));
  c.rescan = table.milliseconds("rescan_ms", std::chrono::milliseconds(30000), std::chrono::milliseconds(100),
                                std::chrono::hours(24));
  c.retry_initial = table.milliseconds("retry_initial_ms", std::chrono::milliseconds(1000),
                                       std::chrono::milliseconds(10), std::chrono::minutes(10));
  c.retry_max = table.milliseconds("retry_max_ms", std::chrono::milliseconds(60000), std::chrono::milliseconds(10),
                                   std::chrono::hours(1));
  if (c.retry_max < c.retry_initial)
    throw AdapterConfigError(table.where("retry_max_ms"), "must not be below retry_initial_ms");

  auto csv = table.optional_table("csv");
  if (c.format == Format::csv) {
    if (!csv) throw AdapterConfigError(table.where("csv"), "format = \"csv\" needs a [adapter.csv] table with columns");
    c.csv = read_csv(*csv);
  } else if (csv) {
    throw AdapterConfigError(table.where("csv"), "only with format = \"csv\"");
  }
  for (const auto* dir : {&c.done_dir, &c.failed_dir})
    if (*dir == c.inbox)
      throw AdapterConfigError(table.where(dir == &c.done_dir ? "done_dir" : "failed_dir"),
                               "must not be the inbox itself");
  if (c.done_dir == c.failed_dir) throw AdapterConfigError(table.where("failed_dir"), "must differ from done_dir");
  if (c.outbound_dir && *c.outbound_dir == c.inbox)
    throw AdapterConfigError(table.where("outbound_dir"), "must not be the inbox (it would send deliveries back)");
  return c;
}

}  // namespace lgsp::adapters::filedrop
