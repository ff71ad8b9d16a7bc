// The office's persistence boundary: one repository per aggregate, typed values in and out (records.hpp). SQL
// lives only in the backends' implementation (onestop/src/store/sql_*.cpp, one for SQLite and PostgreSQL, with
// a dialect for the few differences). A set of repositories
// is bound to one unit of work of the store (bus::Store::write or read): everything done through it commits or
// rolls back together, which is what keeps a status check and the change it allows from interleaving.
// tests/unit/onestop/repositories_test.cpp defines the behaviour every backend must have.
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/dossier_code.hpp"
#include "lgsp/onestop/procedure.hpp"
#include "lgsp/onestop/records.hpp"
#include "lgsp/onestop/web_records.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop {

// A dossier with its steps, documents and history.
class DossierRepository {
 public:
  virtual ~DossierRepository() = default;
  virtual std::optional<DossierRecord> find(const std::string& code) = 0;
  // A new dossier (its code unique: a second insert of the code throws bus::StoreError).
  virtual void insert(const DossierRecord& d, TimePoint now) = 0;
  // Saves what a dossier's life changes (status, pauses, times, step, unit, extensions); `now` is updated_at.
  virtual void update(const DossierRecord& d, TimePoint now) = 0;

  // Steps in step order; save_step inserts or updates by (dossier, index).
  virtual std::vector<DossierStep> steps(const std::string& code) = 0;
  virtual void save_step(const std::string& code, const DossierStep& s) = 0;

  // Appends a document (its kind and added_at as given); returns its sequence number (1, 2, ... per dossier).
  virtual int add_document(const std::string& code, const DossierDocument& doc) = 0;
  // The dossier's documents in order; `kind` (not empty) only those of that kind.
  virtual std::vector<DossierDocument> documents(const std::string& code, const std::string& kind = "") = 0;
  // The media type of `sha256` when it is a document of a kind the portal lists (submitted, supplement, result)
  // in a dossier that has records for the portal.
  virtual std::optional<std::string> portal_document_type(const std::string& sha256) = 0;

  // History, oldest first; last_history: the newest entry of `action`.
  virtual void add_history(const std::string& code, const HistoryEntry& e) = 0;
  virtual std::vector<HistoryEntry> history(const std::string& code) = 0;
  virtual std::optional<HistoryEntry> last_history(const std::string& code, const std::string& action) = 0;

  // Lists, newest received first, at most `limit`: narrowed by `filter` and by the scope given (a customer's own,
  // or one agency's; both empty: all).
  struct Scope {
    std::string customer_code;
    std::string agency;
  };
  virtual std::vector<DossierSummary> list(const Scope& scope, const DossierFilter& filter, int limit) = 0;
  // How many `list` would give without a limit (a work queue's count).
  virtual int count(const Scope& scope, const DossierFilter& filter) = 0;
  // A citizen's dossiers, oldest received first (the e-profile's transactions).
  virtual std::vector<ProfileTransaction> of_customer(const std::string& customer_code) = 0;
  // Received in [from, to), in order received (the register); `agency` empty: every agency's.
  virtual std::vector<RegisterRow> received_between(TimePoint from, TimePoint to, const std::string& agency) = 0;
  // What a report over [from, to) counts: received in it, finished in it, or unfinished and received before `to`.
  virtual std::vector<DossierRecord> for_report(TimePoint from, TimePoint to, const std::string& agency) = 0;
  // The next dossier code for `agency` on the local day of `at` (gap-free per agency and day).
  virtual std::string allocate_code(const DossierCodePattern& pattern, const std::string& agency, TimePoint at) = 0;
};

// Citizen e-profiles and their reusable documents.
class ProfileRepository {
 public:
  virtual ~ProfileRepository() = default;
  virtual std::optional<Profile> find(const std::string& customer_code) = 0;  // without documents, transactions
  virtual std::optional<std::string> code_of_id_number(const std::string& id_number) = 0;
  // The next number of `agency`'s customer codes (1, 2, ...).
  virtual std::int64_t next_number(const std::string& agency) = 0;
  virtual void insert(const Profile& p, TimePoint now) = 0;
  // false when there is no such e-profile.
  virtual bool renew(const std::string& customer_code, TimePoint valid_until, TimePoint now) = 0;
  // Kept once per (customer, code, file): adding the same again changes nothing.
  virtual void add_document(const ProfileDocument& doc) = 0;
  virtual std::vector<ProfileDocument> documents(const std::string& customer_code) = 0;
};

