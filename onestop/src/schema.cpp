#include "lgsp/onestop/schema.hpp"

#include "lgsp/bus/sqlite_store.hpp"
#include "lgsp/onestop/dossier_code.hpp"

namespace lgsp::onestop {

// Oldest first, and only the oldest unsent message of each conversation, so that a dossier's messages reach
// the other agency in the order they were made.
const char* const kDueBusMessagesSql =
    "SELECT id, service, message_id, conversation_id, payload FROM bus_outbox o "
    "WHERE sent_at IS NULL AND next_attempt_at <= ? AND id = (SELECT MIN(id) FROM "
    "bus_outbox p WHERE p.conversation_id = o.conversation_id AND p.sent_at IS NULL) "
    "ORDER BY id LIMIT ?";

// The same, less messages whose claim (another sender's) has not lapsed at `now`; attempts are read too, for the
// retry back-off.
const char* const kClaimBusMessagesSql =
    "SELECT id, service, message_id, conversation_id, payload, attempts FROM bus_outbox o "
    "WHERE sent_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) "
    "AND id = (SELECT MIN(id) FROM bus_outbox p WHERE p.conversation_id = o.conversation_id AND p.sent_at IS NULL) "
    "ORDER BY id LIMIT ?";

// Migration 4 on both engines: who holds a bus message while sending it, and until when.
constexpr const char* kOutboxClaimsSql =
    "ALTER TABLE bus_outbox ADD COLUMN claimed_by TEXT;\n"
    "ALTER TABLE bus_outbox ADD COLUMN claimed_until TEXT;\n";

const std::vector<bus::Migration>& onestop_migrations() {
  static const std::vector<bus::Migration> m = {
      {1, "one-stop core", std::string(kDossierSequenceTableSql) + ";\n" + R"SQL(
CREATE TABLE procedures(
  code TEXT NOT NULL, version INTEGER NOT NULL, effective_from TEXT NOT NULL, name TEXT NOT NULL,
  body TEXT NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY(code, version));
CREATE TABLE files(
  sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, size INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE users(
  username TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT NOT NULL, display_name TEXT NOT NULL,
  title TEXT NOT NULL, customer_code TEXT, token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE profiles(
  customer_code TEXT PRIMARY KEY, id_number TEXT NOT NULL UNIQUE, data TEXT NOT NULL,
  created_at TEXT NOT NULL, valid_until TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE profile_sequences(agency TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE profile_documents(
  customer_code TEXT NOT NULL, doc_code TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL,
  media_type TEXT NOT NULL, size INTEGER NOT NULL, added_at TEXT NOT NULL, valid_until TEXT,
  PRIMARY KEY(customer_code, doc_code, sha256));
CREATE TABLE dossiers(
  code TEXT PRIMARY KEY, agency TEXT NOT NULL, origin_agency TEXT NOT NULL,
  procedure_code TEXT NOT NULL, procedure_version INTEGER NOT NULL, procedure_name TEXT NOT NULL,
  customer_code TEXT, applicant TEXT NOT NULL, channel INTEGER NOT NULL, status INTEGER NOT NULL,
  pause_stack TEXT NOT NULL DEFAULT '[]', received_at TEXT NOT NULL, due_at TEXT NOT NULL, original_due_at TEXT NOT NULL,
  finished_at TEXT, delivered_at TEXT, current_step INTEGER NOT NULL, current_unit TEXT NOT NULL,
  received_by TEXT NOT NULL, updated_at TEXT NOT NULL, extensions INTEGER NOT NULL DEFAULT 0,
  phone TEXT, id_number TEXT);
CREATE INDEX dossiers_by_status ON dossiers(status);
CREATE INDEX dossiers_by_received ON dossiers(received_at);
CREATE INDEX dossiers_by_customer ON dossiers(customer_code);
CREATE TABLE dossier_documents(
  dossier_code TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, doc_code TEXT NOT NULL,
  name TEXT NOT NULL, sha256 TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
  signature_format TEXT, signature_sha256 TEXT, signer TEXT, added_at TEXT NOT NULL, url TEXT,
  seal_sha256 TEXT, sealer TEXT,
  PRIMARY KEY(dossier_code, seq));
CREATE TABLE dossier_steps(
  dossier_code TEXT NOT NULL, step_index INTEGER NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,
  unit_name TEXT NOT NULL, role TEXT NOT NULL DEFAULT '', due_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, handed_by TEXT,
  received_by TEXT, result TEXT, PRIMARY KEY(dossier_code, step_index));
CREATE TABLE dossier_history(
  id INTEGER PRIMARY KEY AUTOINCREMENT, dossier_code TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
  actor_title TEXT NOT NULL, role TEXT NOT NULL, unit TEXT NOT NULL, action TEXT NOT NULL,
  from_status INTEGER, to_status INTEGER, step_index INTEGER, comment TEXT NOT NULL, details TEXT);
CREATE INDEX history_by_dossier ON dossier_history(dossier_code, id);
CREATE TABLE portal_outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, dossier_code TEXT NOT NULL, service TEXT NOT NULL,
  record TEXT NOT NULL, synced_at TEXT);
CREATE INDEX portal_outbox_by_dossier ON portal_outbox(dossier_code, id);
CREATE TABLE bus_outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT, service TEXT NOT NULL, message_id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at TEXT NOT NULL);
CREATE INDEX bus_outbox_by_conversation ON bus_outbox(conversation_id, sent_at, id);
CREATE TABLE bus_inbox(
  message_id TEXT PRIMARY KEY, service TEXT NOT NULL, client TEXT NOT NULL, received_at TEXT NOT NULL,
  payload TEXT NOT NULL, outcome TEXT NOT NULL);
)SQL"},
      {2, "pending bus outbox index",
       // The outbox poll and the pending listing read unsent messages only; sent ones pile up for ever.
       "CREATE INDEX bus_outbox_pending ON bus_outbox(id) WHERE sent_at IS NULL;"},
      // The unit boundary and the upload quota: an account's scope, the unit an e-profile belongs to (the
      // agency in its customer code, KH-<agency>-<7 digits>), and who uploaded what when.
      {3, "unit scope and upload quota", R"SQL(
ALTER TABLE users ADD COLUMN scope TEXT NOT NULL DEFAULT 'unit';
ALTER TABLE profiles ADD COLUMN unit TEXT NOT NULL DEFAULT '';
UPDATE profiles SET unit = substr(customer_code, 4, length(customer_code) - 11);
CREATE TABLE file_uploads(
  id INTEGER PRIMARY KEY AUTOINCREMENT, sha256 TEXT NOT NULL, username TEXT NOT NULL, unit TEXT NOT NULL,
  size INTEGER NOT NULL, at TEXT NOT NULL);
CREATE INDEX file_uploads_by_user ON file_uploads(username, at);
CREATE INDEX file_uploads_by_sha ON file_uploads(sha256, unit);
CREATE INDEX profile_documents_by_sha ON profile_documents(sha256);
CREATE INDEX dossier_documents_by_sha ON dossier_documents(sha256);
CREATE INDEX dossier_documents_by_signature ON dossier_documents(signature_sha256);
CREATE INDEX dossier_documents_by_seal ON dossier_documents(seal_sha256);
CREATE INDEX files_by_created ON files(created_at);
)SQL"},
      {4, "bus outbox claims", kOutboxClaimsSql},
      // Settings every instance on one database shares: the id of the data folder they must all use.
      {5, "office settings", "CREATE TABLE office_settings(name TEXT PRIMARY KEY, value TEXT NOT NULL);"},
      // Officials sign results on their own token (docs/onestop.md, "Signing results"): the certificate bound to an
      // account, and the PDFs prepared for signing, waiting for the signature from the official's agent.
      {6, "officials' certificates and prepared results", R"SQL(
ALTER TABLE users ADD COLUMN certificate_sha256 TEXT;
ALTER TABLE users ADD COLUMN cccd TEXT;
CREATE TABLE result_prepares(
  id TEXT PRIMARY KEY, dossier_code TEXT NOT NULL, username TEXT NOT NULL, name TEXT NOT NULL,
  doc_code TEXT NOT NULL, certificate_sha256 TEXT NOT NULL, prepared TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL);
CREATE INDEX result_prepares_by_user ON result_prepares(username, expires_at);
)SQL"},
      // Web sign-in and notifications (docs/onestop.md, "Web sessions", "Notifications"): password hashes
      // (Argon2id), cookie sessions (only the cookie's SHA-256), token sign-in challenges, the notification outbox
      // and the clients' request ids that make a double submit file one dossier.
      {7, "web sessions and notifications", R"SQL(
CREATE TABLE web_passwords(username TEXT PRIMARY KEY, hash TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE web_sessions(
  id_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL);
CREATE INDEX web_sessions_by_user ON web_sessions(username, created_at);
CREATE TABLE web_challenges(id TEXT PRIMARY KEY, digest TEXT NOT NULL, origin TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE notifications(
  id INTEGER PRIMARY KEY AUTOINCREMENT, dossier_code TEXT NOT NULL, unit TEXT NOT NULL, kind TEXT NOT NULL,
  channel TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL,
  sent_at TEXT, claimed_by TEXT, claimed_until TEXT);
CREATE INDEX notifications_pending ON notifications(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_by_dossier ON notifications(dossier_code, id);
CREATE TABLE dossier_requests(request_key TEXT PRIMARY KEY, dossier_code TEXT NOT NULL, created_at TEXT NOT NULL);
)SQL"},
  };
  return m;
}

// PostgreSQL: the same versions step for step. Every text column is COLLATE "C" so that comparisons and ORDER BY
// go by bytes as on SQLite (codes and RFC 3339 times order as text whatever the database's locale); ids are
// identity columns (SQLite's AUTOINCREMENT); sizes and counters are BIGINT.
const std::vector<bus::Migration>& onestop_pg_migrations() {
  static const std::vector<bus::Migration> m = {
      {1, "one-stop core", R"SQL(
CREATE TABLE dossier_sequences(agency TEXT COLLATE "C" NOT NULL, day TEXT COLLATE "C" NOT NULL, last BIGINT NOT NULL,
  PRIMARY KEY(agency, day));
CREATE TABLE procedures(
  code TEXT COLLATE "C" NOT NULL, version INTEGER NOT NULL, effective_from TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL, body TEXT NOT NULL, imported_at TEXT COLLATE "C" NOT NULL, PRIMARY KEY(code, version));
CREATE TABLE files(
  sha256 TEXT COLLATE "C" PRIMARY KEY, media_type TEXT NOT NULL, size BIGINT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE users(
  username TEXT COLLATE "C" PRIMARY KEY, role TEXT NOT NULL, unit TEXT COLLATE "C" NOT NULL,
  display_name TEXT NOT NULL, title TEXT NOT NULL, customer_code TEXT COLLATE "C",
  token_sha256 TEXT COLLATE "C" NOT NULL UNIQUE, created_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE profiles(
  customer_code TEXT COLLATE "C" PRIMARY KEY, id_number TEXT COLLATE "C" NOT NULL UNIQUE, data TEXT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL, valid_until TEXT COLLATE "C" NOT NULL, updated_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE profile_sequences(agency TEXT COLLATE "C" PRIMARY KEY, last BIGINT NOT NULL);
CREATE TABLE profile_documents(
  customer_code TEXT COLLATE "C" NOT NULL, doc_code TEXT COLLATE "C" NOT NULL, name TEXT NOT NULL,
  sha256 TEXT COLLATE "C" NOT NULL, media_type TEXT NOT NULL, size BIGINT NOT NULL,
  added_at TEXT COLLATE "C" NOT NULL, valid_until TEXT COLLATE "C",
  PRIMARY KEY(customer_code, doc_code, sha256));
CREATE TABLE dossiers(
  code TEXT COLLATE "C" PRIMARY KEY, agency TEXT COLLATE "C" NOT NULL, origin_agency TEXT COLLATE "C" NOT NULL,
  procedure_code TEXT COLLATE "C" NOT NULL, procedure_version INTEGER NOT NULL, procedure_name TEXT NOT NULL,
  customer_code TEXT COLLATE "C", applicant TEXT NOT NULL, channel INTEGER NOT NULL, status INTEGER NOT NULL,
  pause_stack TEXT NOT NULL DEFAULT '[]', received_at TEXT COLLATE "C" NOT NULL, due_at TEXT COLLATE "C" NOT NULL,
  original_due_at TEXT COLLATE "C" NOT NULL, finished_at TEXT COLLATE "C", delivered_at TEXT COLLATE "C",
  current_step INTEGER NOT NULL, current_unit TEXT COLLATE "C" NOT NULL, received_by TEXT NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL, extensions INTEGER NOT NULL DEFAULT 0, phone TEXT, id_number TEXT COLLATE "C");
CREATE INDEX dossiers_by_status ON dossiers(status);
CREATE INDEX dossiers_by_received ON dossiers(received_at);
CREATE INDEX dossiers_by_customer ON dossiers(customer_code);
CREATE TABLE dossier_documents(
  dossier_code TEXT COLLATE "C" NOT NULL, seq INTEGER NOT NULL, kind TEXT COLLATE "C" NOT NULL,
  doc_code TEXT COLLATE "C" NOT NULL, name TEXT NOT NULL, sha256 TEXT COLLATE "C" NOT NULL, media_type TEXT NOT NULL,
  size BIGINT NOT NULL, signature_format TEXT, signature_sha256 TEXT COLLATE "C", signer TEXT,
  added_at TEXT COLLATE "C" NOT NULL, url TEXT, seal_sha256 TEXT COLLATE "C", sealer TEXT,
  PRIMARY KEY(dossier_code, seq));
CREATE TABLE dossier_steps(
  dossier_code TEXT COLLATE "C" NOT NULL, step_index INTEGER NOT NULL, name TEXT NOT NULL,
  unit TEXT COLLATE "C" NOT NULL, unit_name TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',
  due_at TEXT COLLATE "C" NOT NULL, started_at TEXT COLLATE "C", finished_at TEXT COLLATE "C", handed_by TEXT,
  received_by TEXT, result TEXT, PRIMARY KEY(dossier_code, step_index));
CREATE TABLE dossier_history(
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, dossier_code TEXT COLLATE "C" NOT NULL,
  at TEXT COLLATE "C" NOT NULL, actor TEXT NOT NULL, actor_title TEXT NOT NULL, role TEXT NOT NULL,
  unit TEXT COLLATE "C" NOT NULL, action TEXT COLLATE "C" NOT NULL, from_status INTEGER, to_status INTEGER,
  step_index INTEGER, comment TEXT NOT NULL, details TEXT);
CREATE INDEX history_by_dossier ON dossier_history(dossier_code, id);
CREATE TABLE portal_outbox(
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at TEXT COLLATE "C" NOT NULL,
  dossier_code TEXT COLLATE "C" NOT NULL, service TEXT NOT NULL, record TEXT NOT NULL, synced_at TEXT COLLATE "C");
CREATE INDEX portal_outbox_by_dossier ON portal_outbox(dossier_code, id);
CREATE TABLE bus_outbox(
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, service TEXT NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL UNIQUE, conversation_id TEXT COLLATE "C" NOT NULL, payload TEXT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL, sent_at TEXT COLLATE "C", attempts BIGINT NOT NULL DEFAULT 0,
  last_error TEXT, next_attempt_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX bus_outbox_by_conversation ON bus_outbox(conversation_id, sent_at, id);
CREATE TABLE bus_inbox(
  message_id TEXT COLLATE "C" PRIMARY KEY, service TEXT NOT NULL, client TEXT NOT NULL,
  received_at TEXT COLLATE "C" NOT NULL, payload TEXT NOT NULL, outcome TEXT NOT NULL);
)SQL"},
      {2, "pending bus outbox index", "CREATE INDEX bus_outbox_pending ON bus_outbox(id) WHERE sent_at IS NULL;"},
      {3, "unit scope and upload quota", R"SQL(
ALTER TABLE users ADD COLUMN scope TEXT NOT NULL DEFAULT 'unit';
ALTER TABLE profiles ADD COLUMN unit TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE profiles SET unit = substr(customer_code, 4, length(customer_code) - 11);
CREATE TABLE file_uploads(
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sha256 TEXT COLLATE "C" NOT NULL,
  username TEXT COLLATE "C" NOT NULL, unit TEXT COLLATE "C" NOT NULL, size BIGINT NOT NULL,
  at TEXT COLLATE "C" NOT NULL);
CREATE INDEX file_uploads_by_user ON file_uploads(username, at);
CREATE INDEX file_uploads_by_sha ON file_uploads(sha256, unit);
CREATE INDEX profile_documents_by_sha ON profile_documents(sha256);
CREATE INDEX dossier_documents_by_sha ON dossier_documents(sha256);
CREATE INDEX dossier_documents_by_signature ON dossier_documents(signature_sha256);
CREATE INDEX dossier_documents_by_seal ON dossier_documents(seal_sha256);
CREATE INDEX files_by_created ON files(created_at);
)SQL"},
      {4, "bus outbox claims",
       "ALTER TABLE bus_outbox ADD COLUMN claimed_by TEXT;\n"
       "ALTER TABLE bus_outbox ADD COLUMN claimed_until TEXT COLLATE \"C\";\n"},
      {5, "office settings", "CREATE TABLE office_settings(name TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL);"},
      {6, "officials' certificates and prepared results", R"SQL(
ALTER TABLE users ADD COLUMN certificate_sha256 TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN cccd TEXT COLLATE "C";
CREATE TABLE result_prepares(
  id TEXT COLLATE "C" PRIMARY KEY, dossier_code TEXT COLLATE "C" NOT NULL, username TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL, doc_code TEXT NOT NULL, certificate_sha256 TEXT COLLATE "C" NOT NULL, prepared TEXT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL, expires_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX result_prepares_by_user ON result_prepares(username, expires_at);
)SQL"},
      {7, "web sessions and notifications", R"SQL(
CREATE TABLE web_passwords(username TEXT COLLATE "C" PRIMARY KEY, hash TEXT NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE web_sessions(
  id_sha256 TEXT COLLATE "C" PRIMARY KEY, username TEXT COLLATE "C" NOT NULL, csrf TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL, last_seen_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX web_sessions_by_user ON web_sessions(username, created_at);
CREATE TABLE web_challenges(id TEXT COLLATE "C" PRIMARY KEY, digest TEXT NOT NULL, origin TEXT NOT NULL,
  expires_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE notifications(
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, dossier_code TEXT COLLATE "C" NOT NULL,
  unit TEXT COLLATE "C" NOT NULL, kind TEXT COLLATE "C" NOT NULL, channel TEXT COLLATE "C" NOT NULL,
  recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, status TEXT COLLATE "C" NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT COLLATE "C" NOT NULL,
  next_attempt_at TEXT COLLATE "C" NOT NULL, sent_at TEXT COLLATE "C", claimed_by TEXT,
  claimed_until TEXT COLLATE "C");
CREATE INDEX notifications_pending ON notifications(next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_by_dossier ON notifications(dossier_code, id);
CREATE TABLE dossier_requests(request_key TEXT COLLATE "C" PRIMARY KEY, dossier_code TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL);
)SQL"},
  };
  return m;
}

std::unique_ptr<bus::Store> open_onestop_store(const std::filesystem::path& data_dir, unsigned group_commit_max_rows,
                                               unsigned group_commit_max_delay_ms) {
  bus::SqliteStoreOptions options;
  options.file = data_dir / "onestop.db";
  options.group_commit_max_rows = group_commit_max_rows;
  options.group_commit_max_delay = std::chrono::milliseconds(group_commit_max_delay_ms);
  return std::make_unique<bus::SqliteStore>(options, onestop_migrations());
}

std::unique_ptr<bus::Store> open_onestop_pg_store(const bus::PgStoreOptions& options) {
  return std::make_unique<bus::PgStore>(options, onestop_pg_migrations());
}

}  // namespace lgsp::onestop
