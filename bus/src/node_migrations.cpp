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
      {2, "registry",
       // Members, subsystems, services, ACL grants and API keys (only a SHA-256 of each key).
       "CREATE TABLE member ("
       " code TEXT PRIMARY KEY, name TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
       "CREATE TABLE subsystem ("
       " id TEXT PRIMARY KEY, member TEXT NOT NULL REFERENCES member(code),"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
       "CREATE TABLE service ("
       " id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id),"
       " request_contract TEXT NOT NULL, response_contract TEXT, endpoint TEXT NOT NULL,"
       " timeout_ms INTEGER NOT NULL, max_attempts INTEGER NOT NULL,"
       " initial_backoff_ms INTEGER NOT NULL, max_backoff_ms INTEGER NOT NULL,"
       " keep_payload INTEGER NOT NULL DEFAULT 1,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
       "CREATE TABLE acl_grant ("
       " client TEXT NOT NULL REFERENCES subsystem(id), service TEXT NOT NULL REFERENCES service(id),"
       " granted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
       " PRIMARY KEY (client, service));"
       "CREATE TABLE api_key ("
       " id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), hash TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), revoked_at TEXT);"
       "CREATE TABLE peer_node ("
       " name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
       "CREATE TABLE subsystem_certificate ("
       " fingerprint TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"},
  };
  return migrations;
}

}  // namespace lgsp::bus
