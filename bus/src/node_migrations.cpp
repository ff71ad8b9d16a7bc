// The node's schema history. Append only: a released migration is never edited.
#include "lgsp/bus/pg_store.hpp"
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
      {9, "delivery claims",
       // Several nodes on one database: the node delivering a message claims it until claim_expires_ms (its
       // lease); a dead node's claims run out and another node takes them over (MessageRepository::claim_due).
       "ALTER TABLE message ADD COLUMN claimed_by TEXT;"
       "ALTER TABLE message ADD COLUMN claim_expires_ms INTEGER;"
       "CREATE INDEX message_claimed ON message(claimed_by) WHERE claimed_by IS NOT NULL;"},
      {10, "edxml exchange",
       // edXML document exchange (docs/edxml.md): organ id -> subsystem, what was accepted for each addressee,
       // and the status replies recorded against a document.
       "CREATE TABLE edxml_organ ("
       " organ_id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), name TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
       "CREATE TABLE edxml_delivery ("
       " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, document_id TEXT NOT NULL, from_organ TEXT NOT NULL,"
       " to_organ TEXT NOT NULL, client TEXT NOT NULL, service TEXT NOT NULL, message_id TEXT NOT NULL,"
       " subject TEXT NOT NULL, accepted_at TEXT NOT NULL, UNIQUE (client, message_id));"
       "CREATE INDEX edxml_delivery_document ON edxml_delivery(document_id, id);"
       "CREATE INDEX edxml_delivery_to ON edxml_delivery(to_organ, kind, id);"
       "CREATE TABLE edxml_status ("
       " id INTEGER PRIMARY KEY, document_id TEXT NOT NULL, from_organ TEXT NOT NULL, status_code TEXT NOT NULL,"
       " description TEXT NOT NULL, status_at TEXT NOT NULL, message_id TEXT NOT NULL,"
       " recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
       " UNIQUE (document_id, from_organ, message_id));"},
  };
  return migrations;
}

namespace {

// The time as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ','now') writes it (UTC, milliseconds): stored
// times compare and sort the same on both backends. clock_timestamp(), not now(): a batch of units
// shares one transaction, and now() is the transaction's start.
#define LGSP_PG_NOW "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

std::string pg_registry_version_sql() {
  std::string sql =
      "CREATE TABLE registry_version (id BIGINT PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);"
      "INSERT INTO registry_version(id, n) VALUES (1, 0);"
      "CREATE FUNCTION registry_version_bump() RETURNS trigger LANGUAGE plpgsql AS"
      " $$ BEGIN UPDATE registry_version SET n = n + 1 WHERE id = 1; RETURN NULL; END $$;";
  for (const char* table :
       {"member", "subsystem", "service", "acl_grant", "api_key", "subsystem_certificate", "peer_node"})
    sql += std::string("CREATE TRIGGER registry_version_") + table + " AFTER INSERT OR UPDATE OR DELETE ON " + table +
           " FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump();";
  return sql;
}

}  // namespace

