// Dossiers: filing, the actions of the status table, hand-overs between steps, extensions (form 04) and results.
#include "access.hpp"
#include "events.hpp"
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/dossier_actions.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

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
      repositories_(office_repositories),
      files_(files),
      calendar_(std::move(calendar)),
      agency_(std::move(agency)),
      code_pattern_(agency_.dossier_code_pattern),
      now_(std::move(now)) {}

void OneStopOffice::write(const std::function<void(OfficeRepositories&)>& work) {
  store_
      .write([&](bus::Transaction& tx) {
        auto repositories = repositories_(tx);
        repositories->exclusive();
        work(*repositories);
      })
      .get();
}

void OneStopOffice::read(const std::function<void(OfficeRepositories&)>& work) const {
  store_.read([&](bus::Transaction& tx) { work(*repositories_(tx)); });
}

Actor OneStopOffice::module_actor() const { return Actor{"system", "", "", Role::kSystem, agency_.code, ""}; }

namespace {

// A list the action needs (reasons, missing items): at least one item.
const std::vector<std::string>& need_list(const std::vector<std::string>& list, const char* key) {
  if (list.empty())
    throw OnestopError(errors::kInvalid, std::string("'") + key + "' must list at least one item",
                       json::array({{{"path", std::string("/") + key}, {"message", "at least one item"}}}));
  return list;
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
ActionContext action_context(Repos& r, const DossierRecord& d, const std::string& this_office) {
  ActionContext c;
  c.status = d.status;
  if (!d.pause_stack.empty()) c.paused_from = status_from_code(d.pause_stack.back());
  c.at_this_office = d.current_unit == this_office;
  c.has_result = !r.dossiers().documents(d.code, "result").empty();
  return c;
}

}  // namespace

Dossier OneStopOffice::file_dossier(const Actor& actor, const FilingRequest& request) {
  if (!(actor.role == Role::kCitizen || actor.role == Role::kReceiving || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "dossiers are filed by citizens online or by the receiving desk");
  // A new dossier is this office's: only its own desk (and its citizens) file here.
  if (actor.role == Role::kReceiving && !may_act_in_unit(actor, agency_.code))
    throw OnestopError(errors::kForbidden,
                       "this office files dossiers for unit " + agency_.code + ", not " + actor.unit);
  if (request.procedure_code.empty())
    throw OnestopError(errors::kInvalid, "'procedure_code' is required (a non-empty string)",
                       json::array({{{"path", "/procedure_code"}, {"message", "required"}}}));
  const std::string& procedure_code = request.procedure_code;
  std::string customer_code = actor.role == Role::kCitizen ? actor.customer_code : request.customer_code.value_or("");
  if (actor.role != Role::kCitizen && customer_code.empty())
    throw OnestopError(errors::kInvalid, "'customer_code' is required (a non-empty string)",
                       json::array({{{"path", "/customer_code"}, {"message", "required"}}}));
  if (actor.role == Role::kCitizen && request.customer_code && *request.customer_code != customer_code)
    throw OnestopError(errors::kForbidden, "a citizen files dossiers for their own e-profile only");
  int channel = actor.role == Role::kCitizen ? 2 : request.channel.value_or(1);
  if (channel < 1 || channel > 3)
    throw OnestopError(errors::kInvalid, "channel is 1 (in person), 2 (online) or 3 (postal)");
  if (actor.role == Role::kCitizen && request.channel && *request.channel != 2)
    throw OnestopError(errors::kInvalid, "a citizen files online (channel 2)");

  TimePoint t = now();
  if (request.received_at || request.received_at_unreadable) {
    if (actor.role != Role::kReceiving && actor.role != Role::kSystem)
      throw OnestopError(errors::kForbidden, "only the receiving desk enters dossiers received earlier on paper");
    if (!request.received_at)
      throw OnestopError(errors::kInvalid, "received_at must be an RFC 3339 time with its offset");
    if (*request.received_at > t) throw OnestopError(errors::kInvalid, "received_at is in the future");
    t = *request.received_at;
  }
  auto proc = procedure(procedure_code, local_date(t));
  if (!proc) throw OnestopError(errors::kNotFound, "no procedure " + procedure_code + " in force on that day");
  if (!proc->channels.count(static_cast<Channel>(channel)))
    throw OnestopError(errors::kInvalid,
                       "procedure " + proc->code + " cannot be filed through channel " + std::to_string(channel));
  if (channel == 2 && proc->online_level == OnlineLevel::kNone)
    throw OnestopError(errors::kInvalid, "procedure " + proc->code + " is not offered online");
  if (proc->steps.empty()) throw OnestopError(errors::kInvalid, "procedure " + proc->code + " has no steps");

  std::string code;
  // A client's request id (Idempotency-Key): the same id again from the same account is the dossier it filed.
  std::string request_key = request.request_id.empty() ? "" : actor.username + "\n" + request.request_id;
  write([&](Repos& r) {
    if (!request_key.empty()) {
      if (auto filed = r.web().dossier_of_request(request_key)) {
        code = *filed;
        return;
      }
    }
    if (actor.role != Role::kCitizen) need_profile_unit(r, actor, customer_code);
    auto prof = r.profiles().find(customer_code);
    if (!prof) throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
    if (prof->valid_until <= now())
      throw OnestopError(errors::kExpiredProfile, "e-profile " + customer_code + " expired on " +
                                                      format_local_rfc3339(prof->valid_until) + "; renew it first");

    // Each document: a code of the procedure's list and an uploaded file (or one kept in the e-profile).
    json field_errors = json::array();
    std::vector<DossierDocument> docs;
    std::set<std::string> present;
    for (std::size_t i = 0; i < request.documents.size(); ++i) {
      const auto& d = request.documents[i];
      std::string path = "/documents/" + std::to_string(i);
      if (d.malformed) {
        field_errors.push_back({{"path", path}, {"message", "needs code and sha256"}});
        continue;
      }
      auto it = std::find_if(proc->documents.begin(), proc->documents.end(),
                             [&](const RequiredDocument& rd) { return rd.code == d.code; });
      if (it == proc->documents.end()) {
        field_errors.push_back(
            {{"path", path + "/code"}, {"message", "'" + d.code + "' is not a document of " + proc->code}});
        continue;
      }
      auto f = r.uploads().file(d.sha256);
      // Another unit's (or another citizen's) file is not this actor's to attach: as if it did not exist.
      if (!f || !file_visible(r, actor, d.sha256)) {
        field_errors.push_back({{"path", path + "/sha256"}, {"message", "no uploaded file " + d.sha256}});
        continue;
      }
      present.insert(d.code);
      DossierDocument doc;
      doc.kind = "submitted";
      doc.code = d.code;
      doc.name = d.name.value_or(it->name);
      doc.sha256 = d.sha256;
      doc.media_type = f->media_type;
      doc.size = f->size;
      doc.added_at = t;
      docs.push_back(std::move(doc));
    }
    if (!field_errors.empty()) throw OnestopError(errors::kInvalid, "some documents cannot be taken", field_errors);
    json missing = json::array();
    for (const auto& rd : proc->documents)
      if (rd.mandatory && !present.count(rd.code))
        missing.push_back({{"path", "/documents"}, {"code", rd.code}, {"message", "missing: " + rd.name}});
    if (!missing.empty())
      throw OnestopError(errors::kMissingDocuments,
                         std::to_string(missing.size()) + " mandatory document(s) of " + proc->code + " missing",
                         missing);

    code = r.dossiers().allocate_code(code_pattern_, agency_.code, t);
    auto due = deadlines(calendar_, *proc, t);
    DossierRecord d;
    d.code = code;
    d.agency = d.origin_agency = agency_.code;
    d.procedure_code = proc->code;
    d.procedure_version = proc->version;
    d.procedure_name = proc->name;
    d.customer_code = customer_code;
    d.applicant = identity_json(prof->identity);
    d.applicant["customer_code"] = customer_code;
    d.channel = channel;
    d.status = actor.role == Role::kCitizen ? DossierStatus::kNew : DossierStatus::kAccepted;
    d.received_at = t;
    d.due_at = d.original_due_at = due.due;
    d.current_step = 1;
    d.current_unit = proc->steps.front().unit;
    d.received_by = actor.name.empty() ? actor.username : actor.name;
    d.id_number = prof->identity.id_number;
    d.phone = prof->identity.phone;
    r.dossiers().insert(d, now());
    for (std::size_t i = 0; i < proc->steps.size(); ++i) {
      const auto& s = proc->steps[i];
      DossierStep row;
      row.index = s.index;
      row.name = s.name;
      row.unit = s.unit;
      row.unit_name = s.unit_name;
      row.role = s.role;
      row.due_at = due.steps[i];
      if (s.index == 1) row.started_at = t;
      r.dossiers().save_step(code, row);
    }
    for (const auto& doc : docs) {
      r.dossiers().add_document(code, doc);
      // Kept in the e-profile, so the citizen does not bring the same paper again.
      r.profiles().add_document(
          ProfileDocument{customer_code, doc.code, doc.name, doc.sha256, doc.media_type, doc.size, t});
    }
    r.dossiers().add_history(
        code, history_entry(t, actor, "file", std::nullopt, code_of(d.status), 1,
                            request.note.empty()
                                ? (d.status == DossierStatus::kNew ? "Nộp hồ sơ trực tuyến" : "Tiếp nhận hồ sơ")
                                : request.note,
                            {{"channel", channel}, {"documents", docs.size()}}));
    emit_change(r, agency_, d, actor, "Tiếp nhận hồ sơ", t, true);
    if (!request_key.empty()) r.web().record_request(request_key, code, t);
    queue_notifications(r, d, "received", t);
  });
  return dossier(actor.role == Role::kCitizen ? actor : module_actor(), code, actor.role);
}

Dossier OneStopOffice::act(const Actor& actor, const std::string& code, const std::string& action,
                           const ActionInput& input) {
  if (!role_may(actor.role, action))
    throw OnestopError(errors::kForbidden, "a " + to_string(actor.role) + " may not " + action);
  const std::string& comment = input.comment;
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    if (actor.role == Role::kCitizen && (d.customer_code.empty() || actor.customer_code != d.customer_code))
      throw OnestopError(errors::kForbidden, "a citizen may act only on their own dossiers");
    detail::check_may_act(actor, d);
    DossierStatus from = d.status;
    const ActionContext context = action_context(r, d, agency_.code);
    const ActionDecision decision = decide_action(actor.role, context, action);
    if (!decision.allowed()) {
      if (decision.refusal != &errors::kIllegalTransition)
        throw OnestopError(*decision.refusal, "dossier " + code + ": " + decision.reason);
      json allowed = json::array();
      for (auto s : allowed_next(from)) allowed.push_back(status_json(s));
      throw OnestopError(errors::kIllegalTransition, "dossier " + code + ": " + decision.reason,
                         json::array({{{"current", status_json(from)},
                                       {"allowed_next", allowed},
                                       {"allowed_actions", json(allowed_actions(actor.role, context))}}}));
    }
    const std::string verb = decision.verb;
    const bool resumes = verb.rfind("resume_", 0) == 0;
    const std::optional<DossierStatus> to = decision.transition->to;
    json details = json::object();
    std::vector<std::string> reasons;
    if (action == "refuse" || action == "stop") {
      reasons = need_list(input.reasons, "reasons");
      details["reasons"] = reasons;
    }
    if (action == "request_supplement") {
      auto items = need_list(input.items, "items");
      details["items"] = items;
      // The office's clock stops while the applicant completes the dossier: keep what was left of it.
      auto left = calendar_.working_time_between(t, d.due_at);
      details["working_minutes_left"] = left.count();
      details["reason"] = input.reason;
    }
    if (action == "request_payment") {
      if (!input.amount || *input.amount <= 0)
        throw OnestopError(errors::kInvalid, "request_payment needs a positive amount (VND)");
      details["amount"] = *input.amount;
      details["reason"] = input.reason;
    }
    if (from == DossierStatus::kSupplementRequested && resumes) {
      if (input.documents_problem) throw OnestopError(errors::kInvalid, *input.documents_problem);
      int n = 0;
      for (const auto& doc : input.documents) {
        auto f = r.uploads().file(doc.sha256);
        if (!f || !file_visible(r, actor, doc.sha256))
          throw OnestopError(errors::kNotFound, "no uploaded file " + doc.sha256);
        DossierDocument added;
        added.kind = "supplement";
        added.code = doc.code.value_or("BS");
        added.name = doc.name.value_or("Giấy tờ bổ sung");
        added.sha256 = doc.sha256;
        added.media_type = f->media_type;
        added.size = f->size;
        added.added_at = t;
        r.dossiers().add_document(code, added);
        ++n;
      }
      details["documents"] = n;
      // Restart the clock with what was left when the supplement was asked for.
      auto asked = r.dossiers().last_history(code, "request_supplement");
      if (asked) {
        auto left = asked->details.is_object() ? asked->details.value("working_minutes_left", std::int64_t{0})
                                               : std::int64_t{0};
        auto resumed = calendar_.add_working_time(calendar_.counting_start(t), std::chrono::minutes(left));
        if (resumed > d.due_at) {
          details["due_moved_from"] = format_local_rfc3339(d.due_at);
          // Waiting for the applicant is not the office's delay: both due times move, and the steps' too.
          auto shift = resumed - d.due_at;
          d.due_at += shift;
          d.original_due_at += shift;
          for (auto& s : r.dossiers().steps(code))
            if (!s.finished_at) {
              s.due_at += shift;
              r.dossiers().save_step(code, s);
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
        auto steps = r.dossiers().steps(code);
        for (std::size_t i = 0; i < steps.size() && i < due.steps.size(); ++i) {
          steps[i].due_at = due.steps[i];
          if (steps[i].index == 1) steps[i].started_at = t;
          r.dossiers().save_step(code, steps[i]);
        }
      }
    }
    if (to == DossierStatus::kFinished || to == DossierStatus::kStopped || to == DossierStatus::kNotAccepted) {
      d.finished_at = t;
      auto steps = r.dossiers().steps(code);
      for (auto& s : steps)
        if (s.index == d.current_step && !s.finished_at) {
          s.finished_at = t;
          s.handed_by = actor.name;
          s.result = to_string(WorkingCalendar::classify(s.due_at, t));
          r.dossiers().save_step(code, s);
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
    r.dossiers().update(d, t);
    if (verb != action) details["as"] = verb;
    r.dossiers().add_history(
        code, history_entry(t, actor, action, code_of(from), code_of(*to), d.current_step, comment, details));
    emit_change(r, agency_, d, actor, comment.empty() ? std::string(name_vi(*to)) : comment, t, false);
    if (!d.incoming() && *to != from && *to == DossierStatus::kSupplementRequested)
      queue_notifications(r, d, "supplement", t);
    if (!d.incoming() && *to != from && *to == DossierStatus::kFinished) queue_notifications(r, d, "result", t);
    // A dossier another agency sent here: its outcome goes back to that agency.
    if (d.incoming() &&
        (*to == DossierStatus::kFinished || *to == DossierStatus::kStopped || *to == DossierStatus::kNotAccepted)) {
      std::string outcome = *to == DossierStatus::kFinished  ? "approved"
                            : *to == DossierStatus::kStopped ? "stopped"
                                                             : "refused";
      enqueue_message(r,
                      {onestop_service(d.origin_agency, "result"),
                       code + "-result-" + agency_.code + "-" + std::to_string(d.current_step), code,
                       result_notice_payload(r, d, actor, outcome, reasons, t)},
                      t);
    }
  });
  return dossier(actor.role == Role::kCitizen ? actor : module_actor(), code, actor.role);
}

Dossier OneStopOffice::hand_over(const Actor& actor, const std::string& code, const HandOverInput& input) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kProcessing || actor.role == Role::kLeader ||
        actor.role == Role::kSystem || actor.role == Role::kRemote))
    throw OnestopError(errors::kForbidden, "a " + to_string(actor.role) + " may not hand dossiers over");
  const std::string& comment = input.comment;
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    detail::check_may_act(actor, d);
    if (d.status != DossierStatus::kAccepted && d.status != DossierStatus::kProcessing)
      throw OnestopError(errors::kIllegalTransition, "dossier " + code + " is " + std::to_string(code_of(d.status)) +
                                                         " (" + std::string(name_en(d.status)) +
                                                         "): only accepted or processing dossiers are handed over");
    if (actor.role != Role::kRemote && d.current_unit != agency_.code)
      throw OnestopError(errors::kConflict, "step " + std::to_string(d.current_step) + " of " + code +
                                                " is being done at " + d.current_unit +
                                                "; it comes back with that agency's result");
    auto steps = r.dossiers().steps(code);
    auto cur =
        std::find_if(steps.begin(), steps.end(), [&](const DossierStep& s) { return s.index == d.current_step; });
    auto next =
        std::find_if(steps.begin(), steps.end(), [&](const DossierStep& s) { return s.index == d.current_step + 1; });
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
      r.dossiers().save_step(code, *cur);
    }
    next->started_at = t;
    r.dossiers().save_step(code, *next);
    DossierStatus from = d.status;
    if (d.status == DossierStatus::kAccepted) {
      if (!is_allowed(DossierStatus::kAccepted, DossierStatus::kProcessing))
        throw OnestopError(errors::kIllegalTransition, "the status table does not allow 2 -> 4");
      d.status = DossierStatus::kProcessing;
    }
    d.current_step = next->index;
    d.current_unit = next->unit;
    r.dossiers().update(d, t);
    r.dossiers().add_history(
        code, history_entry(t, actor, "hand_over", code_of(from), code_of(d.status), next->index, comment,
                            {{"from_step", cur->index},
                             {"to_step", next->index},
                             {"from_unit", cur->unit},
                             {"to_unit", next->unit},
                             {"timeliness", cur->result}}));
    emit_change(r, agency_, d, actor, comment.empty() ? "Chuyển bước: " + next->name : comment, t, false);
    if (next->unit != agency_.code && !bus_connected_)
      throw OnestopError(errors::kConflict, "step " + std::to_string(next->index) + " is done at " + next->unit +
                                                ", and this office has no bus link (bus.url) to send it there");
    if (next->unit != agency_.code && !d.incoming()) {
      // Inter-agency step (liên thông): the other agency's one-stop system does it and reports back.
      enqueue_message(r,
                      {onestop_service(next->unit, "submission"), code + "-step-" + std::to_string(next->index), code,
                       submission_payload(r, agency_, d, *next, comment)},
                      t);
    }
  });
  return dossier(module_actor(), code, actor.role);
}

