// Dossiers: filing, the actions of the status table, hand-overs between steps, extensions (form 04) and results.
#include "access.hpp"
#include "dossier_row.hpp"
#include "events.hpp"
#include "lgsp/onestop/dossier_actions.hpp"
#include "lgsp/onestop/office.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace lgsp::onestop {
using namespace detail;
using nlohmann::json;

std::string onestop_service(const std::string& agency, const std::string& kind) {
  return agency + "/MOTCUA/onestop." + kind + "/v1";
}

OneStopOffice::OneStopOffice(bus::Store& store, FileStore& files, WorkingCalendar calendar, AgencyConfig agency,
                             Now now)
    : store_(store),
      files_(files),
      calendar_(std::move(calendar)),
      agency_(std::move(agency)),
      code_pattern_(agency_.dossier_code_pattern),
      now_(std::move(now)) {}

namespace {

std::string need_string(const json& in, const char* key) {
  if (!in.is_object() || !in.contains(key) || !in[key].is_string() || in[key].get<std::string>().empty())
    throw OnestopError(errors::kInvalid, std::string("'") + key + "' is required (a non-empty string)",
                       json::array({{{"path", std::string("/") + key}, {"message", "required"}}}));
  return in[key];
}

std::string opt_string(const json& in, const char* key) {
  if (!in.is_object() || !in.contains(key) || in[key].is_null()) return {};
  if (!in[key].is_string())
    throw OnestopError(errors::kInvalid, std::string("'") + key + "' must be a string",
                       json::array({{{"path", std::string("/") + key}, {"message", "must be a string"}}}));
  return in[key];
}

// A list of non-empty strings under `key` (reasons, missing items); a single string is taken as one item.
std::vector<std::string> need_list(const json& in, const char* key) {
  std::vector<std::string> out;
  if (in.is_object() && in.contains(key)) {
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
  }
  if (out.empty())
    throw OnestopError(errors::kInvalid, std::string("'") + key + "' must list at least one item",
                       json::array({{{"path", std::string("/") + key}, {"message", "at least one item"}}}));
  return out;
}

// The due times of a dossier counted from `start` on `calendar`: the whole, and each step's (the cumulative
// sum of the step shares), with the procedure's cut-off hour.
struct Deadlines {
  TimePoint due;
  std::vector<TimePoint> steps;  // in step order
};
Deadlines deadlines(const WorkingCalendar& calendar, const Procedure& p, TimePoint start) {
  auto cut_off = p.cut_off.value_or(calendar.rules().cut_off);
  Deadlines out{calendar.due_time(start, p.processing_days, cut_off), {}};
  double cumulative = 0;
  for (const auto& s : p.steps) {
    cumulative += s.working_days;
    out.steps.push_back(calendar.due_time(start, cumulative, cut_off));
  }
  return out;
}

// What `role` may do with `d` now: the same decision act() makes (dossier_actions.hpp).
ActionContext action_context(Transaction& tx, const DossierRow& d, const std::string& this_office) {
  ActionContext c;
  c.status = d.status;
  if (!d.pause_stack.empty()) c.paused_from = status_from_code(d.pause_stack.back());
  c.at_this_office = d.current_unit == this_office;
  c.has_result = !documents(tx, d.code, "result").empty();
  return c;
}

json allowed_actions_json(Role role, const ActionContext& c) {
  json out = json::array();
  for (const auto& a : allowed_actions(role, c)) out.push_back(a);
  return out;
}

json status_json(DossierStatus s) {
  return {{"code", code_of(s)}, {"name", std::string(name_en(s))}, {"name_vi", std::string(name_vi(s))}};
}

}  // namespace

