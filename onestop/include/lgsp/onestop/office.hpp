// The one-stop office: the application core behind the /onestop/v1 API and the `lgsp onestop` commands.
// Every change is one store unit, exclusive (SQLite's one writer; on PostgreSQL an advisory lock every instance
// on the database takes: OfficeRepositories::exclusive), so a status check and the change it allows can never
// interleave with another official's change to the same dossier, on this instance or another. It takes and returns
// typed values (records.hpp); the API maps them to and from the JSON shapes docs/onestop.md describes (api_json.hpp).
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/calendar.hpp"
#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/dossier_code.hpp"
#include "lgsp/onestop/dossier_status.hpp"
#include "lgsp/onestop/errors.hpp"
#include "lgsp/onestop/file_store.hpp"
#include "lgsp/onestop/procedure.hpp"
#include "lgsp/onestop/records.hpp"
#include "lgsp/onestop/repositories.hpp"
#include "lgsp/onestop/web_records.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop {

// A bus message the office wants sent (written to the outbox in the same unit as the change that causes it).
struct OutgoingMessage {
  std::string service;  // "<agency>/MOTCUA/onestop.submission/v1", ...
  std::string message_id;
  std::string conversation_id;  // the dossier code: messages about one dossier are delivered in order
  nlohmann::json payload;
};

// The service ids other offices receive on, by kind ("submission", "status", "result").
std::string onestop_service(const std::string& agency, const std::string& kind);

// What is wrong with an e-profile's identity, every problem at once, in field order: [{path, message}] (empty:
// nothing). The rules of an identity (required fields, a 12-digit ID number, a date, a phone number...).
nlohmann::json identity_problems(const CitizenIdentity& identity);

class OneStopOffice {
 public:
  using Now = std::function<TimePoint()>;
  OneStopOffice(
      bus::Store& store, FileStore& files, WorkingCalendar calendar, AgencyConfig agency,
      Now now = [] { return Clock::now(); });

  const AgencyConfig& agency() const { return agency_; }
  // Whether a bus link sends the outbox (a step at another agency cannot be handed over without one).
  void set_bus_connected(bool connected) { bus_connected_ = connected; }
  const WorkingCalendar& calendar() const { return calendar_; }
  FileStore& files() { return files_; }
  bus::Store& store() { return store_; }
  TimePoint now() const { return now_(); }

  // An uploaded document (applicants: PDF, Word, TIFF, JPEG only), stored content-addressed and recorded
  // against the account's quota (429 LGSP-429-ONESTOP-QUOTA past it).
  StoredFile upload(const Actor& actor, std::string_view bytes, const std::string& declared_type);
  void set_upload_limits(const UploadConfig& limits) { uploads_ = limits; }
  // Whether `actor` may read the stored file: it belongs to their unit (a dossier or e-profile of the unit uses
  // it, or an account of the unit uploaded it), or they have the province scope. See access.hpp.
  bool may_read_file(const Actor& actor, const std::string& sha256) const;
  // Deletes uploaded files no dossier and no e-profile references and that nobody uploaded for
  // `max_age`; returns how many. Upload records older than the quota window and `max_age` go too.
  std::size_t sweep_unused_files(std::chrono::seconds max_age);

  // --- users (users.cpp) ----------------------------------------------------------------------------------
  // Creates a user and returns its API token (shown once; only its SHA-256 is kept).
  std::string add_user(const std::string& username, Role role, const std::string& unit, const std::string& name,
                       const std::string& title, const std::string& customer_code = "", Scope scope = Scope::kUnit);
  std::optional<Actor> authenticate(const std::string& token) const;
  std::vector<UserAccount> list_users() const;
  std::optional<UserAccount> user(const std::string& username) const;
  // Binds an official's signing identity to their account (docs/onestop.md, "Binding an official's certificate"):
  // the SHA-256 (64 hex) of their certificate's DER and/or their CCCD number (12 digits). nullopt leaves a value
  // as it is; an empty string clears it. Throws OnestopError (404 no such user, 400 malformed, citizen accounts).
  void bind_certificate(const std::string& username, const std::optional<std::string>& certificate_sha256,
                        const std::optional<std::string>& cccd);
  // Results prepared for an official's signature: at most `max_pending` unexpired per user (429 beyond).
  void add_prepared_result(const PreparedResult& p, int max_pending);
  std::optional<PreparedResult> prepared_result(const std::string& id) const;
  bool take_prepared_result(const std::string& id);

