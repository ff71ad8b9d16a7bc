// The one-stop office: the application core behind the /onestop/v1 API and the `lgsp onestop` commands.
// Every change is one store unit (SQLite group commit, one writer), so a status check and the change it
// allows can never interleave with another official's change to the same dossier. Views are JSON objects,
// the shapes docs/onestop.md describes.
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
  nlohmann::json list_users() const;

  // --- procedures (procedures_store.cpp) -------------------------------------------------------------------
  // Imports every procedure version; a version already imported with the same rules is skipped, with other
  // rules refused (bump the version). Returns {"imported": n, "unchanged": n}.
  nlohmann::json import_procedures(const std::vector<Procedure>& procedures);
  // The version in force for something received on `day` (the latest whose effective date has come).
  std::optional<Procedure> procedure(const std::string& code, std::optional<Date> day = std::nullopt) const;
  std::optional<Procedure> procedure_version(const std::string& code, int version) const;
  std::vector<Procedure> procedures() const;  // the latest version of each

  // --- citizen e-profiles (profiles.cpp) ----------------------------------------------------------------------
  nlohmann::json create_profile(const Actor& actor, const nlohmann::json& identity);
  nlohmann::json profile(const Actor& actor, const std::string& customer_code) const;
  nlohmann::json renew_profile(const Actor& actor, const std::string& customer_code);
  nlohmann::json add_profile_document(const Actor& actor, const std::string& customer_code,
                                      const nlohmann::json& document);

  // --- dossiers (dossiers.cpp) -----------------------------------------------------------------------------
  // Files a dossier: {procedure_code, customer_code, channel, documents: [{code, sha256, name?}], note?,
  // received_at? (receiving officers entering a dossier received on paper earlier)}. In person and postal
  // dossiers filed by a receiving officer are accepted at once (2); online ones by a citizen start new (1).
  nlohmann::json file_dossier(const Actor& actor, const nlohmann::json& request);
  // One action of the status table, with what the action needs in `input` (reasons, items, documents...).
  nlohmann::json act(const Actor& actor, const std::string& code, const std::string& action,
                     const nlohmann::json& input);
  // Hands the dossier from its current step to the next one (form 06 row); a next step at another agency
  // is sent there over the bus.
  nlohmann::json hand_over(const Actor& actor, const std::string& code, const nlohmann::json& input);
  // Apology + new appointment (form 04): the only way a due time moves; the original is kept for reports.
  nlohmann::json extend(const Actor& actor, const std::string& code, const nlohmann::json& input);
  // Records a form issued for the dossier (the PDF and, when sealed, its detached seal), kind "form".
  nlohmann::json add_form(const Actor& actor, const std::string& code, const nlohmann::json& document);
  // Records a signed result document (the signing is done by the caller, see ResultSigner).
  nlohmann::json add_result(const Actor& actor, const std::string& code, const nlohmann::json& document);

  // The dossier as `actor` may see it; `allowed_actions` lists what `offered_to` (default: the actor's role) may
  // do now, exactly what act() would accept from that role.
  nlohmann::json dossier(const Actor& actor, const std::string& code,
                         std::optional<Role> offered_to = std::nullopt) const;
  // Throws 404 when `actor` may not see the dossier and 403 when they see it but may not change it (another
  // unit's, seen with the province scope): checked before work that cannot be undone (a signature, a seal).
  void check_may_act(const Actor& actor, const std::string& code) const;
  nlohmann::json list_dossiers(const Actor& actor, const nlohmann::json& filter) const;
  // Public: status, due time and current unit, no personal data. nullopt when there is no such dossier.
  std::optional<nlohmann::json> lookup(const std::string& code) const;
  // Checks the second factor (ID number or phone) and returns the result documents; nullopt when the code
  // and factor do not match (the caller counts failures).
  std::optional<nlohmann::json> results_for(const std::string& code, const std::string& second_factor) const;
  // Data for the forms (01..06) of a dossier.
  nlohmann::json form_data(const std::string& code) const;
  // Dossiers received in [from, to) for the register (form 07) and the report. `unit` empty: every unit (the
  // API passes the account's own unit unless it has the province scope).
  nlohmann::json register_rows(TimePoint from, TimePoint to, const std::string& unit) const;
  // The report leaders are judged on (see `lgsp onestop report`).
  nlohmann::json report(TimePoint from, TimePoint to, const std::string& unit) const;

  // --- the national portal outbox and the bus (interagency.cpp) ---------------------------------------------
  // DVCQG-shaped records (DongBoHoSoMC / CapNhatTienDoHoSoMC) after `after_id`, oldest first.
  // `unit` (not empty): only the records of that unit's dossiers.
  nlohmann::json portal_outbox(std::int64_t after_id, int limit, const std::string& unit = "") const;
  // The media type of `sha256` when it is a document listed in a record for the portal (what a signed file
  // link may serve); nullopt otherwise.
  std::optional<std::string> portal_file(const std::string& sha256) const;
  // Messages waiting to be sent to the bus, whose time has come.
  std::vector<std::pair<std::int64_t, OutgoingMessage>> due_bus_messages(int limit) const;
  // A failed send is tried again after `retry` doubled per earlier failure (at most an hour), so a message the
  // bus keeps refusing neither floods the node nor is dropped: it stays visible in bus_outbox().
  void mark_bus_message(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry);
  // The messages for the bus (pending only: not yet accepted), with attempts and the last error,
  // oldest first: at most `limit` after id `after_id`.
  nlohmann::json bus_outbox(bool pending_only, std::int64_t after_id = 0, int limit = 100,
                            const std::string& unit = "") const;
  // A delivery from the bus (already authenticated by its seal): "submission", "status" or "result".
  // Idempotent by message id. Returns what was done.
  nlohmann::json receive(const std::string& kind, const std::string& message_id, const std::string& client,
                         const nlohmann::json& payload);

 private:
  bus::Store& store_;
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
};

}  // namespace lgsp::onestop