json OneStopOffice::file_dossier(const Actor& actor, const json& request) {
  if (!(actor.role == Role::kCitizen || actor.role == Role::kReceiving || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "dossiers are filed by citizens online or by the receiving desk");
  // A new dossier is this office's: only its own desk (and its citizens) file here.
  if (actor.role == Role::kReceiving && !may_act_in_unit(actor, agency_.code))
    throw OnestopError(errors::kForbidden,
                       "this office files dossiers for unit " + agency_.code + ", not " + actor.unit);
  std::string procedure_code = need_string(request, "procedure_code");
  std::string customer_code =
      actor.role == Role::kCitizen ? actor.customer_code : need_string(request, "customer_code");
  if (actor.role == Role::kCitizen && request.contains("customer_code") && request["customer_code"] != customer_code)
    throw OnestopError(errors::kForbidden, "a citizen files dossiers for their own e-profile only");
  int channel = actor.role == Role::kCitizen ? 2 : request.value("channel", 1);
  if (channel < 1 || channel > 3)
    throw OnestopError(errors::kInvalid, "channel is 1 (in person), 2 (online) or 3 (postal)");
  if (actor.role == Role::kCitizen && request.contains("channel") && request["channel"] != 2)
    throw OnestopError(errors::kInvalid, "a citizen files online (channel 2)");

  TimePoint t = now();
  if (request.contains("received_at")) {
    if (actor.role != Role::kReceiving && actor.role != Role::kSystem)
      throw OnestopError(errors::kForbidden, "only the receiving desk enters dossiers received earlier on paper");
    auto at = request["received_at"].is_string() ? parse_rfc3339(request["received_at"]) : std::nullopt;
    if (!at) throw OnestopError(errors::kInvalid, "received_at must be an RFC 3339 time with its offset");
    if (*at > t) throw OnestopError(errors::kInvalid, "received_at is in the future");
    t = *at;
  }
  auto proc = procedure(procedure_code, local_date(t));
  if (!proc) throw OnestopError(errors::kNotFound, "no procedure " + procedure_code + " in force on that day");
  if (!proc->channels.count(static_cast<Channel>(channel)))
    throw OnestopError(errors::kInvalid,
                       "procedure " + proc->code + " cannot be filed through channel " + std::to_string(channel));
  if (channel == 2 && proc->online_level == OnlineLevel::kNone)
    throw OnestopError(errors::kInvalid, "procedure " + proc->code + " is not offered online");
  if (proc->steps.empty()) throw OnestopError(errors::kInvalid, "procedure " + proc->code + " has no steps");

  json docs_in = request.value("documents", json::array());
  if (!docs_in.is_array()) throw OnestopError(errors::kInvalid, "documents must be an array");
  std::string note = opt_string(request, "note");

  std::string code;
  store_
      .write([&](Transaction& tx) {
        if (actor.role != Role::kCitizen) need_profile_unit(tx, actor, customer_code);
        auto prof = query(tx, "SELECT data, valid_until FROM profiles WHERE customer_code = ?", {text(customer_code)});
        if (prof.empty())
          throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
        auto valid_until = parse_rfc3339(str(prof[0][1]));
        if (!valid_until || *valid_until <= now())
          throw OnestopError(errors::kExpiredProfile,
                             "e-profile " + customer_code + " expired on " + str(prof[0][1]) + "; renew it first");
        json identity = json::parse(str(prof[0][0]));

        // Each document: a code of the procedure's list and an uploaded file (or one kept in the e-profile).
        json field_errors = json::array();
        std::vector<json> docs;
        std::set<std::string> present;
        for (std::size_t i = 0; i < docs_in.size(); ++i) {
          const auto& d = docs_in[i];
          std::string path = "/documents/" + std::to_string(i);
          if (!d.is_object() || !d.contains("code") || !d["code"].is_string() || !d.contains("sha256") ||
              !d["sha256"].is_string()) {
            field_errors.push_back({{"path", path}, {"message", "needs code and sha256"}});
            continue;
          }
          std::string dc = d["code"], sha = d["sha256"];
          auto it = std::find_if(proc->documents.begin(), proc->documents.end(),
                                 [&](const RequiredDocument& r) { return r.code == dc; });
          if (it == proc->documents.end()) {
            field_errors.push_back(
                {{"path", path + "/code"}, {"message", "'" + dc + "' is not a document of " + proc->code}});
            continue;
          }
          auto f = query(tx, "SELECT media_type, size FROM files WHERE sha256 = ?", {text(sha)});
          // Another unit's (or another citizen's) file is not this actor's to attach: as if it did not exist.
          if (f.empty() || !file_visible(tx, actor, sha)) {
            field_errors.push_back({{"path", path + "/sha256"}, {"message", "no uploaded file " + sha}});
            continue;
          }
          present.insert(dc);
          docs.push_back({{"code", dc},
                          {"name", d.value("name", it->name)},
                          {"sha256", sha},
                          {"media_type", str(f[0][0])},
                          {"size", num(f[0][1])}});
        }
        if (!field_errors.empty()) throw OnestopError(errors::kInvalid, "some documents cannot be taken", field_errors);
        json missing = json::array();
        for (const auto& r : proc->documents)
          if (r.mandatory && !present.count(r.code))
            missing.push_back({{"path", "/documents"}, {"code", r.code}, {"message", "missing: " + r.name}});
        if (!missing.empty())
          throw OnestopError(errors::kMissingDocuments,
                             std::to_string(missing.size()) + " mandatory document(s) of " + proc->code + " missing",
                             missing);

        code = allocate_dossier_code(tx, code_pattern_, agency_.code, t);
        auto due = deadlines(calendar_, *proc, t);
        DossierRow d;
        d.code = code;
        d.agency = d.origin_agency = agency_.code;
        d.procedure_code = proc->code;
        d.procedure_version = proc->version;
        d.procedure_name = proc->name;
        d.customer_code = customer_code;
        d.applicant = identity;
        d.applicant["customer_code"] = customer_code;
        d.channel = channel;
        d.status = actor.role == Role::kCitizen ? DossierStatus::kNew : DossierStatus::kAccepted;
        d.received_at = t;
        d.due_at = d.original_due_at = due.due;
        d.current_step = 1;
        d.current_unit = proc->steps.front().unit;
        d.received_by = actor.name.empty() ? actor.username : actor.name;
        insert_dossier(tx, d, identity.value("id_number", ""), identity.value("phone", ""), now());
        for (std::size_t i = 0; i < proc->steps.size(); ++i) {
          const auto& s = proc->steps[i];
          StepRow row;
          row.index = s.index;
          row.name = s.name;
          row.unit = s.unit;
          row.unit_name = s.unit_name;
          row.role = s.role;
          row.due_at = due.steps[i];
          if (s.index == 1) row.started_at = t;
          save_step(tx, code, row);
        }
        std::string at_text = format_local_rfc3339(t);
        for (const auto& doc : docs) {
          add_document(tx, code, "submitted", doc, t);
          // Kept in the e-profile, so the citizen does not bring the same paper again.
          exec(tx,
               "INSERT OR IGNORE INTO profile_documents(customer_code, doc_code, name, sha256, media_type, size, "
               "added_at) VALUES (?,?,?,?,?,?,?)",
               {text(customer_code), text(doc["code"]), text(doc["name"]), text(doc["sha256"]), text(doc["media_type"]),
                integer(doc["size"]), text(at_text)});
        }
        record_history(
            tx, code, t, actor, "file", std::nullopt, code_of(d.status), 1,
            note.empty() ? (d.status == DossierStatus::kNew ? "Nộp hồ sơ trực tuyến" : "Tiếp nhận hồ sơ") : note,
            {{"channel", channel}, {"documents", docs.size()}});
        emit_change(tx, agency_, d, actor, "Tiếp nhận hồ sơ", t, true);
      })
      .get();
  return dossier(actor.role == Role::kCitizen ? actor : Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code,
                 actor.role);
}

json OneStopOffice::act(const Actor& actor, const std::string& code, const std::string& action, const json& input) {
  if (!role_may(actor.role, action))
    throw OnestopError(errors::kForbidden, "a " + to_string(actor.role) + " may not " + action);
  std::string comment = opt_string(input, "comment");
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        DossierRow d = need_dossier(tx, code);
        if (actor.role == Role::kCitizen && (d.customer_code.empty() || actor.customer_code != d.customer_code))
          throw OnestopError(errors::kForbidden, "a citizen may act only on their own dossiers");
        detail::check_may_act(actor, d);
        DossierStatus from = d.status;
        const ActionContext context = action_context(tx, d, agency_.code);
        const ActionDecision decision = decide_action(actor.role, context, action);
        if (!decision.allowed()) {
          if (decision.refusal != &errors::kIllegalTransition)
            throw OnestopError(*decision.refusal, "dossier " + code + ": " + decision.reason);
          json allowed = json::array();
          for (auto s : allowed_next(from)) allowed.push_back(status_json(s));
          throw OnestopError(errors::kIllegalTransition, "dossier " + code + ": " + decision.reason,
                             json::array({{{"current", status_json(from)},
                                           {"allowed_next", allowed},
                                           {"allowed_actions", allowed_actions_json(actor.role, context)}}}));
        }
        const std::string verb = decision.verb;
        const bool resumes = verb.rfind("resume_", 0) == 0;
        const std::optional<DossierStatus> to = decision.transition->to;
        json details = json::object();
        std::vector<std::string> reasons;
        if (action == "refuse" || action == "stop") {
          reasons = need_list(input, "reasons");
          details["reasons"] = reasons;
        }
        if (action == "request_supplement") {
          auto items = need_list(input, "items");
          details["items"] = items;
          // The office's clock stops while the applicant completes the dossier: keep what was left of it.
          auto left = calendar_.working_time_between(t, d.due_at);
          details["working_minutes_left"] = left.count();
          details["reason"] = opt_string(input, "reason");
        }
        if (action == "request_payment") {
          if (!input.contains("amount") || !input["amount"].is_number_integer() || input["amount"].get<long>() <= 0)
            throw OnestopError(errors::kInvalid, "request_payment needs a positive amount (VND)");
          details["amount"] = input["amount"];
          details["reason"] = opt_string(input, "reason");
        }
        if (from == DossierStatus::kSupplementRequested && resumes) {
          json docs = input.value("documents", json::array());
          if (!docs.is_array()) throw OnestopError(errors::kInvalid, "documents must be an array");
          int n = 0;
          for (const auto& doc : docs) {
            if (!doc.is_object() || !doc.contains("sha256") || !doc["sha256"].is_string())
              throw OnestopError(errors::kInvalid, "each supplemented document needs the sha256 of an upload");
            auto f = query(tx, "SELECT media_type, size FROM files WHERE sha256 = ?", {text(doc["sha256"])});
            if (f.empty() || !file_visible(tx, actor, doc["sha256"]))
              throw OnestopError(errors::kNotFound, "no uploaded file " + doc["sha256"].get<std::string>());
            add_document(tx, code, "supplement",
                         {{"code", doc.value("code", "BS")},
                          {"name", doc.value("name", "Giấy tờ bổ sung")},
                          {"sha256", doc["sha256"]},
                          {"media_type", str(f[0][0])},
                          {"size", num(f[0][1])}},
                         t);
            ++n;
          }
          details["documents"] = n;
          // Restart the clock with what was left when the supplement was asked for.
          auto asked = query(tx,
                             "SELECT details FROM dossier_history WHERE dossier_code = ? AND action = "
                             "'request_supplement' ORDER BY id DESC LIMIT 1",
                             {text(code)});
          if (!asked.empty()) {
            auto left = json::parse(str(asked[0][0])).value("working_minutes_left", std::int64_t{0});
            auto resumed = calendar_.add_working_time(calendar_.counting_start(t), std::chrono::minutes(left));
            if (resumed > d.due_at) {
              details["due_moved_from"] = format_local_rfc3339(d.due_at);
              // Waiting for the applicant is not the office's delay: both due times move, and the steps' too.
              auto shift = resumed - d.due_at;
              d.due_at += shift;
              d.original_due_at += shift;
              for (auto& s : load_steps(tx, code))
                if (!s.finished_at) {
                  s.due_at += shift;
                  save_step(tx, code, s);
                }
            }
          }
        }
        if (action == "accept" && from == DossierStatus::kNew) {
          // An online dossier's time counts from its acceptance, not from when it was sent.
          auto proc = procedure_version(d.procedure_code, d.procedure_version);
          if (proc) {
            auto due = deadlines(calendar_, *proc, t);
            d.received_at = t;
            d.due_at = d.original_due_at = due.due;
            auto steps = load_steps(tx, code);
            for (std::size_t i = 0; i < steps.size() && i < due.steps.size(); ++i) {
              steps[i].due_at = due.steps[i];
              if (steps[i].index == 1) steps[i].started_at = t;
              save_step(tx, code, steps[i]);
            }
          }
        }
        if (to == DossierStatus::kFinished || to == DossierStatus::kStopped || to == DossierStatus::kNotAccepted) {
          d.finished_at = t;
          auto steps = load_steps(tx, code);
          for (auto& s : steps)
            if (s.index == d.current_step && !s.finished_at) {
              s.finished_at = t;
              s.handed_by = actor.name;
              s.result = to_string(WorkingCalendar::classify(s.due_at, t));
              save_step(tx, code, s);
            }
        }
        if (to == DossierStatus::kResultDelivered) d.delivered_at = t;
        bool pauses = *to == DossierStatus::kSupplementRequested || *to == DossierStatus::kPaymentRequested ||
                      *to == DossierStatus::kWithdrawalRequested;
        if (resumes || verb == "payment_received") {
          if (!d.pause_stack.empty()) d.pause_stack.pop_back();
        } else if (pauses) {
          d.pause_stack.push_back(code_of(from));
        } else if (is_terminal(*to) || *to == DossierStatus::kFinished) {
          d.pause_stack.clear();
        }
        d.status = *to;
        save_dossier(tx, d, t);
        if (verb != action) details["as"] = verb;
        record_history(tx, code, t, actor, action, code_of(from), code_of(*to), d.current_step, comment, details);
        emit_change(tx, agency_, d, actor, comment.empty() ? std::string(name_vi(*to)) : comment, t, false);
        // A dossier another agency sent here: its outcome goes back to that agency.
        if (d.incoming() &&
            (*to == DossierStatus::kFinished || *to == DossierStatus::kStopped || *to == DossierStatus::kNotAccepted)) {
          std::string outcome = *to == DossierStatus::kFinished  ? "approved"
                                : *to == DossierStatus::kStopped ? "stopped"
                                                                 : "refused";
          enqueue_message(tx,
                          {onestop_service(d.origin_agency, "result"),
                           code + "-result-" + agency_.code + "-" + std::to_string(d.current_step), code,
                           result_notice_payload(tx, d, actor, outcome, reasons, t)},
                          t);
        }
      })
      .get();
  return dossier(actor.role == Role::kCitizen ? actor : Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code,
                 actor.role);
}