Dossier OneStopOffice::extend(const Actor& actor, const std::string& code, const ExtensionRequest& input) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kLeader || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden,
                       "an apology and new appointment is issued by the receiving desk or a leader");
  if (input.reason.empty())
    throw OnestopError(errors::kInvalid, "'reason' is required (a non-empty string)",
                       json::array({{{"path", "/reason"}, {"message", "required"}}}));
  const std::string& reason = input.reason;
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    detail::check_may_act(actor, d);
    if (d.finished_at || is_terminal(d.status) || d.status == DossierStatus::kFinished)
      throw OnestopError(errors::kIllegalTransition, "dossier " + code + " is already finished");
    if (input.new_due_at_unreadable)
      throw OnestopError(errors::kInvalid, "new_due_at must be an RFC 3339 time with its offset");
    std::optional<TimePoint> new_due = input.new_due_at;
    const bool days_given =
        input.extra_working_days && *input.extra_working_days > 0 && *input.extra_working_days <= 60;
    if (!new_due && days_given) {
      // Counted from the later of now and the old due time, so an overdue dossier gets real time.
      TimePoint base = std::max(t, d.due_at);
      new_due = calendar_.add_working_time(
          calendar_.counting_start(base),
          std::chrono::minutes(static_cast<long>(
              std::llround(*input.extra_working_days * calendar_.working_minutes_per_day().count()))));
    } else if (!new_due) {
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
    r.dossiers().update(d, t);
    r.dossiers().add_history(
        code, history_entry(t, actor, "extend", code_of(d.status), code_of(d.status), d.current_step, reason, details));
    emit_change(r, agency_, d, actor, "Xin lỗi và hẹn lại ngày trả kết quả: " + reason, t, false);
  });
  return dossier(module_actor(), code, actor.role);
}

