// Inter-agency steps (liên thông) over the bus, and the outboxes read by the bus sender and the national-portal
// sync job.
#include "dossier_row.hpp"
#include "events.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"

#include <algorithm>

namespace lgsp::onestop {
using namespace detail;
using nlohmann::json;

json OneStopOffice::portal_outbox(std::int64_t after_id, int limit, const std::string& unit) const {
  json out = json::array();
  // `unit`: only the records of that unit's dossiers (an outbox record names its dossier).
  std::string sql = "SELECT id, at, dossier_code, service, record, synced_at FROM portal_outbox o WHERE id > ?";
  Params p{integer(after_id)};
  if (!unit.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM dossiers d WHERE d.code = o.dossier_code AND d.agency = ?)";
    p.push_back(text(unit));
  }
  p.push_back(integer(limit));
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx, sql + " ORDER BY id LIMIT ?", p))
      out.push_back({{"id", num(r[0])},
                     {"at", str(r[1])},
                     {"dossier_code", str(r[2])},
                     {"service", str(r[3])},
                     {"record", json::parse(str(r[4]))},
                     {"synced_at", json_or_null(r[5])}});
  });
  return out;
}

std::optional<std::string> OneStopOffice::portal_file(const std::string& sha256) const {
  std::optional<std::string> media_type;
  store_.read([&](Transaction& tx) {
    // The kinds a DongBoHoSoMC record lists (submitted, supplement, result), of a dossier whose records go to
    // the portal: forms, seals and other agencies' dossiers are not shared by link.
    auto r = query(tx,
                   "SELECT d.media_type FROM dossier_documents d WHERE d.sha256 = ? "
                   "AND d.kind IN ('submitted', 'supplement', 'result') "
                   "AND EXISTS (SELECT 1 FROM portal_outbox o WHERE o.dossier_code = d.dossier_code) LIMIT 1",
                   {text(sha256)});
    if (!r.empty()) media_type = str(r[0][0]);
  });
  return media_type;
}

std::vector<std::pair<std::int64_t, OutgoingMessage>> OneStopOffice::due_bus_messages(int limit) const {
  std::vector<std::pair<std::int64_t, OutgoingMessage>> out;
  std::string t = format_local_rfc3339(now());
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx, kDueBusMessagesSql, {text(t), integer(limit)}))
      out.push_back({num(r[0]), OutgoingMessage{str(r[1]), str(r[2]), str(r[3]), json::parse(str(r[4]))}});
  });
  return out;
}

void OneStopOffice::mark_bus_message(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry) {
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        if (sent)
          exec(tx, "UPDATE bus_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
               {text(format_local_rfc3339(t)), integer(id)});
        else {
          auto rows = query(tx, "SELECT attempts FROM bus_outbox WHERE id = ?", {integer(id)});
          auto attempts = rows.empty() ? 0 : num(rows[0][0]);
          auto wait = std::min<std::chrono::seconds>(retry * (std::int64_t{1} << std::min<std::int64_t>(attempts, 10)),
                                                     std::chrono::hours(1));
          exec(tx, "UPDATE bus_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
               {text(error), text(format_local_rfc3339(t + wait)), integer(id)});
        }
      })
      .get();
}

json OneStopOffice::bus_outbox(bool pending_only, std::int64_t after_id, int limit, const std::string& unit) const {
  json out = json::array();
  std::string sql =
      "SELECT id, service, message_id, conversation_id, created_at, sent_at, attempts, last_error, next_attempt_at "
      "FROM bus_outbox o WHERE id > ?";
  Params p{integer(after_id)};
  if (pending_only) sql += " AND sent_at IS NULL";
  if (!unit.empty()) {  // a bus message's conversation is its dossier
    sql += " AND EXISTS (SELECT 1 FROM dossiers d WHERE d.code = o.conversation_id AND d.agency = ?)";
    p.push_back(text(unit));
  }
  p.push_back(integer(limit));
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx, sql + " ORDER BY id LIMIT ?", p))
      out.push_back({{"id", num(r[0])},
                     {"service", str(r[1])},
                     {"message_id", str(r[2])},
                     {"conversation_id", str(r[3])},
                     {"created_at", str(r[4])},
                     {"sent_at", json_or_null(r[5])},
                     {"attempts", num(r[6])},
                     {"last_error", json_or_null(r[7])},
                     {"next_attempt_at", str(r[8])}});
  });
  return out;
}

namespace {

// "000.00.21.H29/MOTCUA" speaks for agency 000.00.21.H29 only.
std::string member_of(const std::string& client) { return client.substr(0, client.find('/')); }

Actor remote_actor(const std::string& name, const std::string& title, const std::string& unit) {
  return Actor{"bus", name, title, Role::kRemote, unit, ""};
}

}  // namespace