json OneStopOffice::hand_over(const Actor& actor, const std::string& code, const json& input) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kProcessing || actor.role == Role::kLeader ||
        actor.role == Role::kSystem || actor.role == Role::kRemote))
    throw OnestopError(errors::kForbidden, "a " + to_string(actor.role) + " may not hand dossiers over");
  std::string comment = opt_string(input, "comment");
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        DossierRow d = need_dossier(tx, code);
        detail::check_may_act(actor, d);
        if (d.status != DossierStatus::kAccepted && d.status != DossierStatus::kProcessing)
          throw OnestopError(errors::kIllegalTransition, "dossier " + code + " is " +
                                                             std::to_string(code_of(d.status)) + " (" +
                                                             std::string(name_en(d.status)) +
                                                             "): only accepted or processing dossiers are handed over");
        if (actor.role != Role::kRemote && d.current_unit != agency_.code)
          throw OnestopError(errors::kConflict, "step " + std::to_string(d.current_step) + " of " + code +
                                                    " is being done at " + d.current_unit +
                                                    "; it comes back with that agency's result");
        auto steps = load_steps(tx, code);
        auto cur =
            std::find_if(steps.begin(), steps.end(), [&](const StepRow& s) { return s.index == d.current_step; });
        auto next =
            std::find_if(steps.begin(), steps.end(), [&](const StepRow& s) { return s.index == d.current_step + 1; });
        if (cur == steps.end() || next == steps.end())
          throw OnestopError(errors::kConflict, "dossier " + code + " is at its last step: finish it instead");
        // The step's own role hands it over (the desk its receiving step, a specialist a processing step); a
        // leader may act on any step.
        if (!cur->role.empty() && (actor.role == Role::kReceiving || actor.role == Role::kProcessing) &&
            to_string(actor.role) != cur->role)
          throw OnestopError(errors::kForbidden, "step " + std::to_string(cur->index) + " (" + cur->name +
                                                     ") is done by the " + cur->role + " role, not " +
                                                     to_string(actor.role));
        if (!cur->finished_at) {  // a step another agency finished keeps that agency's record
          cur->finished_at = t;
          cur->handed_by = actor.name.empty() ? actor.username : actor.name;
          cur->result = to_string(WorkingCalendar::classify(cur->due_at, t));
          save_step(tx, code, *cur);
        }
        next->started_at = t;
        save_step(tx, code, *next);
        DossierStatus from = d.status;
        if (d.status == DossierStatus::kAccepted) {
          if (!is_allowed(DossierStatus::kAccepted, DossierStatus::kProcessing))
            throw OnestopError(errors::kIllegalTransition, "the status table does not allow 2 -> 4");
          d.status = DossierStatus::kProcessing;
        }
        d.current_step = next->index;
        d.current_unit = next->unit;
        save_dossier(tx, d, t);
        record_history(tx, code, t, actor, "hand_over", code_of(from), code_of(d.status), next->index, comment,
                       {{"from_step", cur->index},
                        {"to_step", next->index},
                        {"from_unit", cur->unit},
                        {"to_unit", next->unit},
                        {"timeliness", cur->result}});
        emit_change(tx, agency_, d, actor, comment.empty() ? "Chuyển bước: " + next->name : comment, t, false);
        if (next->unit != agency_.code && !bus_connected_)
          throw OnestopError(errors::kConflict, "step " + std::to_string(next->index) + " is done at " + next->unit +
                                                    ", and this office has no bus link (bus.url) to send it there");
        if (next->unit != agency_.code && !d.incoming()) {
          // Inter-agency step (liên thông): the other agency's one-stop system does it and reports back.
          enqueue_message(tx,
                          {onestop_service(next->unit, "submission"), code + "-step-" + std::to_string(next->index),
                           code, submission_payload(tx, agency_, d, *next, comment)},
                          t);
        }
      })
      .get();
  return dossier(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code, actor.role);
}