void OneStopOffice::check_result_allowed(const Actor& actor, const DossierRecord& d) const {
  if (!(actor.role == Role::kLeader || actor.role == Role::kProcessing || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "results are added by processing officers and signed by leaders");
  detail::check_may_act(actor, d);
  if (d.status != DossierStatus::kProcessing && d.status != DossierStatus::kAccepted)
    throw OnestopError(errors::kIllegalTransition, "dossier " + d.code + " is " + std::to_string(code_of(d.status)) +
                                                       " (" + std::string(name_en(d.status)) +
                                                       "): results are added while it is processed");
  if (d.current_unit != agency_.code)
    throw OnestopError(errors::kConflict, "dossier " + d.code + " is at " + d.current_unit + " now");
}

DossierRecord OneStopOffice::check_may_add_result(const Actor& actor, const std::string& code) const {
  DossierRecord d;
  read([&](Repos& r) {
    d = need_dossier(r, code);
    check_result_allowed(actor, d);
  });
  return d;
}

Dossier OneStopOffice::add_result(const Actor& actor, const std::string& code, const DossierDocument& document,
                                  const std::optional<ResultOrigin>& origin) {
  if (!(actor.role == Role::kLeader || actor.role == Role::kProcessing || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "results are added by processing officers and signed by leaders");
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    check_result_allowed(actor, d);  // again: the dossier may have moved since the caller checked
    DossierDocument doc = document;
    doc.kind = "result";
    doc.added_at = t;
    if (origin)
      r.dossiers().add_history(code, history_entry(t, actor, origin->action, code_of(d.status), code_of(d.status),
                                                   d.current_step, origin->comment.substr(0, 2000), origin->details));
    r.dossiers().add_document(code, doc);
    r.dossiers().add_history(
        code, history_entry(t, actor, "add_result", code_of(d.status), code_of(d.status), d.current_step, doc.name,
                            {{"sha256", doc.sha256},
                             {"signature_format", doc.signature_format.value_or("")},
                             {"signer", doc.signer.value_or("")}}));
  });
  return dossier(module_actor(), code, actor.role);
}

