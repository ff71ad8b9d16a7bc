// The legacy system's outbox table as the adapter reads it: rows after a cursor, in key order, each with
// the payload to send. Every statement is prepared once from checked identifiers; the cursor and the
// limit are parameters.
#pragma once

#include "pg.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::adapters::db {

struct OutboxTable {
  std::string table;                 // "outbox" or "legacy.outbox"
  std::string key_column;            // an increasing integer key (bigserial, sequence)
  std::string payload_column;        // sent as it is; empty: the row (or `columns`) as a JSON object
  std::vector<std::string> columns;  // with no payload_column: the columns in the JSON; empty: all of them
  std::string message_id_column;     // empty: the adapter makes "<adapter>-<key>"
  std::string conversation_column;   // empty: none
};

struct OutboxRow {
  std::int64_t key = 0;
  std::string payload;
  std::optional<std::string> message_id;
  std::optional<std::string> conversation_id;
};

class OutboxStore {
 public:
  // Throws std::invalid_argument naming a bad identifier (before any connection is made).
  explicit OutboxStore(OutboxTable table);
  // Prepares the statements on `connection` (again after each reconnect). Throws PgError.
  void prepare(PgConnection& connection) const;
  // At most `limit` rows with key > after, in key order.
  std::vector<OutboxRow> after(PgConnection& connection, std::int64_t after, int limit) const;
  // How many rows wait after `after`, counted up to `cap`.
  std::int64_t backlog(PgConnection& connection, std::int64_t after, std::int64_t cap) const;
  // The largest key now (0 when empty): where a cursor starting "at the end" starts.
  std::int64_t last_key(PgConnection& connection) const;
  const OutboxTable& table() const { return table_; }

 private:
  OutboxTable table_;
  std::string select_sql_, backlog_sql_, last_sql_;
};

}  // namespace lgsp::adapters::db
