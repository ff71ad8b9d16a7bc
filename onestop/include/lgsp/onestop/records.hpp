// The typed values the one-stop office takes and returns: dossiers and their parts, e-profiles, accounts, the
// outboxes, reports. The API (api_json.hpp) maps them to and from the JSON shapes docs/onestop.md describes; the
// repositories (repositories.hpp) store them. Kept in one header because they are one vocabulary: a Dossier is
// made of DossierSteps, DossierDocuments and HistoryEntries, and every repository and view speaks of them.
#pragma once

#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/calendar.hpp"
#include "lgsp/onestop/dossier_status.hpp"
#include "lgsp/onestop/local_time.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop {

// --- dossiers ----------------------------------------------------------------------------------------------------

// A dossier's own facts as the store keeps them (no steps, documents or history).
struct DossierRecord {
  std::string code{};
  std::string agency{};         // the office that holds this record
  std::string origin_agency{};  // the office that received it from the applicant (== agency unless inter-agency)
  std::string procedure_code{};
  int procedure_version = 0;
  std::string procedure_name{};
  std::string customer_code{};  // empty for a dossier another agency sent (its numbering means nothing here)
  // A snapshot of the applicant's data when filed (the e-profile's identity plus customer_code, or what another
  // agency sent): kept as given, because a later change of the e-profile does not change a filed dossier.
  nlohmann::json applicant = nlohmann::json::object();
  int channel = 1;
  DossierStatus status = DossierStatus::kNew;
  // The statuses a dossier was paused from (5 supplement, 6 payment, 7 withdrawal), innermost last: a
  // withdrawal asked while waiting for a supplement resumes to 5, and the supplement then to what was before.
  std::vector<int> pause_stack{};
  TimePoint received_at{}, due_at{}, original_due_at{};
  std::optional<TimePoint> finished_at{}, delivered_at{};
  int current_step = 1;
  std::string current_unit{};
  std::string received_by{};
  int extensions = 0;
  // The applicant's second factors for the result download (kept in their own columns).
  std::string id_number{}, phone{};
  bool incoming() const { return origin_agency != agency; }
};

// One step of a dossier's process (form 06 row).
struct DossierStep {
  int index = 0;
  std::string name{}, unit{}, unit_name{};
  std::string role{};  // who acts on it here: receiving, processing, leader; empty: any official
  TimePoint due_at{};
  std::optional<TimePoint> started_at{}, finished_at{};
  std::string handed_by{}, received_by{};
  std::string result{};  // timeliness when finished: early, on_time, late
  bool overdue = false;  // views only: started, not finished, and now past due_at
};

// A document kept with a dossier: submitted, supplement, form, result, remote_result.
struct DossierDocument {
  int seq = 0;  // set by the store
  std::string kind{};
  std::string code{}, name{}, sha256{}, media_type{};
  std::int64_t size = 0;
  TimePoint added_at{};  // set by the store
  std::optional<std::string> signature_format{}, signature_sha256{}, signer{}, url{}, seal_sha256{}, sealer{};
};

// One entry of a dossier's process history.
struct HistoryEntry {
  TimePoint at{};
  std::string actor{}, title{}, role{}, unit{}, action{}, comment{};
  std::optional<int> from_status{}, to_status{}, step{};
  // What the action carried (reasons, items, amounts, the remote outcome...): an audit record whose fields
  // differ per action, kept as written.
  nlohmann::json details{};  // null when none
};

// A dossier as an account may see it (GET /dossiers/{code}).
struct Dossier : DossierRecord {
  std::vector<std::string> allowed_actions{};
  bool overdue = false;                    // not finished: now past due_at
  std::optional<Timeliness> timeliness{};  // finished: against the original due time
  std::vector<DossierStep> steps{};
  std::vector<DossierDocument> documents{};
  std::vector<HistoryEntry> history{};
};

// One line of a dossier list (GET /dossiers).
struct DossierSummary {
  std::string code{}, procedure_code{}, procedure_name{};
  DossierStatus status = DossierStatus::kNew;
  TimePoint received_at{}, due_at{};
  std::optional<TimePoint> finished_at{};
  std::string current_unit{}, applicant_name{};
  bool overdue = false;
};