json OneStopOffice::extend(const Actor& actor, const std::string& code, const json& input) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kLeader || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden,
                       "an apology and new appointment is issued by the receiving desk or a leader");
  std::string reason = need_string(input, "reason");
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        DossierRow d = need_dossier(tx, code);
        detail::check_may_act(actor, d);
        if (d.finished_at || is_terminal(d.status) || d.status == DossierStatus::kFinished)
          throw OnestopError(errors::kIllegalTransition, "dossier " + code + " is already finished");
        std::optional<TimePoint> new_due;
        if (input.contains("new_due_at")) {
          new_due = input["new_due_at"].is_string() ? parse_rfc3339(input["new_due_at"]) : std::nullopt;
          if (!new_due) throw OnestopError(errors::kInvalid, "new_due_at must be an RFC 3339 time with its offset");
        } else if (input.contains("extra_working_days") && input["extra_working_days"].is_number() &&
                   input["extra_working_days"].get<double>() > 0 && input["extra_working_days"].get<double>() <= 60) {
          // Counted from the later of now and the old due time, so an overdue dossier gets real time.
          TimePoint base = std::max(t, d.due_at);
          new_due = calendar_.add_working_time(
              calendar_.counting_start(base),
              std::chrono::minutes(static_cast<long>(std::llround(input["extra_working_days"].get<double>() *
                                                                  calendar_.working_minutes_per_day().count()))));
        } else {
          throw OnestopError(errors::kInvalid, "give new_due_at or extra_working_days (more than 0, at most 60)");
        }
        if (*new_due > t + std::chrono::days(366))
          throw OnestopError(errors::kInvalid, "a new appointment is at most a year away");
        if (*new_due <= d.due_at || *new_due <= t)
          throw OnestopError(errors::kInvalid, "the new appointment must be later than now and than the current one (" +
                                                   format_local_rfc3339(d.due_at) + ")");
        json details = {{"reason", reason},
                        {"previous_due_at", format_local_rfc3339(d.due_at)},
                        {"new_due_at", format_local_rfc3339(*new_due)},
                        {"original_due_at", format_local_rfc3339(d.original_due_at)},
                        {"overdue", t > d.due_at}};
        d.due_at = *new_due;
        d.extensions += 1;
        save_dossier(tx, d, t);
        record_history(tx, code, t, actor, "extend", code_of(d.status), code_of(d.status), d.current_step, reason,
                       details);
        emit_change(tx, agency_, d, actor, "Xin lỗi và hẹn lại ngày trả kết quả: " + reason, t, false);
      })
      .get();
  return dossier(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code, actor.role);
}