  // --- web accounts, sessions and challenges (web.cpp; docs/onestop.md, "Web sessions") -------------------------
  // A citizen's sign-up: the account (user name: the normalised phone) linked to the e-profile of `identity`'s ID
  // number (its name and date of birth must match) or to a new e-profile made from `identity`; `password_hash`
  // is the Argon2id hash. Throws 409 kAccountExists (phone or e-profile already has an account), 409 kConflict
  // (the e-profile's name or date of birth differ).
  Actor sign_up(const CitizenIdentity& identity, const std::string& password_hash);
  // The account as an Actor (nullopt: no such user).
  std::optional<Actor> actor_of(const std::string& username) const;
  std::optional<std::string> password_hash(const std::string& username) const;
  // Sets an account's password hash (`lgsp onestop user password`); throws 404 when there is no such user.
  void set_password(const std::string& username, const std::string& hash);
  // Opens a session (keeping at most `max_sessions` of the account: the oldest end).
  void open_session(const WebSession& s, int max_sessions);
  std::optional<WebSession> web_session(const std::string& id_sha256) const;
  void touch_session(const std::string& id_sha256);
  bool end_session(const std::string& id_sha256);
  int end_sessions_of(const std::string& username);
  // Ends expired sessions and challenges, forgets request ids older than a day; returns how many sessions ended.
  int sweep_web(std::chrono::seconds idle, std::chrono::seconds max_age);
  // A new challenge, unless `max_open` unexpired ones are waiting already (then false).
  bool add_challenge(const WebChallenge& c, int max_open);
  std::optional<WebChallenge> take_challenge(const std::string& id);

  // The applicant's supplement (POST /dossiers/{code}/supplement): while the dossier waits for it, its citizen
  // (or the receiving desk) records the documents; the desk then confirms with the supplement_received action.
  Dossier submit_supplement(const Actor& actor, const std::string& code, const std::vector<SupplementDocument>& docs,
                            const std::string& note);
  // The work queues of `actor`'s role (GET /queues): name, count and the list filter, overdue first.
  nlohmann::json queues(const Actor& actor) const;

  // --- notifications (notify.cpp; docs/onestop.md, "Notifications") ------------------------------------------
  // Due notifications claimed for `owner` for `lease`, and their outcome.
  std::vector<Notification> claim_notifications(int limit, const std::string& owner, std::chrono::seconds lease);
  void mark_notification(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry,
                         int max_attempts);
  // The outbox rows of a dossier `actor` may read (admins and officials of its unit).
  std::vector<Notification> notifications(const Actor& actor, const std::string& dossier_code) const;
  // Where to send notifications: set by the server from [notify] (none set: nothing is queued).
  void set_notify_channels(bool email, bool sms, std::string lookup_url) {
    notify_email_ = email;
    notify_sms_ = sms;
    notify_lookup_url_ = std::move(lookup_url);
  }

  // --- procedures (procedures_store.cpp) -------------------------------------------------------------------
  // Imports every procedure version; a version already imported with the same rules is skipped, with other
  // rules refused (bump the version).
  ImportSummary import_procedures(const std::vector<Procedure>& procedures);
  // The version in force for something received on `day` (the latest whose effective date has come).
  std::optional<Procedure> procedure(const std::string& code, std::optional<Date> day = std::nullopt) const;
  std::optional<Procedure> procedure_version(const std::string& code, int version) const;
  std::vector<Procedure> procedures() const;  // the latest version of each
  // Every version of one procedure, newest first, with when each was imported (empty: no such procedure).
  std::vector<ImportedProcedure> procedure_versions(const std::string& code) const;

