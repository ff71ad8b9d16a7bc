#include "lgsp/onestop/api_json.hpp"

#include "lgsp/onestop/errors.hpp"
#include "lgsp/onestop/office.hpp"

#include <iterator>
#include <set>

namespace lgsp::onestop {
using nlohmann::json;

namespace {

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(format_local_rfc3339(*t)) : json(); }
json text_or_null(const std::optional<std::string>& s) { return s ? json(*s) : json(); }

}  // namespace

json status_json(DossierStatus s) {
  return {{"code", static_cast<int>(s)}, {"name", std::string(name_en(s))}, {"name_vi", std::string(name_vi(s))}};
}

json to_json(const DossierDocument& d) {
  json j = {{"seq", d.seq},       {"kind", d.kind},
            {"code", d.code},     {"name", d.name},
            {"sha256", d.sha256}, {"media_type", d.media_type},
            {"size", d.size},     {"added_at", format_local_rfc3339(d.added_at)}};
  if (d.signature_format) j["signature_format"] = *d.signature_format;
  if (d.signature_sha256) j["signature_sha256"] = *d.signature_sha256;
  if (d.signer) j["signer"] = *d.signer;
  if (d.url) j["url"] = *d.url;
  if (d.seal_sha256) j["seal_sha256"] = *d.seal_sha256;
  if (d.sealer) j["sealer"] = *d.sealer;
  return j;
}

json to_json(const HistoryEntry& h) {
  json j = {{"at", format_local_rfc3339(h.at)},
            {"actor", h.actor},
            {"title", h.title},
            {"role", h.role},
            {"unit", h.unit},
            {"action", h.action},
            {"comment", h.comment}};
  if (h.from_status) j["from_status"] = *h.from_status;
  if (h.to_status) j["to_status"] = *h.to_status;
  if (h.step) j["step"] = *h.step;
  if (!h.details.is_null()) j["details"] = h.details;
  return j;
}

json to_json(const DossierStep& s) {
  json j = {{"index", s.index},
            {"name", s.name},
            {"unit", s.unit},
            {"unit_name", s.unit_name},
            {"due_at", format_local_rfc3339(s.due_at)}};
  if (s.started_at) j["started_at"] = format_local_rfc3339(*s.started_at);
  if (s.finished_at) {
    j["finished_at"] = format_local_rfc3339(*s.finished_at);
    j["timeliness"] = s.result;
    j["handed_by"] = s.handed_by;
  } else if (s.started_at) {
    j["overdue"] = s.overdue;
  }
  return j;
}

json to_json(const Dossier& d) {
  json j = {{"code", d.code},
            {"agency", d.agency},
            {"origin_agency", d.origin_agency},
            {"procedure", {{"code", d.procedure_code}, {"version", d.procedure_version}, {"name", d.procedure_name}}},
            {"customer_code", d.customer_code},
            {"applicant", d.applicant},
            {"channel", d.channel},
            {"status", status_json(d.status)},
            {"received_at", format_local_rfc3339(d.received_at)},
            {"due_at", format_local_rfc3339(d.due_at)},
            {"original_due_at", format_local_rfc3339(d.original_due_at)},
            {"finished_at", time_or_null(d.finished_at)},
            {"delivered_at", time_or_null(d.delivered_at)},
            {"current_step", d.current_step},
            {"current_unit", d.current_unit},
            {"extensions", d.extensions},
            {"allowed_actions", d.allowed_actions}};
  if (d.timeliness)
    j["timeliness"] = to_string(*d.timeliness);
  else
    j["overdue"] = d.overdue;
  j["steps"] = to_json_array(d.steps);
  j["documents"] = to_json_array(d.documents);
  j["history"] = to_json_array(d.history);
  return j;
}

json to_json(const DossierSummary& d) {
  json j = {{"code", d.code},
            {"procedure_code", d.procedure_code},
            {"procedure_name", d.procedure_name},
            {"status", status_json(d.status)},
            {"received_at", format_local_rfc3339(d.received_at)},
            {"due_at", format_local_rfc3339(d.due_at)},
            {"current_unit", d.current_unit},
            {"applicant_name", d.applicant_name}};
  if (d.finished_at)
    j["finished_at"] = format_local_rfc3339(*d.finished_at);
  else
    j["overdue"] = d.overdue;
  return j;
}