json OneStopOffice::add_result(const Actor& actor, const std::string& code, const json& document) {
  if (!(actor.role == Role::kLeader || actor.role == Role::kProcessing || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "results are added by processing officers and signed by leaders");
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        DossierRow d = need_dossier(tx, code);
        detail::check_may_act(actor, d);
        if (d.status != DossierStatus::kProcessing && d.status != DossierStatus::kAccepted)
          throw OnestopError(errors::kIllegalTransition,
                             "dossier " + code + " is " + std::to_string(code_of(d.status)) + " (" +
                                 std::string(name_en(d.status)) + "): results are added while it is processed");
        if (d.current_unit != agency_.code)
          throw OnestopError(errors::kConflict, "dossier " + code + " is at " + d.current_unit + " now");
        add_document(tx, code, "result", document, t);
        record_history(tx, code, t, actor, "add_result", code_of(d.status), code_of(d.status), d.current_step,
                       document.value("name", ""),
                       {{"sha256", document.value("sha256", "")},
                        {"signature_format", document.value("signature_format", "")},
                        {"signer", document.value("signer", "")}});
      })
      .get();
  return dossier(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code, actor.role);
}

json OneStopOffice::add_form(const Actor& actor, const std::string& code, const json& document) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kLeader || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "forms are issued by the receiving desk or a leader");
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        DossierRow d = need_dossier(tx, code);
        detail::check_may_act(actor, d);
        add_document(tx, code, "form", document, t);
        record_history(tx, code, t, actor, "issue_form", code_of(d.status), code_of(d.status), d.current_step,
                       document.value("name", ""),
                       {{"form", document.value("code", "")},
                        {"sha256", document.value("sha256", "")},
                        {"sealed", document.contains("seal_sha256")}});
      })
      .get();
  return dossier(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code, actor.role);
}