  // --- citizen e-profiles (profiles.cpp) ----------------------------------------------------------------------
  // Checks the identity (every problem at once, as field errors) and creates the e-profile.
  Profile create_profile(const Actor& actor, const CitizenIdentity& identity);
  Profile profile(const Actor& actor, const std::string& customer_code) const;
  // The e-profile of a citizen ID number (12 digits), for an official at the counter; 404 when there is none.
  Profile profile_of_id_number(const Actor& actor, const std::string& id_number) const;
  Profile renew_profile(const Actor& actor, const std::string& customer_code);
  // Keeps an uploaded file (`document.sha256`) in the e-profile as `document.code` / `document.name`.
  Profile add_profile_document(const Actor& actor, const std::string& customer_code, const ProfileDocument& document);

  // --- dossiers (dossiers.cpp) -----------------------------------------------------------------------------
  // Files a dossier (received_at: receiving officers entering a dossier received on paper earlier). In person
  // and postal dossiers filed by a receiving officer are accepted at once (2); online ones by a citizen start
  // new (1).
  Dossier file_dossier(const Actor& actor, const FilingRequest& request);
  // One action of the status table, with what the action needs in `input` (reasons, items, documents...).
  Dossier act(const Actor& actor, const std::string& code, const std::string& action, const ActionInput& input);
  // Hands the dossier from its current step to the next one (form 06 row); a next step at another agency
  // is sent there over the bus.
  Dossier hand_over(const Actor& actor, const std::string& code, const HandOverInput& input = {});
  // Apology + new appointment (form 04): the only way a due time moves; the original is kept for reports.
  Dossier extend(const Actor& actor, const std::string& code, const ExtensionRequest& input);
  // Records a form issued for the dossier (the PDF and, when sealed, its detached seal), kind "form".
  Dossier add_form(const Actor& actor, const std::string& code, const DossierDocument& document);
  // What a result came with, recorded in the history just before it in the same unit (an extract received from the
  // civil-status registry).
  struct ResultOrigin {
    std::string action, comment;
    nlohmann::json details;
  };
  // Records a signed result document (the signing is done by the caller, see ResultSigner).
  Dossier add_result(const Actor& actor, const std::string& code, const DossierDocument& document,
                     const std::optional<ResultOrigin>& origin = std::nullopt);
  // What a result may be added to now: throws as add_result would (404/403 for the actor, 409 for the status or
  // the unit the dossier is at) and returns the dossier. The API calls it before a token signs anything, so a
  // signature is never made for a dossier that cannot take it; add_result checks the same again, in its unit.
  DossierRecord check_may_add_result(const Actor& actor, const std::string& code) const;
  // Records in the dossier's history what happened without changing its status (an extract the civil-status
  // registry refused, a document that failed its checks): checked as add_result would be.
  void note(const Actor& actor, const std::string& code, const std::string& action, const std::string& comment,
            const nlohmann::json& details);

  // The dossier as `actor` may see it; `allowed_actions` lists what `offered_to` (default: the actor's role) may
  // do now, exactly what act() would accept from that role.
  Dossier dossier(const Actor& actor, const std::string& code, std::optional<Role> offered_to = std::nullopt) const;
  // Throws 404 when `actor` may not see the dossier and 403 when they see it but may not change it (another
  // unit's, seen with the province scope): checked before work that cannot be undone (a signature, a seal).
  void check_may_act(const Actor& actor, const std::string& code) const;
  // At most 500, newest first.
  std::vector<DossierSummary> list_dossiers(const Actor& actor, const DossierFilter& filter = {}) const;
  // Public: status, due time and current unit, no personal data. nullopt when there is no such dossier.
  std::optional<LookupView> lookup(const std::string& code) const;
  // Checks the second factor (ID number or phone) and returns the result documents; nullopt when the code
  // and factor do not match (the caller counts failures).
  std::optional<ResultFiles> results_for(const std::string& code, const std::string& second_factor) const;
  // Data for the forms (01..06) of a dossier.
  FormData form_data(const std::string& code) const;
  // Dossiers received in [from, to) for the register (form 07) and the report. `unit` empty: every unit (the
  // API passes the account's own unit unless it has the province scope).
  std::vector<RegisterRow> register_rows(TimePoint from, TimePoint to, const std::string& unit) const;
  // The report leaders are judged on (see `lgsp onestop report`).
  Report report(TimePoint from, TimePoint to, const std::string& unit) const;

