#include "outbox_store.hpp"

#include <stdexcept>

namespace lgsp::adapters::db {

OutboxStore::OutboxStore(OutboxTable table) : table_(std::move(table)) {
  const std::string from = quote_table(table_.table) + " AS t";
  const std::string key = "t." + quote_identifier(table_.key_column);
  std::string payload;
  if (!table_.payload_column.empty()) {
    payload = "t." + quote_identifier(table_.payload_column) + "::text";
  } else if (table_.columns.empty()) {
    payload = "row_to_json(t)::text";  // PostgreSQL types each value (numbers, booleans, json, text)
  } else {
    payload = "json_build_object(";
    for (std::size_t i = 0; i < table_.columns.size(); ++i) {
      // A checked identifier is also a safe string literal: it holds no quote.
      const std::string q = quote_identifier(table_.columns[i]);
      payload += (i ? ", '" : "'") + table_.columns[i] + "', t." + q;
    }
    payload += ")::text";
  }
  const std::string id =
      table_.message_id_column.empty() ? "NULL" : "t." + quote_identifier(table_.message_id_column) + "::text";
  const std::string conversation =
      table_.conversation_column.empty() ? "NULL" : "t." + quote_identifier(table_.conversation_column) + "::text";
  select_sql_ = "SELECT " + key + "::bigint::text, " + payload + ", " + id + ", " + conversation + " FROM " + from +
                " WHERE " + key + " > $1::bigint ORDER BY " + key + " LIMIT $2::integer";
  backlog_sql_ = "SELECT count(*)::text FROM (SELECT 1 FROM " + from + " WHERE " + key +
                 " > $1::bigint LIMIT $2::bigint) AS waiting";
  last_sql_ = "SELECT coalesce(max(" + key + "), 0)::bigint::text FROM " + from;
}

void OutboxStore::prepare(PgConnection& connection) const {
  connection.prepare("outbox_after", select_sql_);
  connection.prepare("outbox_backlog", backlog_sql_);
  connection.prepare("outbox_last", last_sql_);
}

std::vector<OutboxRow> OutboxStore::after(PgConnection& connection, std::int64_t after, int limit) const {
  auto result = connection.run("outbox_after", {std::to_string(after), std::to_string(limit)});
  std::vector<OutboxRow> rows;
  const int n = PQntuples(result.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    OutboxRow row;
    row.key = std::stoll(*value(result.get(), i, 0));
    row.payload = value(result.get(), i, 1).value_or("");
    row.message_id = value(result.get(), i, 2);
    row.conversation_id = value(result.get(), i, 3);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int64_t OutboxStore::backlog(PgConnection& connection, std::int64_t after, std::int64_t cap) const {
  auto result = connection.run("outbox_backlog", {std::to_string(after), std::to_string(cap)});
  return std::stoll(*value(result.get(), 0, 0));
}

std::int64_t OutboxStore::last_key(PgConnection& connection) const {
  auto result = connection.run("outbox_last", {});
  return std::stoll(*value(result.get(), 0, 0));
}

}  // namespace lgsp::adapters::db