json to_json(const LookupView& v) {
  json j = {{"code", v.code},
            {"procedure_name", v.procedure_name},
            {"status", status_json(v.status)},
            {"received_at", format_local_rfc3339(v.received_at)},
            {"due_at", format_local_rfc3339(v.due_at)},
            {"current_unit", v.current_unit},
            {"current_unit_name", v.current_unit_name}};
  json steps = json::array();
  for (const auto& s : v.steps) {
    json step = {{"index", s.index},
                 {"name", s.name},
                 {"unit_name", s.unit_name},
                 {"due_at", format_local_rfc3339(s.due_at)},
                 {"started_at", time_or_null(s.started_at)},
                 {"finished_at", time_or_null(s.finished_at)}};
    if (!s.result.empty()) step["result"] = s.result;
    if (s.started_at && !s.finished_at) step["overdue"] = s.overdue;
    steps.push_back(std::move(step));
  }
  j["steps"] = std::move(steps);
  if (v.finished_at)
    j["finished_at"] = format_local_rfc3339(*v.finished_at);
  else
    j["overdue"] = v.overdue;
  return j;
}

json to_json(const ResultFiles& r) {
  return {{"code", r.code}, {"status", status_json(r.status)}, {"results", to_json_array(r.results)}};
}

json to_json(const RegisterRow& r) {
  json j = {{"code", r.code},
            {"applicant_name", r.applicant_name},
            {"procedure_code", r.procedure_code},
            {"procedure_name", r.procedure_name},
            {"received_at", format_local_rfc3339(r.received_at)},
            {"due_at", format_local_rfc3339(r.due_at)},
            {"finished_at", time_or_null(r.finished_at)},
            {"status", static_cast<int>(r.status)},
            {"status_name", std::string(name_vi(r.status))},
            {"unit", r.unit}};
  if (r.timeliness) j["timeliness"] = to_string(*r.timeliness);
  return j;
}

json to_json(const Report& r) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    auto rate = l.on_time_rate();
    lines.push_back({{"unit", l.unit},
                     {"procedure_code", l.procedure_code},
                     {"procedure_name", l.procedure_name},
                     {"received", l.received},
                     {"resolved", l.resolved()},
                     {"resolved_early", l.early},
                     {"resolved_on_time", l.on_time},
                     {"resolved_late", l.late},
                     {"in_progress", l.in_progress},
                     {"overdue_now", l.overdue_now},
                     {"on_time_rate", rate ? json(*rate) : json()}});
  }
  return {{"from", format_local_rfc3339(r.from)},
          {"to", format_local_rfc3339(r.to)},
          {"unit", r.unit.empty() ? json() : json(r.unit)},
          {"lines", lines}};
}

json to_json(const Profile& p) {
  json docs = json::array();
  for (const auto& d : p.documents)
    docs.push_back({{"code", d.code},
                    {"name", d.name},
                    {"sha256", d.sha256},
                    {"media_type", d.media_type},
                    {"size", d.size},
                    {"added_at", format_local_rfc3339(d.added_at)}});
  json history = json::array();
  for (const auto& t : p.transactions)
    history.push_back({{"dossier_code", t.dossier_code},
                       {"procedure_code", t.procedure_code},
                       {"procedure_name", t.procedure_name},
                       {"status", static_cast<int>(t.status)},
                       {"received_at", format_local_rfc3339(t.received_at)},
                       {"due_at", format_local_rfc3339(t.due_at)},
                       {"finished_at", time_or_null(t.finished_at)}});
  return {{"customer_code", p.customer_code},
          {"identity", identity_json(p.identity)},
          {"created_at", format_local_rfc3339(p.created_at)},
          {"valid_until", format_local_rfc3339(p.valid_until)},
          {"valid", p.valid},
          {"documents", docs},
          {"transactions", history}};
}

json to_json(const UserAccount& u) {
  return {{"username", u.username},
          {"role", to_string(u.role)},
          {"unit", u.unit},
          {"name", u.name},
          {"title", u.title},
          {"customer_code", text_or_null(u.customer_code)},
          {"scope", to_string(u.scope)},
          {"certificate_sha256", text_or_null(u.certificate_sha256)},
          {"cccd", text_or_null(u.cccd)}};
}

json to_json(const ImportSummary& s) { return {{"imported", s.imported}, {"unchanged", s.unchanged}}; }

json to_json(const PortalRecord& r) {
  return {{"id", r.id},
          {"at", format_local_rfc3339(r.at)},
          {"dossier_code", r.dossier_code},
          {"service", r.service},
          {"record", r.record},
          {"synced_at", text_or_null(r.synced_at)}};
}