void OneStopOffice::note(const Actor& actor, const std::string& code, const std::string& action,
                         const std::string& comment, const nlohmann::json& details) {
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    check_result_allowed(actor, d);
    r.dossiers().add_history(code, history_entry(t, actor, action, code_of(d.status), code_of(d.status), d.current_step,
                                                 comment.substr(0, 2000), details));
  });
}

Dossier OneStopOffice::add_form(const Actor& actor, const std::string& code, const DossierDocument& document) {
  if (!(actor.role == Role::kReceiving || actor.role == Role::kLeader || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "forms are issued by the receiving desk or a leader");
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    detail::check_may_act(actor, d);
    DossierDocument doc = document;
    doc.kind = "form";
    doc.added_at = t;
    r.dossiers().add_document(code, doc);
    r.dossiers().add_history(
        code, history_entry(t, actor, "issue_form", code_of(d.status), code_of(d.status), d.current_step, doc.name,
                            {{"form", doc.code}, {"sha256", doc.sha256}, {"sealed", doc.seal_sha256.has_value()}}));
  });
  return dossier(module_actor(), code, actor.role);
}

Dossier OneStopOffice::dossier(const Actor& actor, const std::string& code, std::optional<Role> offered_to) const {
  Dossier out;
  TimePoint t = now();
  read([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    check_may_read(actor, d);
    static_cast<DossierRecord&>(out) = d;
    out.allowed_actions = allowed_actions(offered_to.value_or(actor.role), action_context(r, d, agency_.code));
    // Overdue is derived, never stored: now against the current appointment; a finished dossier's timeliness
    // against the original due time, which an extension does not move.
    if (d.finished_at)
      out.timeliness = WorkingCalendar::classify(d.original_due_at, *d.finished_at);
    else
      out.overdue = t > d.due_at;
    out.steps = r.dossiers().steps(code);
    for (auto& s : out.steps) s.overdue = s.started_at && !s.finished_at && t > s.due_at;
    out.documents = r.dossiers().documents(code);
    out.history = r.dossiers().history(code);
  });
  return out;
}

