// Forms 01-07 filled from what the office recorded: the dossier view of OneStopOffice::form_data and the
// register rows. The history is the source: the last supplement request makes form 02, the last extension 04...
#include "lgsp/onestop/dossier_forms.hpp"

#include "lgsp/onestop/errors.hpp"
#include "vietnamese_text.hpp"

#include <algorithm>

namespace lgsp::onestop {
using detail::upper_vi;
using nlohmann::json;

namespace {

TimePoint t(const json& v) { return *parse_rfc3339(v.get<std::string>()); }

FormHeader header(const json& office, TimePoint issued) {
  FormHeader h;
  h.parent_agency_name = upper_vi(office.value("parent_name", ""));
  h.agency_name = upper_vi(office.value("name", ""));
  h.place = office.value("place", "");
  h.issued_at = issued;
  return h;
}

Applicant applicant(const json& d) {
  const auto& a = d["applicant"];
  return Applicant{a.value("full_name", ""), a.value("permanent_address", a.value("address", "")), a.value("phone", ""),
                   a.value("email", "")};
}

// The last history entry of `action`, or a refusal naming what is missing.
const json& last(const json& d, const std::string& action, const std::string& form) {
  const auto& h = d["history"];
  for (auto it = h.rbegin(); it != h.rend(); ++it)
    if ((*it)["action"] == action) return *it;
  throw OnestopError(errors::kConflict, "form " + form + " needs a '" + action + "' in the history of dossier " +
                                            d["code"].get<std::string>());
}

std::string days_text(double days) {
  char buf[32];
  if (days == static_cast<long>(days))
    std::snprintf(buf, sizeof buf, "%02ld ngày làm việc", static_cast<long>(days));
  else
    std::snprintf(buf, sizeof buf, "%.1f ngày làm việc", days);
  std::string s = buf;
  std::replace(s.begin(), s.end(), '.', ',');  // Vietnamese decimal comma
  return s;
}

}  // namespace

std::vector<unsigned char> dossier_form(const json& d, const std::string& form, TimePoint now,
                                        const RenderOptions& options) {
  const auto& office = d["office"];
  FormHeader h = header(office, now);
  std::string code = d["code"];
  std::string procedure = d["procedure"]["name"];
  TimePoint received = t(d["received_at"]);
  const json& first = d["history"].at(0);
  // What every dossier form carries, issued at `issued`.
  auto common = [&](auto& f, TimePoint issued) {
    f.header = h;
    f.header.issued_at = issued;
    f.dossier_code = code;
    f.applicant = applicant(d);
    f.procedure_name = procedure;
    f.received_at = received;
  };
  if (form == "01") {
    ReceiptSlip f;
    common(f, received);
    for (const auto& doc : d["documents"])
      if (doc["kind"] == "submitted") f.documents.push_back({doc["name"], 1, 0});
    if (d.contains("procedure_rules"))
      f.processing_time = days_text(d["procedure_rules"].value("processing_days", 0.0));
    f.due_at = t(d["due_at"]);
    f.result_delivery = "Tại Bộ phận Một cửa " + office.value("name", "") + " hoặc trên Cổng Dịch vụ công";
    f.lookup_url = office.value("public_url", "") + "/onestop/v1/lookup/" + code;
    f.receiving_officer.name = first.value("actor", "");
    return render(f, options);
  }
  if (form == "02") {
    const auto& asked = last(d, "request_supplement", form);
    SupplementRequest f;
    common(f, t(asked["at"]));
    for (const auto& item : asked["details"]["items"]) {
      std::string s = item;
      auto colon = s.find(": ");
      f.items.push_back(colon == std::string::npos ? SupplementItem{s, asked["details"].value("reason", "")}
                                                   : SupplementItem{s.substr(0, colon), s.substr(colon + 2)});
    }
    f.contact = "Bộ phận Một cửa " + office.value("name", "");
    f.officer.name = asked.value("actor", "");
    return render(f, options);
  }
  if (form == "03") {
    const auto& refused = last(d, "refuse", form);
    RefusalSlip f;
    common(f, t(refused["at"]));
    for (const auto& r : refused["details"]["reasons"]) f.reasons.push_back(r);
    f.officer.name = refused.value("actor", "");
    return render(f, options);
  }
  if (form == "04") {
    const auto& ext = last(d, "extend", form);
    ApologyLetter f;
    common(f, t(ext["at"]));
    f.original_due_at = t(ext["details"]["previous_due_at"]);
    f.new_due_at = t(ext["details"]["new_due_at"]);
    f.reason = ext["details"].value("reason", "");
    f.head.name = ext.value("actor", "");
    return render(f, options);
  }
  if (form == "05") {
    const json* stop = nullptr;
    for (const auto& e : d["history"])
      if (e["action"] == "stop" || e["action"] == "approve_withdrawal") stop = &e;
    if (!stop) last(d, "stop", form);  // throws the refusal
    StopNotice f;
    common(f, t((*stop)["at"]));
    f.stopped_at = t((*stop)["at"]);
    std::string reason;
    if ((*stop)["details"].contains("reasons"))
      for (const auto& r : (*stop)["details"]["reasons"]) reason += (reason.empty() ? "" : "; ") + r.get<std::string>();
    if (reason.empty()) reason = "Theo đề nghị rút hồ sơ của người nộp. " + (*stop).value("comment", "");
    f.reason = reason;
    f.head.name = (*stop).value("actor", "");
    return render(f, options);
  }
  if (form == "06") {
    ControlSlip f;
    common(f, now);
    f.due_at = t(d["due_at"]);
    const auto& steps = d["steps"];
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& s = steps[i];
      if (!s.contains("started_at")) continue;
      HandOver ho;
      ho.step = s["name"];
      ho.from = s.value("handed_by", "") + (s.value("handed_by", "").empty() ? "" : " - ") + s.value("unit_name", "");
      ho.to = i + 1 < steps.size() ? steps[i + 1].value("unit_name", "") : "Bộ phận Một cửa";
      ho.handed_at = s.contains("finished_at") ? t(s["finished_at"]) : t(s["started_at"]);
      ho.due_at = t(s["due_at"]);
      if (s.contains("finished_at")) ho.finished_at = t(s["finished_at"]);
      f.hand_overs.push_back(std::move(ho));
    }
    return render(f, options);
  }
  throw OnestopError(errors::kNotFound, "no form '" + form + "' for a dossier (01 to 06; 07 is the register)");
}

std::vector<unsigned char> register_form(const AgencyConfig& agency, Date from, Date to, const json& rows,
                                         TimePoint now, const RenderOptions& options) {
  DossierRegister f;
  f.header = header({{"name", agency.name}, {"parent_name", agency.parent_name}, {"place", agency.place}}, now);
  f.period_from = from;
  f.period_to = to;
  for (const auto& r : rows) {
    RegisterEntry e;
    e.dossier_code = r["code"];
    e.applicant_name = r.value("applicant_name", "");
    e.procedure_name = r["procedure_name"];
    e.received_at = t(r["received_at"]);
    e.due_at = t(r["due_at"]);
    if (!r["finished_at"].is_null()) e.finished_at = t(r["finished_at"]);
    e.status = r["status_name"];
    f.entries.push_back(std::move(e));
  }
  return render(f, options);
}

}  // namespace lgsp::onestop