json to_json(const BusOutboxEntry& e) {
  return {{"id", e.id},
          {"service", e.service},
          {"message_id", e.message_id},
          {"conversation_id", e.conversation_id},
          {"created_at", format_local_rfc3339(e.created_at)},
          {"sent_at", time_or_null(e.sent_at)},
          {"attempts", e.attempts},
          {"last_error", text_or_null(e.last_error)},
          {"next_attempt_at", format_local_rfc3339(e.next_attempt_at)}};
}

json to_json(const ReceiveOutcome& o) {
  if (o.duplicate) return {{"duplicate", true}};
  json j = {{"dossier_code", o.dossier_code}};
  if (o.created) j["created"] = *o.created;
  if (o.recorded) j["recorded"] = true;
  if (o.step) j["step"] = *o.step;
  if (o.outcome) j["outcome"] = *o.outcome;
  return j;
}

json to_json(const FormData& f, const AgencyConfig& office) {
  json j = to_json(f.dossier);
  if (f.procedure_rules) j["procedure_rules"] = *f.procedure_rules;
  j["office"] = {{"code", office.code},
                 {"name", office.name},
                 {"parent_name", office.parent_name},
                 {"place", office.place},
                 {"public_url", office.public_url}};
  return j;
}

// --- requests ----------------------------------------------------------------------------------------------------

namespace {

[[noreturn]] void field_error(const std::string& message, const std::string& key, const std::string& field_message) {
  throw OnestopError(errors::kInvalid, message, json::array({{{"path", "/" + key}, {"message", field_message}}}));
}

bool given(const json& in, const char* key) { return in.is_object() && in.contains(key) && !in[key].is_null(); }

// A string the office requires: absent reads as "" (the office refuses it), another type is refused here.
std::string required_string(const json& in, const char* key) {
  if (!given(in, key)) return {};
  if (!in[key].is_string()) field_error(std::string("'") + key + "' is required (a non-empty string)", key, "required");
  return in[key].get<std::string>();
}

std::string optional_string(const json& in, const char* key) {
  if (!given(in, key)) return {};
  if (!in[key].is_string()) field_error(std::string("'") + key + "' must be a string", key, "must be a string");
  return in[key].get<std::string>();
}

// A list of non-empty strings (reasons, missing items): a single string is one item; an item {name, reason} reads
// "name: reason". Anything else is skipped (the office refuses an empty list where one is needed).
std::vector<std::string> string_list(const json& in, const char* key) {
  std::vector<std::string> out;
  if (!given(in, key)) return out;
  const auto& v = in[key];
  if (v.is_string() && !v.get<std::string>().empty()) out.push_back(v);
  if (v.is_array())
    for (const auto& item : v) {
      if (item.is_string() && !item.get<std::string>().empty()) out.push_back(item);
      if (item.is_object() && item.contains("name") && item["name"].is_string()) {
        std::string s = item["name"];
        if (item.contains("reason") && item["reason"].is_string() && !item["reason"].get<std::string>().empty())
          s += ": " + item["reason"].get<std::string>();
        out.push_back(s);
      }
    }
  return out;
}

std::optional<std::string> string_if_given(const json& in, const char* key) {
  if (!given(in, key)) return std::nullopt;
  if (!in[key].is_string()) field_error(std::string("'") + key + "' must be a string", key, "must be a string");
  return in[key].get<std::string>();
}

}  // namespace

FilingRequest filing_request_from_json(const json& j) {
  FilingRequest r;
  r.procedure_code = required_string(j, "procedure_code");
  if (given(j, "customer_code")) r.customer_code = required_string(j, "customer_code");
  if (given(j, "channel")) {
    if (!j["channel"].is_number())
      throw OnestopError(errors::kInvalid, "channel is 1 (in person), 2 (online) or 3 (postal)");
    r.channel = j["channel"].get<int>();
  }
  if (j.is_object() && j.contains("received_at")) {
    r.received_at = j["received_at"].is_string() ? parse_rfc3339(j["received_at"]) : std::nullopt;
    r.received_at_unreadable = !r.received_at;
  }
  if (j.is_object() && j.contains("documents")) {
    const auto& docs = j["documents"];
    if (!docs.is_array()) throw OnestopError(errors::kInvalid, "documents must be an array");
    for (const auto& d : docs) {
      FiledDocument f;
      f.malformed = !d.is_object() || !d.contains("code") || !d["code"].is_string() || !d.contains("sha256") ||
                    !d["sha256"].is_string();
      if (!f.malformed) {
        f.code = d["code"];
        f.sha256 = d["sha256"];
        f.name = string_if_given(d, "name");
      }
      r.documents.push_back(std::move(f));
    }
  }
  r.note = optional_string(j, "note");
  return r;
}