// What a dossier list may be narrowed to; never widens the account's own scope.
struct DossierFilter {
  std::optional<int> status{};                 // a status code 1..10 (another matches nothing)
  std::optional<std::string> unit{};           // current unit
  std::optional<std::string> customer_code{};  // ignored for citizens (they see their own)
  // The officials' work queues (GET /queues names each by these):
  std::optional<TimePoint> overdue_at{};   // open, its clock running (not paused), and due before this time
  std::optional<std::string> away_from{};  // its current unit is not this one: at another agency
  std::optional<std::string>
      step_role{};  // its current step is this role's (receiving, processing, leader) or any official's
};

// The public lookup: status, due time and current unit, no personal data.
struct LookupView {
  std::string code{}, procedure_name{};
  DossierStatus status = DossierStatus::kNew;
  TimePoint received_at{}, due_at{};
  std::optional<TimePoint> finished_at{};
  std::string current_unit{}, current_unit_name{};
  bool overdue = false;
  // The timeline: each step's name, unit and times, and whether it was early, on time or late; to_json leaves out
  // who handed it over and received it (the lookup shows no personal data).
  std::vector<DossierStep> steps{};
};

// The result documents an applicant downloads with the second factor.
struct ResultFiles {
  std::string code{};
  DossierStatus status = DossierStatus::kNew;
  std::vector<DossierDocument> results{};  // empty until the dossier is finished
};

// A document named in a filing: a code of the procedure's list and an uploaded file.
struct FiledDocument {
  std::string code{}, sha256{};
  std::optional<std::string> name{};  // default: the procedure's name for that code
  // The request's entry named no document (no code or sha256): refused with the rest of the documents'
  // problems, at its place in the list.
  bool malformed = false;
};

struct FilingRequest {
  std::string procedure_code{};
  std::optional<std::string> customer_code{};  // officials: required; citizens: their own, if given
  std::optional<int> channel{};                // 1 in person, 2 online, 3 postal
  std::vector<FiledDocument> documents{};
  std::string note{};
  std::optional<TimePoint> received_at{};  // the desk entering a dossier received earlier on paper
  bool received_at_unreadable = false;     // given, but not an RFC 3339 time (refused after the role check)
  // The client's id of this request (Idempotency-Key header or client_request_id): filing again with the same id
  // from the same account files nothing and answers with the dossier filed the first time.
  std::string request_id{};
};

// A document supplemented by the applicant.
struct SupplementDocument {
  std::string sha256{};
  std::optional<std::string> code{}, name{};
};

// What one action of the status table carries; each action reads what it needs.
struct ActionInput {
  std::string comment{};
  std::vector<std::string> reasons{};           // refuse, stop
  std::vector<std::string> items{};             // request_supplement
  std::string reason{};                         // request_supplement, request_payment
  std::optional<std::int64_t> amount{};         // request_payment (VND)
  std::vector<SupplementDocument> documents{};  // resuming from a supplement
  // Why the request's documents cannot be read, if they cannot: refused only by an action that reads them.
  std::optional<std::string> documents_problem{};
};

struct HandOverInput {
  std::string comment{};
};

// An apology and new appointment (form 04): a new due time, or working days added.
struct ExtensionRequest {
  std::string reason{};
  std::optional<TimePoint> new_due_at{};
  bool new_due_at_unreadable = false;  // given, but not an RFC 3339 time (refused after the dossier's checks)
  std::optional<double> extra_working_days{};
};

// Data for the forms (01..06) of a dossier.
struct FormData {
  Dossier dossier{};
  std::optional<nlohmann::json> procedure_rules{};  // the procedure version's rules, as its catalogue has them
};

// One row of the register (form 07).
struct RegisterRow {
  std::string code{}, applicant_name{}, procedure_code{}, procedure_name{}, unit{};
  DossierStatus status = DossierStatus::kNew;
  TimePoint received_at{}, due_at{}, original_due_at{};
  std::optional<TimePoint> finished_at{};
  std::optional<Timeliness> timeliness{};  // finished: against the original due time
};