  // --- the national portal outbox and the bus (interagency.cpp) ---------------------------------------------
  // DVCQG-shaped records (DongBoHoSoMC / CapNhatTienDoHoSoMC) after `after_id`, oldest first.
  // `unit` (not empty): only the records of that unit's dossiers.
  std::vector<PortalRecord> portal_outbox(std::int64_t after_id, int limit, const std::string& unit = "") const;
  // The media type of `sha256` when it is a document listed in a record for the portal (what a signed file
  // link may serve); nullopt otherwise.
  std::optional<std::string> portal_file(const std::string& sha256) const;
  // Messages waiting to be sent to the bus, whose time has come.
  std::vector<std::pair<std::int64_t, OutgoingMessage>> due_bus_messages(int limit) const;
  // The same, claimed for `owner` for `lease` (the bus sender): another office instance on the same database
  // does not take them until they are marked (mark_bus_message ends the claim) or the lease lapses (the owner
  // died), so each message is sent by one instance at a time, and in order per conversation.
  std::vector<std::pair<std::int64_t, OutgoingMessage>> claim_bus_messages(int limit, const std::string& owner,
                                                                           std::chrono::seconds lease);
  // A failed send is tried again after `retry` doubled per earlier failure (at most an hour), so a message the
  // bus keeps refusing neither floods the node nor is dropped: it stays visible in bus_outbox().
  void mark_bus_message(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry);
  // The messages for the bus (pending only: not yet accepted), with attempts and the last error,
  // oldest first: at most `limit` after id `after_id`.
  std::vector<BusOutboxEntry> bus_outbox(bool pending_only, std::int64_t after_id = 0, int limit = 100,
                                         const std::string& unit = "") const;
  // A delivery from the bus (already authenticated by its seal): "submission", "status" or "result".
  // Idempotent by message id. Returns what was done. The payload is the contract's message (onestop.*@v1).
  ReceiveOutcome receive(const std::string& kind, const std::string& message_id, const std::string& client,
                         const nlohmann::json& payload);

 private:
  // One unit of work of the store, through the repositories (changes: durable when write returns).
  void write(const std::function<void(OfficeRepositories&)>& work);
  void read(const std::function<void(OfficeRepositories&)>& work) const;
  // The office itself, reading what it has just changed.
  Actor module_actor() const;

  bus::Store& store_;
  std::function<std::unique_ptr<OfficeRepositories>(bus::Transaction&)> repositories_;
  FileStore& files_;
  WorkingCalendar calendar_;
  AgencyConfig agency_;
  DossierCodePattern code_pattern_;
  Now now_;
  bool bus_connected_ = false;
  UploadConfig uploads_;
  // Uploads and the sweep of unused files take turns: a file the sweep is deleting cannot be uploaded again
  // (and acknowledged) between the sweep's database change and its removal of the bytes.
  std::mutex files_mutex_;

  bool notify_email_ = false, notify_sms_ = false;
  std::string notify_lookup_url_;
  // Queues the notifications of `kind` (received, supplement, result) about dossier `d` to its applicant's phone
  // and e-mail, in the unit of work of the change that causes them.
  void queue_notifications(OfficeRepositories& r, const DossierRecord& d, const std::string& kind, TimePoint at);
  // The next customer code of this office (KH-<agency>-<7 digits>).
  std::string next_customer_code(OfficeRepositories& r);

  // The one rule for adding a result: who may, at which status, where the dossier is (throws when not).
  void check_result_allowed(const Actor& actor, const DossierRecord& d) const;
};

}  // namespace lgsp::onestop
