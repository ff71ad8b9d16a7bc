#include "inbox_store.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

namespace lgsp::adapters::db {
namespace {
// (column, value getter index) of the columns configured, in one order for INSERT and its parameters.
std::vector<std::pair<std::string, int>> columns_of(const InboxTable& t) {
  std::vector<std::pair<std::string, int>> out;
  const std::string* names[] = {&t.message_id,  &t.client,  &t.service,     &t.conversation_id,
                                &t.accepted_at, &t.payload, &t.content_type};
  for (int i = 0; i < 7; ++i)
    if (!names[i]->empty()) out.emplace_back(*names[i], i);
  return out;
}

const std::string& field(const InboxRecord& r, int index) {
  const std::string* fields[] = {&r.message_id,  &r.client,  &r.service,     &r.conversation_id,
                                 &r.accepted_at, &r.payload, &r.content_type};
  return *fields[index];
}
}  // namespace

InboxStore::InboxStore(InboxTable table) : table_(std::move(table)) {
  if (table_.message_id.empty() || table_.client.empty() || table_.payload.empty())
    throw std::invalid_argument("the inbox needs the message_id, client and payload columns");
  std::string names, params, defs;
  int n = 0;
  for (const auto& [column, index] : columns_of(table_)) {
    const std::string q = quote_identifier(column);
    names += (n ? ", " : "") + q;
    params += (n ? ", $" : "$") + std::to_string(n + 1);
    ++n;
    // accepted_at keeps its RFC 3339 text: timestamptz would be the legacy system's choice for its own table.
    defs += q + (index == 0 || index == 1 || index == 5 ? " text NOT NULL, " : " text, ");
  }
  const std::string quoted = quote_table(table_.table);
  insert_sql_ = "INSERT INTO " + quoted + " (" + names + ") VALUES (" + params + ") ON CONFLICT DO NOTHING";
  create_sql_ = "CREATE TABLE IF NOT EXISTS " + quoted + " (id bigserial PRIMARY KEY, " + defs +
                "stored_at timestamptz NOT NULL DEFAULT now(), UNIQUE (" + quote_identifier(table_.client) + ", " +
                quote_identifier(table_.message_id) + "))";
}

void InboxStore::create(PgConnection& connection) const { connection.exec(create_sql_); }

void InboxStore::prepare(PgConnection& connection) const { connection.prepare("inbox_insert", insert_sql_); }

bool InboxStore::store(PgConnection& connection, const InboxRecord& record) const {
  std::vector<std::optional<std::string>> params;
  for (const auto& [column, index] : columns_of(table_)) {
    const std::string& v = field(record, index);
    // An absent conversation id is NULL, not an empty string a legacy query would have to know about.
    params.push_back(v.empty() && index != 5 ? std::nullopt : std::optional<std::string>(v));
  }
  // One statement in autocommit is one transaction, committed before PQexecPrepared returns: the caller
  // answers the node only after this returns.
  auto result = connection.run("inbox_insert", params);
  return std::string(PQcmdTuples(result.get())) == "1";
}

}  // namespace lgsp::adapters::db
