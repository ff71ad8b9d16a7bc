// Inter-agency steps (liên thông) over the bus, and the outboxes read by the bus sender and the national-portal
// sync job.
#include "events.hpp"
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"
#include "office_unit.hpp"

#include <algorithm>

namespace lgsp::onestop {
using namespace detail;
using nlohmann::json;

std::vector<PortalRecord> OneStopOffice::portal_outbox(std::int64_t after_id, int limit,
                                                       const std::string& unit) const {
  std::vector<PortalRecord> out;
  read([&](Repos& r) { out = r.portal_outbox().after(after_id, limit, unit); });
  return out;
}

std::optional<std::string> OneStopOffice::portal_file(const std::string& sha256) const {
  std::optional<std::string> media_type;
  // The kinds a DongBoHoSoMC record lists (submitted, supplement, result), of a dossier whose records go to the
  // portal: forms, seals and other agencies' dossiers are not shared by link.
  read([&](Repos& r) { media_type = r.dossiers().portal_document_type(sha256); });
  return media_type;
}

std::vector<std::pair<std::int64_t, OutgoingMessage>> OneStopOffice::due_bus_messages(int limit) const {
  std::vector<std::pair<std::int64_t, OutgoingMessage>> out;
  TimePoint t = now();
  read([&](Repos& r) {
    for (auto& e : r.bus_outbox().due(t, limit))
      out.push_back({e.id, OutgoingMessage{e.service, e.message_id, e.conversation_id, std::move(e.payload)}});
  });
  return out;
}

std::vector<std::pair<std::int64_t, OutgoingMessage>> OneStopOffice::claim_bus_messages(int limit,
                                                                                        const std::string& owner,
                                                                                        std::chrono::seconds lease) {
  std::vector<std::pair<std::int64_t, OutgoingMessage>> out;
  TimePoint t = now();
  write([&](Repos& r) {
    out.clear();
    for (auto& e : r.bus_outbox().claim_due(t, limit, owner, t + lease))
      out.push_back({e.id, OutgoingMessage{e.service, e.message_id, e.conversation_id, std::move(e.payload)}});
  });
  return out;
}

void OneStopOffice::mark_bus_message(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry) {
  TimePoint t = now();
  write([&](Repos& r) {
    if (sent) {
      r.bus_outbox().mark_sent(id, t);
      return;
    }
    auto entry = r.bus_outbox().find(id);
    auto attempts = entry ? entry->attempts : 0;
    auto wait = std::min<std::chrono::seconds>(retry * (std::int64_t{1} << std::min<std::int64_t>(attempts, 10)),
                                               std::chrono::hours(1));
    r.bus_outbox().mark_failed(id, error, t + wait);
  });
}

std::vector<BusOutboxEntry> OneStopOffice::bus_outbox(bool pending_only, std::int64_t after_id, int limit,
                                                      const std::string& unit) const {
  std::vector<BusOutboxEntry> out;
  read([&](Repos& r) { out = r.bus_outbox().after(pending_only, after_id, limit, unit); });
  return out;
}

namespace {

// "000.00.21.H29/MOTCUA" speaks for agency 000.00.21.H29 only.
std::string member_of(const std::string& client) { return client.substr(0, client.find('/')); }

Actor remote_actor(const std::string& name, const std::string& title, const std::string& unit) {
  return Actor{"bus", name, title, Role::kRemote, unit, ""};
}

}  // namespace

ReceiveOutcome OneStopOffice::receive(const std::string& kind, const std::string& message_id, const std::string& client,
                                      const json& payload) {
  ReceiveOutcome outcome;
  TimePoint t = now();
  write([&](Repos& r) {
    if (r.bus_outbox().received(message_id)) {
      outcome.duplicate = true;
      return;
    }
    std::string code = payload.value("dossier_code", "");
    std::string sender = member_of(client);
    if (kind == "submission") {
      if (payload.value("from_unit", "") != sender || payload.value("to_unit", "") != agency_.code)
        throw OnestopError(errors::kForbidden, client + " may not send a step of " + payload.value("from_unit", "?") +
                                                   " to " + payload.value("to_unit", "?"));
      const json& step = payload.at("step");
      auto existing = r.dossiers().find(code);
      DossierRecord d;
      if (existing) {
        d = *existing;
        if (!d.incoming() || d.origin_agency != sender)
          throw OnestopError(errors::kConflict, "dossier " + code + " exists here and is not " + sender + "'s");
      } else {
        d.code = code;
        d.agency = agency_.code;
        d.origin_agency = sender;
        d.procedure_code = payload.at("procedure").at("code");
        d.procedure_version = payload.at("procedure").at("version");
        d.procedure_name = payload.at("procedure").at("name");
        d.applicant = payload.at("applicant");
        // The sender's customer code means nothing here (another office's numbering): kept in the applicant
        // data as home_customer_code, never matched against this office's citizens.
        if (d.applicant.contains("customer_code")) {
          d.applicant["home_customer_code"] = d.applicant["customer_code"];
          d.applicant.erase("customer_code");
        }
        d.channel = 1;
        d.received_by = "LGSP";
      }
      auto due = parse_rfc3339(step.value("due_at", ""));
      if (!due) throw OnestopError(errors::kInvalid, "step.due_at is not a time");
      d.status = DossierStatus::kAccepted;
      d.pause_stack.clear();
      d.received_at = t;
      d.due_at = d.original_due_at = *due;
      d.finished_at.reset();
      d.current_step = step.at("index");
      d.current_unit = agency_.code;
      if (existing) {
        r.dossiers().update(d, t);
      } else {
        d.id_number = d.applicant.value("id_number", "");
        d.phone = d.applicant.value("phone", "");
        r.dossiers().insert(d, t);
      }
      DossierStep s;
      s.index = d.current_step;
      s.name = step.value("name", "");
      s.unit = agency_.code;
      s.unit_name = agency_.name;
      s.due_at = *due;
      s.started_at = t;
      r.dossiers().save_step(code, s);
      for (const auto& doc : payload.at("documents")) {
        DossierDocument added;
        added.kind = "submitted";
        added.code = "LT";
        added.name = doc.at("name").get<std::string>();
        added.sha256 = doc.at("sha256").get<std::string>();
        added.media_type = doc.at("media_type").get<std::string>();
        added.size = doc.at("size").get<std::int64_t>();
        added.url = doc.value("url", "");
        added.added_at = t;
        r.dossiers().add_document(code, added);
      }
      Actor from = remote_actor("LGSP " + sender, "", sender);
      r.dossiers().add_history(
          code, history_entry(t, from, "receive_interagency", std::nullopt, code_of(d.status), d.current_step,
                              payload.value("note", ""), {{"from_unit", sender}, {"message_id", message_id}}));
      emit_change(r, agency_, d, Actor{"system", agency_.name, "", Role::kSystem, agency_.code, ""},
                  "Đã tiếp nhận hồ sơ liên thông", t, true);
      outcome.dossier_code = code;
      outcome.created = !existing;
    } else if (kind == "status" || kind == "result") {
      std::string unit = kind == "status" ? payload.value("unit", "") : payload.at("signed_by").value("unit", "");
      if (unit != sender) throw OnestopError(errors::kForbidden, client + " may not report for " + unit);
      DossierRecord d = need_dossier(r, code);
      if (d.incoming()) throw OnestopError(errors::kConflict, "dossier " + code + " did not start here");
      auto steps = r.dossiers().steps(code);
      auto cur =
          std::find_if(steps.begin(), steps.end(), [&](const DossierStep& s) { return s.index == d.current_step; });
      bool has_step = std::any_of(steps.begin(), steps.end(), [&](const DossierStep& s) { return s.unit == sender; });
      if (!has_step) throw OnestopError(errors::kForbidden, sender + " has no step in dossier " + code);
      if (kind == "status") {
        Actor from =
            remote_actor(payload.at("actor").value("name", sender), payload.at("actor").value("title", ""), sender);
        r.dossiers().add_history(
            code,
            history_entry(
                t, from, "remote_status", code_of(d.status), code_of(d.status),
                payload.value("step_index", d.current_step), payload.value("comment", ""),
                {{"remote_status", payload.at("status")}, {"unit", sender}, {"changed_at", payload.at("changed_at")}}));
        outcome.dossier_code = code;
        outcome.recorded = true;
      } else {
        if (cur == steps.end() || cur->unit != sender)
          throw OnestopError(errors::kConflict, "dossier " + code + " has no step waiting at " + sender +
                                                    " (its step " + std::to_string(d.current_step) + " is at " +
                                                    d.current_unit + ")");
        auto finished = parse_rfc3339(payload.value("finished_at", "")).value_or(t);
        for (const auto& doc : payload.at("result_documents")) {
          DossierDocument added;
          added.kind = "remote_result";
          added.code = "KQLT";
          added.name = doc.at("name").get<std::string>();
          added.sha256 = doc.at("sha256").get<std::string>();
          added.media_type = doc.at("media_type").get<std::string>();
          added.size = doc.at("size").get<std::int64_t>();
          added.signature_format = doc.at("signature_format").get<std::string>();
          added.signer = payload.at("signed_by").value("name", "");
          added.added_at = finished;
          r.dossiers().add_document(code, added);
        }
        std::string result = payload.value("outcome", "approved");
        const json& by = payload.at("signed_by");
        Actor from = remote_actor(by.value("name", sender), by.value("title", ""), sender);
        cur->finished_at = finished;
        cur->handed_by = from.name;
        cur->result = to_string(WorkingCalendar::classify(cur->due_at, finished));
        r.dossiers().save_step(code, *cur);
        json details = {{"outcome", result}, {"unit", sender}, {"timeliness", cur->result}};
        if (payload.contains("reasons")) details["reasons"] = payload.at("reasons");
        auto next = std::find_if(steps.begin(), steps.end(),
                                 [&](const DossierStep& s) { return s.index == d.current_step + 1; });
        // Paused, finished or stopped here meanwhile: the result is recorded, the dossier does not move.
        bool movable = d.status == DossierStatus::kProcessing || d.status == DossierStatus::kAccepted;
        if (!movable) details["not_advanced"] = std::string("dossier is ") + std::string(name_en(d.status));
        if (movable && result == "approved" && next != steps.end()) {
          next->started_at = t;
          r.dossiers().save_step(code, *next);
          d.current_step = next->index;
          d.current_unit = next->unit;
          if (next->unit != agency_.code)
            enqueue_message(r,
                            {onestop_service(next->unit, "submission"), code + "-step-" + std::to_string(next->index),
                             code, submission_payload(r, agency_, d, *next, "")},
                            t);
        } else {
          // Refused or stopped there (or nothing left to do): the dossier comes home for a decision.
          d.current_unit = agency_.code;
        }
        r.dossiers().update(d, t);
        r.dossiers().add_history(
            code, history_entry(t, from, "remote_result", code_of(d.status), code_of(d.status), cur->index,
                                result == "approved" ? "Đã có kết quả liên thông" : "Cơ quan liên thông: " + result,
                                details));
        emit_change(r, agency_, d, from, "Kết quả liên thông từ " + sender, t, false);
        outcome.dossier_code = code;
        outcome.step = cur->index;
        outcome.outcome = result;
      }
    } else {
      throw OnestopError(errors::kNotFound, "no inbox '" + kind + "'");
    }
    // Kept as the API answered it.
    r.bus_outbox().record_received(message_id, kind, client, t, payload, to_json(outcome));
  });
  return outcome;
}

}  // namespace lgsp::onestop
