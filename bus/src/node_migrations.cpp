// The node's schema history. Append only: a released migration is never edited.
#include "lgsp/bus/sqlite_store.hpp"

namespace lgsp::bus {
namespace {

// A counter that every change to a registry table bumps, by trigger, whoever writes (the node's
// admin API or the CLI in another process): RegistryCache keeps answers while it stays the same.
std::string registry_version_sql() {
  std::string sql =
      "CREATE TABLE registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);"
      "INSERT INTO registry_version(id, n) VALUES (1, 0);";
  for (const char* table :
       {"member", "subsystem", "service", "acl_grant", "api_key", "subsystem_certificate", "peer_node"})
    for (const char* event : {"INSERT", "UPDATE", "DELETE"})
      sql += std::string("CREATE TRIGGER registry_version_") + table + "_" + event + " AFTER " + event + " ON " +
             table + " BEGIN UPDATE registry_version SET n = n + 1 WHERE id = 1; END;";
  return sql;
}

}  // namespace

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
      {3, "messages and the message log",
       // One row per accepted message; seq is the acceptance order (delivery order within a
       // conversation).
       "CREATE TABLE message ("
       " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
       " id TEXT NOT NULL, client TEXT NOT NULL, service TEXT NOT NULL, conversation TEXT,"
       " content_type TEXT NOT NULL, payload_sha256 TEXT NOT NULL, accepted_at TEXT NOT NULL,"
       " state TEXT NOT NULL CHECK (state IN ('accepted','delivering','delivered','dead')),"
       " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, last_error TEXT,"
       // attempts already made when the message was last replayed from the dead-letter queue: the
       // retry policy counts from there.
       " replayed_after INTEGER NOT NULL DEFAULT 0,"
       " UNIQUE (client, id));"
       // The large, write-once parts live apart, so that each delivery attempt rewrites a small row
       // only. The seal (a few KiB: it carries the node's certificates) rebuilds the receipt with the
       // columns above; the payload is NULL once dropped after delivery (service keep_payload off).
       "CREATE TABLE message_body ("
       " seq INTEGER PRIMARY KEY REFERENCES message(seq), payload BLOB, seal TEXT NOT NULL);"
       "CREATE INDEX message_due ON message(next_attempt_ms) WHERE state IN ('accepted','delivering');"
       "CREATE INDEX message_conversation ON message(client, conversation, seq)"
       " WHERE state IN ('accepted','delivering') AND conversation IS NOT NULL;"
       "CREATE INDEX message_dead ON message(seq) WHERE state = 'dead';"
       "CREATE TABLE delivery_attempt ("
       " message_seq INTEGER NOT NULL REFERENCES message(seq), attempt INTEGER NOT NULL,"
       " at TEXT NOT NULL, status INTEGER, error TEXT, PRIMARY KEY (message_seq, attempt));"
       // Hash-chained: hash = SHA-256 over prev_hash and the record's fields (message_log.cpp).
       "CREATE TABLE message_log ("
       " seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,"
       " body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"},
      {4, "seal certificates",
       // The node's sealing certificates, once each: stored seals name theirs by SHA-256 instead of
       // carrying ~3.4 KB of base64 per message (seal_certificates.hpp). A row's certificate never changes; its chain
       // follows the node's configuration (store_seal_certificate).
       "CREATE TABLE seal_certificate (sha256 TEXT PRIMARY KEY, cert TEXT NOT NULL, chain TEXT NOT NULL);"},
      {5, "registry version", registry_version_sql()},
      {6, "dead messages hold back their conversation",
       // The delivery query's "nothing older undelivered" test counts dead messages too; this index serves
       // it (a partial index is used only for a query whose WHERE names the same states).
       "DROP INDEX message_conversation;"
       "CREATE INDEX message_conversation ON message(client, conversation, seq)"
       " WHERE state IN ('accepted','delivering','dead') AND conversation IS NOT NULL;"},
      {7, "admin credentials",
       // Who may use the admin API, with a role: bearer tokens (only a SHA-256 of each) and client
       // certificates pinned by the SHA-256 of their DER encoding.
       "CREATE TABLE admin_token ("
       " id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('registry-admin','auditor')),"
       " hash TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), revoked_at TEXT);"
       "CREATE TABLE admin_certificate ("
       " fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL,"
       " role TEXT NOT NULL CHECK (role IN ('registry-admin','auditor')), pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"},
      {8, "sealed log heads",
       // The log's head (count, last hash) sealed at intervals and on shutdown (log_head.hpp): records
       // removed from the log's end no longer go unnoticed.
       "CREATE TABLE log_head (id INTEGER PRIMARY KEY, count INTEGER NOT NULL, hash TEXT NOT NULL,"
       " sealed_at TEXT NOT NULL, seal TEXT NOT NULL);"},
  };
  return migrations;
}

}  // namespace lgsp::bus