// The report leaders are judged on, per unit and procedure.
struct ReportLine {
  std::string unit{}, procedure_code{}, procedure_name{};
  long received = 0, early = 0, on_time = 0, late = 0, overdue_now = 0, in_progress = 0;
  long resolved() const { return early + on_time + late; }
  std::optional<double> on_time_rate() const {
    if (resolved() == 0) return std::nullopt;
    return double(early + on_time) / double(resolved());
  }
};
struct Report {
  TimePoint from{}, to{};
  std::string unit{};  // empty: every unit
  std::vector<ReportLine> lines{};
};

// --- citizen e-profiles ------------------------------------------------------------------------------------------

struct CitizenIdentity {
  std::string full_name{}, id_number{}, date_of_birth{}, gender{}, hometown{}, ethnicity{}, nationality{},
      permanent_address{};
  std::string phone{}, email{}, current_address{};  // optional: empty when not given
};
// The identity as e-profiles and dossiers store it (every field, empty when not given).
nlohmann::json identity_json(const CitizenIdentity& id);
CitizenIdentity identity_from_stored(const nlohmann::json& j);

// A document kept in an e-profile for reuse.
struct ProfileDocument {
  std::string customer_code{};
  std::string code{}, name{}, sha256{}, media_type{};
  std::int64_t size = 0;
  TimePoint added_at{};
};

// A dossier of the citizen, as their e-profile lists it.
struct ProfileTransaction {
  std::string dossier_code{}, procedure_code{}, procedure_name{};
  DossierStatus status = DossierStatus::kNew;
  TimePoint received_at{}, due_at{};
  std::optional<TimePoint> finished_at{};
};

struct Profile {
  std::string customer_code{};
  std::string unit{};  // the unit that keeps it
  CitizenIdentity identity{};
  TimePoint created_at{}, valid_until{};
  bool valid = false;  // views: valid_until is still ahead
  std::vector<ProfileDocument> documents{};
  std::vector<ProfileTransaction> transactions{};
};

// --- accounts and the catalogue ----------------------------------------------------------------------------------

struct UserAccount {
  std::string username{};
  Role role = Role::kCitizen;
  std::string unit{}, name{}, title{};
  std::optional<std::string> customer_code{};
  Scope scope = Scope::kUnit;
  // An official's signing identity: the SHA-256 (hex) of their certificate's DER, and/or their CCCD number, matched
  // against the certificate subject's UID=CCCD:<12 digits>. Results are signed only with a certificate bound so.
  std::optional<std::string> certificate_sha256{};
  std::optional<std::string> cccd{};
};

// A result PDF prepared for an official's signature (POST .../results/prepare), waiting for .../complete.
struct PreparedResult {
  std::string id;  // random, 32 hex
  std::string dossier_code, username, name, doc_code;
  std::string certificate_sha256;  // the certificate the PDF was prepared for
  std::string prepared;            // signing::PreparedPdf::serialise(), base64
  TimePoint created_at{}, expires_at{};
};

struct ImportSummary {
  int imported = 0, unchanged = 0;
};

// --- outboxes and the bus inbox ----------------------------------------------------------------------------------

// A record for the national portal (DongBoHoSoMC / CapNhatTienDoHoSoMC): its fields are DVCQG's contract.
struct PortalRecord {
  std::int64_t id = 0;
  TimePoint at{};
  std::string dossier_code{}, service{};
  nlohmann::json record{};
  std::optional<std::string> synced_at{};  // set by the sync job, as it writes it
};

// A message for the bus and how sending it went.
struct BusOutboxEntry {
  std::int64_t id = 0;
  std::string service{}, message_id{}, conversation_id{};
  nlohmann::json payload{};  // a contract's message (onestop.*@v1), sent as it is
  TimePoint created_at{}, next_attempt_at{};
  std::optional<TimePoint> sent_at{};
  std::int64_t attempts = 0;
  std::optional<std::string> last_error{};
};

// What a delivery from the bus did.
struct ReceiveOutcome {
  bool duplicate = false;  // the message id was received before: nothing done
  std::string dossier_code{};
  std::optional<bool> created{};         // submission: a new dossier (false: a later step of one we hold)
  bool recorded = false;                 // status: recorded in the history
  std::optional<int> step{};             // result: the step it finished
  std::optional<std::string> outcome{};  // result: approved, refused, stopped
};

}  // namespace lgsp::onestop