// Procedure versions as imported (the catalogue's JSON of each version is what is kept: rules a dossier was
// received under never change under it).
class ProcedureRepository {
 public:
  virtual ~ProcedureRepository() = default;
  virtual std::optional<Procedure> version(const std::string& code, int version) = 0;
  // The latest version whose effective date is `day` or before.
  virtual std::optional<Procedure> in_force(const std::string& code, Date day) = 0;
  // The latest version of each, by code.
  virtual std::vector<Procedure> latest() = 0;
  // Every version of one procedure with when it was imported, newest first.
  virtual std::vector<ImportedProcedure> versions(const std::string& code) = 0;
  virtual void insert(const Procedure& p, TimePoint now) = 0;
};

// Accounts of the API (only a token's SHA-256 is kept).
class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual bool exists(const std::string& username) = 0;
  virtual void insert(const UserAccount& u, const std::string& token_sha256, TimePoint now) = 0;
  virtual std::optional<UserAccount> by_token(const std::string& token_sha256) = 0;
  virtual std::vector<UserAccount> all() = 0;  // by user name
  virtual std::optional<UserAccount> find(const std::string& username) = 0;
  // Sets the account's signing identity (both values as given; nullopt clears).
  virtual void bind(const std::string& username, const std::optional<std::string>& certificate_sha256,
                    const std::optional<std::string>& cccd) = 0;

  // Results prepared for signing. Expired ones are deleted by purge_expired; `take` deletes one and says whether
  // it was there (two completes of one prepare: one wins).
  virtual void add_prepared(const PreparedResult& p) = 0;
  virtual std::optional<PreparedResult> prepared(const std::string& id) = 0;
  virtual bool take_prepared(const std::string& id) = 0;
  virtual int pending_prepared(const std::string& username, TimePoint now) = 0;
  virtual void purge_expired_prepared(TimePoint now) = 0;
};

// Uploaded files, the uploads counted against quotas, and who may see a file.
class UploadRepository {
 public:
  virtual ~UploadRepository() = default;
  struct FileInfo {
    std::string media_type;
    std::int64_t size = 0;
  };
  virtual std::optional<FileInfo> file(const std::string& sha256) = 0;
  // Records the file (once) and the upload (every time).
  virtual void record_upload(const std::string& sha256, const std::string& media_type, std::int64_t size,
                             const std::string& username, const std::string& unit, TimePoint at) = 0;
  struct Usage {
    std::int64_t files = 0, bytes = 0;
  };
  virtual Usage uploaded_since(const std::string& username, TimePoint since) = 0;
  // Whether the file was uploaded by `username` or is kept in the e-profile `customer_code`.
  virtual bool citizen_may_see(const std::string& sha256, const std::string& username,
                               const std::string& customer_code) = 0;
  // Whether the file was uploaded by an account of `unit`, or a dossier or e-profile of `unit` references it.
  virtual bool unit_may_see(const std::string& sha256, const std::string& unit) = 0;
  // Files created before `cutoff`, not uploaded again since, referenced by no dossier or e-profile: forgotten
  // (at most 10000 per call) and returned; uploads recorded before `uploads_before` are forgotten too.
  virtual std::vector<std::string> forget_unused(TimePoint cutoff, TimePoint uploads_before) = 0;
  // The id of the data folder (files/, file-link.key) that every office instance on this database must share:
  // `id` is recorded when none is yet. Returns the recorded id, and whether this call recorded it.
  virtual std::pair<std::string, bool> data_folder_id(const std::string& id) = 0;
};

// The national portal's outbox.
class PortalOutboxRepository {
 public:
  virtual ~PortalOutboxRepository() = default;
  virtual void append(const std::string& dossier_code, const std::string& service, const nlohmann::json& record,
                      TimePoint at) = 0;
  // After id `after_id`, oldest first, at most `limit`; `agency` (not empty): only its dossiers' records.
  virtual std::vector<PortalRecord> after(std::int64_t after_id, int limit, const std::string& agency) = 0;
};

// Messages for the bus (sent in order per conversation) and the deliveries received from it.
class BusOutboxRepository {
 public:
  virtual ~BusOutboxRepository() = default;
  // Queues a message due at `at`; a message id already queued is ignored.
  virtual void enqueue(const std::string& service, const std::string& message_id, const std::string& conversation_id,
                       const nlohmann::json& payload, TimePoint at) = 0;
  // One more than the highest id ever queued (ids are never reused: the outbox is never pruned).
  virtual std::int64_t next_id() = 0;
  // Due at `now`, unsent, and the oldest unsent of their conversation: at most `limit`, oldest first.
  virtual std::vector<BusOutboxEntry> due(TimePoint now, int limit) = 0;
  // The same, less those another sender holds a claim on until after `now`, claimed for `owner` until
  // `claimed_until`: several office instances on one database each send a message only while they hold its
  // claim, and a dead instance's claims lapse so another takes its messages over (in a write unit).
  virtual std::vector<BusOutboxEntry> claim_due(TimePoint now, int limit, const std::string& owner,
                                                TimePoint claimed_until) = 0;
  virtual std::optional<BusOutboxEntry> find(std::int64_t id) = 0;
  // Both end the message's claim.
  virtual void mark_sent(std::int64_t id, TimePoint at) = 0;
  virtual void mark_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at) = 0;
  // After id `after_id`, oldest first, at most `limit`; pending: unsent only; `agency`: its dossiers' only.
  virtual std::vector<BusOutboxEntry> after(bool pending_only, std::int64_t after_id, int limit,
                                            const std::string& agency) = 0;

  // The bus inbox: a delivery is done once, by message id.
  virtual bool received(const std::string& message_id) = 0;
  virtual void record_received(const std::string& message_id, const std::string& kind, const std::string& client,
                               TimePoint at, const nlohmann::json& payload, const nlohmann::json& outcome) = 0;
};