void OneStopOffice::check_may_act(const Actor& actor, const std::string& code) const {
  read([&](Repos& r) { detail::check_may_act(actor, need_dossier(r, code)); });
}

std::vector<DossierSummary> OneStopOffice::list_dossiers(const Actor& actor, const DossierFilter& filter) const {
  if (actor.role == Role::kAdmin) throw OnestopError(errors::kForbidden, "dossiers are for officials and applicants");
  DossierRepository::Scope scope;
  DossierFilter narrowed = filter;
  if (actor.role == Role::kCitizen) {
    scope.customer_code = actor.customer_code;
    narrowed.customer_code.reset();
  } else if (!is_module(actor) && actor.scope != Scope::kProvince) {
    // The unit boundary: every filter narrows the account's own unit's dossiers, never widens them.
    scope.agency = actor.unit;
  }
  std::vector<DossierSummary> out;
  TimePoint t = now();
  read([&](Repos& r) { out = r.dossiers().list(scope, narrowed, 500); });
  for (auto& s : out) s.overdue = !s.finished_at && t > s.due_at;
  return out;
}

std::optional<LookupView> OneStopOffice::lookup(const std::string& code) const {
  std::optional<LookupView> out;
  TimePoint t = now();
  read([&](Repos& r) {
    auto d = r.dossiers().find(code);
    if (!d) return;
    LookupView v;
    v.steps = r.dossiers().steps(code);
    for (auto& s : v.steps) {
      if (s.index == d->current_step) v.current_unit_name = s.unit_name;
      s.overdue = s.started_at && !s.finished_at && t > s.due_at;
    }
    v.code = d->code;
    v.procedure_name = d->procedure_name;
    v.status = d->status;
    v.received_at = d->received_at;
    v.due_at = d->due_at;
    v.current_unit = d->current_unit;
    v.finished_at = d->finished_at;
    v.overdue = !d->finished_at && t > d->due_at;
    out = std::move(v);
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

std::optional<ResultFiles> OneStopOffice::results_for(const std::string& code, const std::string& second_factor) const {
  std::optional<ResultFiles> out;
  if (!strong_second_factor(second_factor)) return out;
  read([&](Repos& r) {
    auto d = r.dossiers().find(code);
    if (!d) return;
    if (second_factor != d->id_number && second_factor != d->phone) return;
    ResultFiles f{code, d->status, {}};
    if (d->status == DossierStatus::kFinished || d->status == DossierStatus::kResultDelivered)
      f.results = r.dossiers().documents(code, "result");
    out = std::move(f);
  });
  return out;
}

namespace detail {

DossierRecord need_dossier(Repos& r, const std::string& code) {
  auto d = r.dossiers().find(code);
  if (!d) throw OnestopError(errors::kNotFound, "no dossier " + code);
  return *d;
}

HistoryEntry history_entry(TimePoint at, const Actor& actor, const std::string& action, std::optional<int> from,
                           std::optional<int> to, std::optional<int> step, const std::string& comment, json details) {
  HistoryEntry h;
  h.at = at;
  h.actor = actor.name.empty() ? actor.username : actor.name;
  h.title = actor.title;
  h.role = to_string(actor.role);
  h.unit = actor.unit;
  h.action = action;
  h.from_status = from;
  h.to_status = to;
  h.step = step;
  h.comment = comment;
  h.details = std::move(details);
  return h;
}

}  // namespace detail

}  // namespace lgsp::onestop