ActionInput action_input_from_json(const json& j) {
  ActionInput in;
  in.comment = optional_string(j, "comment");
  in.reasons = string_list(j, "reasons");
  in.items = string_list(j, "items");
  in.reason = optional_string(j, "reason");
  if (given(j, "amount") && j["amount"].is_number_integer()) in.amount = j["amount"].get<std::int64_t>();
  if (given(j, "documents")) {
    const auto& docs = j["documents"];
    if (!docs.is_array()) in.documents_problem = "documents must be an array";
    for (const auto& d : docs.is_array() ? docs : json::array()) {
      if (!d.is_object() || !d.contains("sha256") || !d["sha256"].is_string()) {
        in.documents_problem = "each supplemented document needs the sha256 of an upload";
        break;
      }
      in.documents.push_back(SupplementDocument{d["sha256"], string_if_given(d, "code"), string_if_given(d, "name")});
    }
  }
  return in;
}

HandOverInput hand_over_input_from_json(const json& j) { return HandOverInput{optional_string(j, "comment")}; }

ExtensionRequest extension_request_from_json(const json& j) {
  ExtensionRequest r;
  r.reason = required_string(j, "reason");
  if (j.is_object() && j.contains("new_due_at")) {
    r.new_due_at = j["new_due_at"].is_string() ? parse_rfc3339(j["new_due_at"]) : std::nullopt;
    r.new_due_at_unreadable = !r.new_due_at;
  }
  if (given(j, "extra_working_days") && j["extra_working_days"].is_number())
    r.extra_working_days = j["extra_working_days"].get<double>();
  return r;
}

CitizenIdentity citizen_identity_from_json(const json& in) {
  if (!in.is_object()) throw OnestopError(errors::kInvalid, "the profile must be a JSON object");
  static const char* kKnown[] = {"full_name", "id_number", "date_of_birth",  "gender",
                                 "hometown",  "ethnicity", "nationality",    "permanent_address",
                                 "phone",     "email",     "current_address"};
  constexpr std::size_t kRequired = 8;  // the first eight
  json errors = json::array();
  for (auto it = in.begin(); it != in.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) errors.push_back({{"path", "/" + it.key()}, {"message", "unknown field"}});
  }
  // A field of the wrong type (or a required one given empty) is refused here; what the value must be is the
  // office's rule (identity_problems), reported with these in field order so the official sees every problem.
  std::set<std::string> malformed;
  std::string values[std::size(kKnown)];
  for (std::size_t i = 0; i < std::size(kKnown); ++i) {
    const char* key = kKnown[i];
    if (!in.contains(key) || in[key].is_null()) continue;
    if (!in[key].is_string() || (i < kRequired && in[key].get<std::string>().empty()))
      malformed.insert(key);
    else
      values[i] = in[key].get<std::string>();
  }
  CitizenIdentity id{values[0], values[1], values[2], values[3], values[4], values[5],
                     values[6], values[7], values[8], values[9], values[10]};
  if (!errors.empty() || !malformed.empty()) {
    json problems = identity_problems(id);
    for (const char* key : kKnown) {
      std::string path = std::string("/") + key;
      if (malformed.count(key)) {
        errors.push_back({{"path", path}, {"message", "must be a non-empty string"}});
        continue;
      }
      for (const auto& p : problems)
        if (p["path"] == path) errors.push_back(p);
    }
    throw OnestopError(errors::kInvalid, "the citizen's identity data is incomplete", errors);
  }
  return id;
}

ProfileDocument profile_document_from_json(const json& j) {
  if (!j.is_object() || !j.contains("sha256") || !j["sha256"].is_string() || !j.contains("name") ||
      !j["name"].is_string() || !j.contains("code") || !j["code"].is_string())
    throw OnestopError(errors::kInvalid, "a reusable document needs code, name and the sha256 of an uploaded file");
  ProfileDocument d;
  d.code = j["code"];
  d.name = j["name"];
  d.sha256 = j["sha256"];
  return d;
}

}  // namespace lgsp::onestop
