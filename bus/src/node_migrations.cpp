// The node's schema history. Append only: a released migration is never edited.
#include "lgsp/bus/sqlite_store.hpp"

namespace lgsp::bus {

const std::vector<Migration>& node_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "node events",
       // What the node did and what it refused (bad input is recorded, not only logged).
       "CREATE TABLE node_event ("
       " id INTEGER PRIMARY KEY,"
       " at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
       " kind TEXT NOT NULL,"
       " detail TEXT NOT NULL);"
       "CREATE INDEX node_event_kind_at ON node_event(kind, at);"},
  };
  return migrations;
}

}  // namespace lgsp::bus