// Web sign-in: password hashes, cookie sessions, token sign-in challenges, the notification outbox and the
// clients' request ids that make a double submit file one dossier (docs/onestop.md, "Web sessions").
class WebRepository {
 public:
  virtual ~WebRepository() = default;
  // The Argon2id hash (PHC string) of an account's password; set_password replaces it.
  virtual std::optional<std::string> password_hash(const std::string& username) = 0;
  virtual void set_password(const std::string& username, const std::string& hash, TimePoint now) = 0;
  // The citizen account linked to an e-profile, if any.
  virtual std::optional<std::string> citizen_account(const std::string& customer_code) = 0;

  virtual void add_session(const WebSession& s) = 0;
  virtual std::optional<WebSession> session(const std::string& id_sha256) = 0;
  virtual void touch_session(const std::string& id_sha256, TimePoint at) = 0;
  virtual bool end_session(const std::string& id_sha256) = 0;
  virtual int end_sessions_of(const std::string& username) = 0;
  // Keeps the newest `keep` sessions of the account, ends the others.
  virtual void cap_sessions(const std::string& username, int keep) = 0;
  // Ends sessions last seen before `idle_before` or created before `created_before`; returns how many.
  virtual int sweep_sessions(TimePoint idle_before, TimePoint created_before) = 0;

  virtual void add_challenge(const WebChallenge& c) = 0;
  // Deletes and returns the challenge (used once).
  virtual std::optional<WebChallenge> take_challenge(const std::string& id) = 0;
  virtual int count_challenges(TimePoint now) = 0;
  virtual void sweep_challenges(TimePoint now) = 0;

  // The notification outbox.
  virtual std::int64_t add_notification(const Notification& n) = 0;
  // Due, pending and unclaimed (or with a lapsed claim) at `now`, claimed for `owner` until `claimed_until`.
  virtual std::vector<Notification> claim_notifications(TimePoint now, int limit, const std::string& owner,
                                                        TimePoint claimed_until) = 0;
  virtual void mark_notification_sent(std::int64_t id, TimePoint at) = 0;
  // A failed attempt: retried at `next_attempt_at`, or given up (status failed) when `give_up`.
  virtual void mark_notification_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at,
                                        bool give_up) = 0;
  virtual std::vector<Notification> notifications(const std::string& dossier_code, int limit) = 0;
  virtual std::vector<Notification> notifications_by_id(std::int64_t id) = 0;  // the one row, or none

  // A client's request id (Idempotency-Key) for a filed dossier: the dossier it filed, if any.
  virtual std::optional<std::string> dossier_of_request(const std::string& key) = 0;
  virtual void record_request(const std::string& key, const std::string& dossier_code, TimePoint at) = 0;
  // Forgets request ids recorded before `before` (a double submit comes within seconds, not days).
  virtual void sweep_requests(TimePoint before) = 0;
};

// The repositories of one unit of work.
class OfficeRepositories {
 public:
  virtual ~OfficeRepositories() = default;
  virtual DossierRepository& dossiers() = 0;
  virtual ProfileRepository& profiles() = 0;
  virtual ProcedureRepository& procedures() = 0;
  virtual UserRepository& users() = 0;
  virtual UploadRepository& uploads() = 0;
  virtual PortalOutboxRepository& portal_outbox() = 0;
  virtual BusOutboxRepository& bus_outbox() = 0;
  virtual WebRepository& web() = 0;
  // Called first in a write unit: makes it the only unit writing the office's data until it commits, across
  // every office instance on the database (SQLite: already so; PostgreSQL: an advisory lock), so that what a
  // unit read stays true until its change commits.
  virtual void exclusive() = 0;
};

// The SQLite backend's repositories over a unit of work of open_onestop_store()'s store.
std::unique_ptr<OfficeRepositories> sqlite_repositories(bus::Transaction& tx);
// The repositories for the transaction's backend (Transaction::backend()): SQLite or PostgreSQL.
std::unique_ptr<OfficeRepositories> office_repositories(bus::Transaction& tx);

}  // namespace lgsp::onestop