json OneStopOffice::dossier(const Actor& actor, const std::string& code, std::optional<Role> offered_to) const {
  json out;
  TimePoint t = now();
  store_.read([&](Transaction& tx) {
    DossierRow d = need_dossier(tx, code);
    check_may_read(actor, d);
    out = {{"code", d.code},
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
           {"finished_at", opt_time(d.finished_at) ? json(*opt_time(d.finished_at)) : json()},
           {"delivered_at", opt_time(d.delivered_at) ? json(*opt_time(d.delivered_at)) : json()},
           {"current_step", d.current_step},
           {"current_unit", d.current_unit},
           {"extensions", d.extensions},
           {"allowed_actions",
            allowed_actions_json(offered_to.value_or(actor.role), action_context(tx, d, agency_.code))}};
    // Overdue is derived, never stored: now against the current appointment; a finished dossier's timeliness
    // against the original due time, which an extension does not move.
    if (d.finished_at)
      out["timeliness"] = to_string(WorkingCalendar::classify(d.original_due_at, *d.finished_at));
    else
      out["overdue"] = t > d.due_at;
    json steps = json::array();
    for (const auto& s : load_steps(tx, code)) {
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
        j["overdue"] = t > s.due_at;
      }
      steps.push_back(std::move(j));
    }
    out["steps"] = steps;
    out["documents"] = documents(tx, code);
    json history = json::array();
    for (const auto& r : query(tx,
                               "SELECT at, actor, actor_title, role, unit, action, from_status, to_status, "
                               "step_index, comment, details FROM dossier_history WHERE dossier_code = ? ORDER BY id",
                               {text(code)})) {
      json h = {{"at", str(r[0])},   {"actor", str(r[1])},  {"title", str(r[2])},  {"role", str(r[3])},
                {"unit", str(r[4])}, {"action", str(r[5])}, {"comment", str(r[9])}};
      if (!is_null(r[6])) h["from_status"] = num(r[6]);
      if (!is_null(r[7])) h["to_status"] = num(r[7]);
      if (!is_null(r[8])) h["step"] = num(r[8]);
      if (!is_null(r[10])) h["details"] = json::parse(str(r[10]));
      history.push_back(std::move(h));
    }
    out["history"] = history;
  });
  return out;
}

