// Deliveries written into a table of the legacy database, one transaction each, idempotent by the sending
// client and message id (a unique constraint and ON CONFLICT DO NOTHING): a delivery the node sends again
// after a lost answer is stored once.
#pragma once

#include "pg.hpp"

#include <string>

namespace lgsp::adapters::db {

// Column names in the inbox table; message_id, client and payload are needed, the others may be empty (not
// stored).
struct InboxTable {
  std::string table;
  std::string message_id = "message_id";
  std::string client = "client";
  std::string service = "service";
  std::string conversation_id = "conversation_id";
  std::string accepted_at = "accepted_at";
  std::string payload = "payload";
  std::string content_type = "content_type";
};

struct InboxRecord {
  std::string message_id, client, service, conversation_id, accepted_at, payload, content_type;
};

class InboxStore {
 public:
  // Throws std::invalid_argument naming a bad identifier.
  explicit InboxStore(InboxTable table);
  // CREATE TABLE IF NOT EXISTS with the columns and UNIQUE (client, message_id): for a database the adapter
  // may shape (tests, a new integration); a legacy system's own table is left as it is.
  void create(PgConnection& connection) const;
  void prepare(PgConnection& connection) const;
  // Inserts and commits; true when stored now, false when this client's message id was there already.
  // Throws PgError (nothing is stored then).
  bool store(PgConnection& connection, const InboxRecord& record) const;

 private:
  InboxTable table_;
  std::string insert_sql_, create_sql_;
};

}  // namespace lgsp::adapters::db