json OneStopOffice::receive(const std::string& kind, const std::string& message_id, const std::string& client,
                            const json& payload) {
  json outcome;
  TimePoint t = now();
  store_
      .write([&](Transaction& tx) {
        if (!query(tx, "SELECT 1 FROM bus_inbox WHERE message_id = ?", {text(message_id)}).empty()) {
          outcome = {{"duplicate", true}};
          return;
        }
        std::string code = payload.value("dossier_code", "");
        std::string sender = member_of(client);
        if (kind == "submission") {
          if (payload.value("from_unit", "") != sender || payload.value("to_unit", "") != agency_.code)
            throw OnestopError(errors::kForbidden, client + " may not send a step of " +
                                                       payload.value("from_unit", "?") + " to " +
                                                       payload.value("to_unit", "?"));
          const json& step = payload.at("step");
          auto existing = load_dossier(tx, code);
          DossierRow d;
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
          if (existing)
            save_dossier(tx, d, t);
          else
            insert_dossier(tx, d, d.applicant.value("id_number", ""), d.applicant.value("phone", ""), t);
          StepRow s;
          s.index = d.current_step;
          s.name = step.value("name", "");
          s.unit = agency_.code;
          s.unit_name = agency_.name;
          s.due_at = *due;
          s.started_at = t;
          save_step(tx, code, s);
          for (const auto& doc : payload.at("documents"))
            add_document(tx, code, "submitted",
                         {{"code", "LT"},
                          {"name", doc.at("name")},
                          {"sha256", doc.at("sha256")},
                          {"media_type", doc.at("media_type")},
                          {"size", doc.at("size")},
                          {"url", doc.value("url", "")}},
                         t);
          Actor from = remote_actor("LGSP " + sender, "", sender);
          record_history(tx, code, t, from, "receive_interagency", std::nullopt, code_of(d.status), d.current_step,
                         payload.value("note", ""), {{"from_unit", sender}, {"message_id", message_id}});
          emit_change(tx, agency_, d, Actor{"system", agency_.name, "", Role::kSystem, agency_.code, ""},
                      "Đã tiếp nhận hồ sơ liên thông", t, true);
          outcome = {{"dossier_code", code}, {"created", !existing}};
        } else if (kind == "status" || kind == "result") {
          std::string unit = kind == "status" ? payload.value("unit", "") : payload.at("signed_by").value("unit", "");
          if (unit != sender) throw OnestopError(errors::kForbidden, client + " may not report for " + unit);
          DossierRow d = need_dossier(tx, code);
          if (d.incoming()) throw OnestopError(errors::kConflict, "dossier " + code + " did not start here");
          auto steps = load_steps(tx, code);
          auto cur =
              std::find_if(steps.begin(), steps.end(), [&](const StepRow& s) { return s.index == d.current_step; });
          bool has_step = std::any_of(steps.begin(), steps.end(), [&](const StepRow& s) { return s.unit == sender; });
          if (!has_step) throw OnestopError(errors::kForbidden, sender + " has no step in dossier " + code);
          if (kind == "status") {
            Actor from =
                remote_actor(payload.at("actor").value("name", sender), payload.at("actor").value("title", ""), sender);
            record_history(
                tx, code, t, from, "remote_status", code_of(d.status), code_of(d.status),
                payload.value("step_index", d.current_step), payload.value("comment", ""),
                {{"remote_status", payload.at("status")}, {"unit", sender}, {"changed_at", payload.at("changed_at")}});
            outcome = {{"dossier_code", code}, {"recorded", true}};
          } else {
            if (cur == steps.end() || cur->unit != sender)
              throw OnestopError(errors::kConflict, "dossier " + code + " has no step waiting at " + sender +
                                                        " (its step " + std::to_string(d.current_step) + " is at " +
                                                        d.current_unit + ")");
            auto finished = parse_rfc3339(payload.value("finished_at", "")).value_or(t);
            for (const auto& doc : payload.at("result_documents"))
              add_document(tx, code, "remote_result",
                           {{"code", "KQLT"},
                            {"name", doc.at("name")},
                            {"sha256", doc.at("sha256")},
                            {"media_type", doc.at("media_type")},
                            {"size", doc.at("size")},
                            {"signature_format", doc.at("signature_format")},
                            {"signer", payload.at("signed_by").value("name", "")}},
                           finished);
            std::string result = payload.value("outcome", "approved");
            const json& by = payload.at("signed_by");
            Actor from = remote_actor(by.value("name", sender), by.value("title", ""), sender);
            cur->finished_at = finished;
            cur->handed_by = from.name;
            cur->result = to_string(WorkingCalendar::classify(cur->due_at, finished));
            save_step(tx, code, *cur);
            json details = {{"outcome", result}, {"unit", sender}, {"timeliness", cur->result}};
            if (payload.contains("reasons")) details["reasons"] = payload.at("reasons");
            auto next = std::find_if(steps.begin(), steps.end(),
                                     [&](const StepRow& s) { return s.index == d.current_step + 1; });
            // Paused, finished or stopped here meanwhile: the result is recorded, the dossier does not move.
            bool movable = d.status == DossierStatus::kProcessing || d.status == DossierStatus::kAccepted;
            if (!movable) details["not_advanced"] = std::string("dossier is ") + std::string(name_en(d.status));
            if (movable && result == "approved" && next != steps.end()) {
              next->started_at = t;
              save_step(tx, code, *next);
              d.current_step = next->index;
              d.current_unit = next->unit;
              if (next->unit != agency_.code)
                enqueue_message(
                    tx,
                    {onestop_service(next->unit, "submission"), code + "-step-" + std::to_string(next->index), code,
                     submission_payload(tx, agency_, d, *next, "")},
                    t);
            } else {
              // Refused or stopped there (or nothing left to do): the dossier comes home for a decision.
              d.current_unit = agency_.code;
            }
            save_dossier(tx, d, t);
            record_history(tx, code, t, from, "remote_result", code_of(d.status), code_of(d.status), cur->index,
                           result == "approved" ? "Đã có kết quả liên thông" : "Cơ quan liên thông: " + result,
                           details);
            emit_change(tx, agency_, d, from, "Kết quả liên thông từ " + sender, t, false);
            outcome = {{"dossier_code", code}, {"step", cur->index}, {"outcome", result}};
          }
        } else {
          throw OnestopError(errors::kNotFound, "no inbox '" + kind + "'");
        }
        exec(tx,
             "INSERT INTO bus_inbox(message_id, service, client, received_at, payload, outcome) VALUES (?,?,?,?,?,?)",
             {text(message_id), text(kind), text(client), text(format_local_rfc3339(t)), text(payload.dump()),
              text(outcome.dump())});
      })
      .get();
  return outcome;
}

}  // namespace lgsp::onestop