void OneStopOffice::check_may_act(const Actor& actor, const std::string& code) const {
  store_.read([&](Transaction& tx) { detail::check_may_act(actor, need_dossier(tx, code)); });
}

json OneStopOffice::list_dossiers(const Actor& actor, const json& filter) const {
  if (actor.role == Role::kAdmin) throw OnestopError(errors::kForbidden, "dossiers are for officials and applicants");
  std::string sql =
      "SELECT code, procedure_code, procedure_name, status, received_at, due_at, finished_at, current_unit, "
      "json_extract(applicant, '$.full_name') FROM dossiers WHERE 1 = 1";
  Params p;
  if (actor.role == Role::kCitizen) {
    sql += " AND customer_code = ?";
    p.push_back(text(actor.customer_code));
  } else if (!is_module(actor) && actor.scope != Scope::kProvince) {
    // The unit boundary: every filter below narrows the account's own unit's dossiers, never widens them.
    sql += " AND agency = ?";
    p.push_back(text(actor.unit));
  }
  if (filter.contains("status")) {
    sql += " AND status = ?";
    p.push_back(integer(filter["status"].get<int>()));
  }
  if (filter.contains("unit")) {
    sql += " AND current_unit = ?";
    p.push_back(text(filter["unit"].get<std::string>()));
  }
  if (filter.contains("customer_code") && actor.role != Role::kCitizen) {
    sql += " AND customer_code = ?";
    p.push_back(text(filter["customer_code"].get<std::string>()));
  }
  sql += " ORDER BY received_at DESC, code DESC LIMIT 500";
  json out = json::array();
  TimePoint t = now();
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx, sql, p)) {
      auto st = *status_from_code(static_cast<int>(num(r[3])));
      json j = {{"code", str(r[0])},         {"procedure_code", str(r[1])}, {"procedure_name", str(r[2])},
                {"status", status_json(st)}, {"received_at", str(r[4])},    {"due_at", str(r[5])},
                {"current_unit", str(r[7])}, {"applicant_name", str(r[8])}};
      if (!is_null(r[6]))
        j["finished_at"] = str(r[6]);
      else
        j["overdue"] = t > time_of(r[5]);
      out.push_back(std::move(j));
    }
  });
  return out;
}