// Step for step the same schema as node_migrations(), in PostgreSQL's words: BIGINT for every integer
// (read back as int8), BIGSERIAL for generated keys, BYTEA for blobs, times as the same UTC text.
const std::vector<Migration>& node_pg_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "node events",
       "CREATE TABLE node_event ("
       " id BIGSERIAL PRIMARY KEY,"
       " at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ","
       " kind TEXT NOT NULL,"
       " detail TEXT NOT NULL);"
       "CREATE INDEX node_event_kind_at ON node_event(kind, at);"},
      {2, "registry",
       "CREATE TABLE member ("
       " code TEXT PRIMARY KEY, name TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"
       "CREATE TABLE subsystem ("
       " id TEXT PRIMARY KEY, member TEXT NOT NULL REFERENCES member(code),"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"
       "CREATE TABLE service ("
       " id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id),"
       " request_contract TEXT NOT NULL, response_contract TEXT, endpoint TEXT NOT NULL,"
       " timeout_ms BIGINT NOT NULL, max_attempts BIGINT NOT NULL,"
       " initial_backoff_ms BIGINT NOT NULL, max_backoff_ms BIGINT NOT NULL,"
       " keep_payload BIGINT NOT NULL DEFAULT 1,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"
       "CREATE TABLE acl_grant ("
       " client TEXT NOT NULL REFERENCES subsystem(id), service TEXT NOT NULL REFERENCES service(id),"
       " granted_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ","
       " PRIMARY KEY (client, service));"
       "CREATE TABLE api_key ("
       " id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), hash TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ", revoked_at TEXT);"
       "CREATE TABLE peer_node ("
       " name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"
       "CREATE TABLE subsystem_certificate ("
       " fingerprint TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"},
      {3, "messages and the message log",
       "CREATE TABLE message ("
       " seq BIGSERIAL PRIMARY KEY,"
       " id TEXT NOT NULL, client TEXT NOT NULL, service TEXT NOT NULL, conversation TEXT,"
       " content_type TEXT NOT NULL, payload_sha256 TEXT NOT NULL, accepted_at TEXT NOT NULL,"
       " state TEXT NOT NULL CHECK (state IN ('accepted','delivering','delivered','dead')),"
       " attempts BIGINT NOT NULL DEFAULT 0, next_attempt_ms BIGINT NOT NULL, last_error TEXT,"
       " replayed_after BIGINT NOT NULL DEFAULT 0,"
       " UNIQUE (client, id));"
       "CREATE TABLE message_body ("
       " seq BIGINT PRIMARY KEY REFERENCES message(seq), payload BYTEA, seal TEXT NOT NULL);"
       "CREATE INDEX message_due ON message(next_attempt_ms) WHERE state IN ('accepted','delivering');"
       "CREATE INDEX message_conversation ON message(client, conversation, seq)"
       " WHERE state IN ('accepted','delivering') AND conversation IS NOT NULL;"
       "CREATE INDEX message_dead ON message(seq) WHERE state = 'dead';"
       "CREATE TABLE delivery_attempt ("
       " message_seq BIGINT NOT NULL REFERENCES message(seq), attempt BIGINT NOT NULL,"
       " at TEXT NOT NULL, status BIGINT, error TEXT, PRIMARY KEY (message_seq, attempt));"
       "CREATE TABLE message_log ("
       " seq BIGINT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,"
       " body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"},
      {4, "seal certificates",
       "CREATE TABLE seal_certificate (sha256 TEXT PRIMARY KEY, cert TEXT NOT NULL, chain TEXT NOT NULL);"},
      {5, "registry version", pg_registry_version_sql()},
      {6, "dead messages hold back their conversation",
       "DROP INDEX message_conversation;"
       "CREATE INDEX message_conversation ON message(client, conversation, seq)"
       " WHERE state IN ('accepted','delivering','dead') AND conversation IS NOT NULL;"},
      {7, "admin credentials",
       "CREATE TABLE admin_token ("
       " id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('registry-admin','auditor')),"
       " hash TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ", revoked_at TEXT);"
       "CREATE TABLE admin_certificate ("
       " fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL,"
       " role TEXT NOT NULL CHECK (role IN ('registry-admin','auditor')), pem TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"},
      {8, "sealed log heads",
       "CREATE TABLE log_head (id BIGSERIAL PRIMARY KEY, count BIGINT NOT NULL, hash TEXT NOT NULL,"
       " sealed_at TEXT NOT NULL, seal TEXT NOT NULL);"},
      {9, "delivery claims",
       "ALTER TABLE message ADD COLUMN claimed_by TEXT;"
       "ALTER TABLE message ADD COLUMN claim_expires_ms BIGINT;"
       "CREATE INDEX message_claimed ON message(claimed_by) WHERE claimed_by IS NOT NULL;"},
      {10, "edxml exchange",
       "CREATE TABLE edxml_organ ("
       " organ_id TEXT PRIMARY KEY, subsystem TEXT NOT NULL REFERENCES subsystem(id), name TEXT NOT NULL,"
       " created_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ");"
       "CREATE TABLE edxml_delivery ("
       " id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, document_id TEXT NOT NULL, from_organ TEXT NOT NULL,"
       " to_organ TEXT NOT NULL, client TEXT NOT NULL, service TEXT NOT NULL, message_id TEXT NOT NULL,"
       " subject TEXT NOT NULL, accepted_at TEXT NOT NULL, UNIQUE (client, message_id));"
       "CREATE INDEX edxml_delivery_document ON edxml_delivery(document_id, id);"
       "CREATE INDEX edxml_delivery_to ON edxml_delivery(to_organ, kind, id);"
       "CREATE TABLE edxml_status ("
       " id BIGSERIAL PRIMARY KEY, document_id TEXT NOT NULL, from_organ TEXT NOT NULL, status_code TEXT NOT NULL,"
       " description TEXT NOT NULL, status_at TEXT NOT NULL, message_id TEXT NOT NULL,"
       " recorded_at TEXT NOT NULL DEFAULT " LGSP_PG_NOW ","
       " UNIQUE (document_id, from_organ, message_id));"},
  };
  return migrations;
}

#undef LGSP_PG_NOW

}  // namespace lgsp::bus