std::optional<json> OneStopOffice::lookup(const std::string& code) const {
  std::optional<json> out;
  TimePoint t = now();
  store_.read([&](Transaction& tx) {
    auto d = load_dossier(tx, code);
    if (!d) return;
    std::string unit_name;
    for (const auto& s : load_steps(tx, code))
      if (s.index == d->current_step) unit_name = s.unit_name;
    json j = {{"code", d->code},
              {"procedure_name", d->procedure_name},
              {"status", status_json(d->status)},
              {"received_at", format_local_rfc3339(d->received_at)},
              {"due_at", format_local_rfc3339(d->due_at)},
              {"current_unit", d->current_unit},
              {"current_unit_name", unit_name}};
    if (d->finished_at)
      j["finished_at"] = format_local_rfc3339(*d->finished_at);
    else
      j["overdue"] = t > d->due_at;
    out = std::move(j);
  });
  return out;
}

namespace {
// The second factor must carry its full entropy: a 12-digit citizen ID number or a Vietnamese phone number
// (0, then 9 or 10 digits, the second not 0). A dossier from another agency may carry a short or empty one;
// such a stored value is never matched (docs/onestop.md, "Result download").
bool strong_second_factor(const std::string& f) {
  bool digits = !f.empty() && std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits && (f.size() == 12 || ((f.size() == 10 || f.size() == 11) && f[0] == '0' && f[1] != '0'));
}
}  // namespace

std::optional<json> OneStopOffice::results_for(const std::string& code, const std::string& second_factor) const {
  std::optional<json> out;
  if (!strong_second_factor(second_factor)) return out;
  store_.read([&](Transaction& tx) {
    auto rows = query(tx, "SELECT id_number, phone, status FROM dossiers WHERE code = ?", {text(code)});
    if (rows.empty()) return;
    if (second_factor != str(rows[0][0]) && second_factor != str(rows[0][1])) return;
    auto st = *status_from_code(static_cast<int>(num(rows[0][2])));
    json docs = json::array();
    if (st == DossierStatus::kFinished || st == DossierStatus::kResultDelivered) docs = documents(tx, code, "result");
    out = json{{"code", code}, {"status", status_json(st)}, {"results", docs}};
  });
  return out;
}

}  // namespace lgsp::onestop
