// What leaders are judged on: received, resolved early / on time / late (against the original due time, which
// an apology letter does not move), overdue now; and the register of dossiers (form 07).
#include "dossier_row.hpp"
#include "lgsp/onestop/office.hpp"

#include <map>

namespace lgsp::onestop {
using namespace detail;
using nlohmann::json;

json OneStopOffice::form_data(const std::string& code) const {
  json d = dossier(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code);
  if (auto p = procedure_version(d["procedure"]["code"], d["procedure"]["version"])) d["procedure_rules"] = to_json(*p);
  d["office"] = {{"code", agency_.code},
                 {"name", agency_.name},
                 {"parent_name", agency_.parent_name},
                 {"place", agency_.place},
                 {"public_url", agency_.public_url}};
  return d;
}

json OneStopOffice::register_rows(TimePoint from, TimePoint to, const std::string& unit) const {
  json rows = json::array();
  std::string sql =
      "SELECT code, json_extract(applicant, '$.full_name'), procedure_code, procedure_name, received_at, due_at, "
      "finished_at, status, original_due_at, agency FROM dossiers WHERE received_at >= ? AND received_at < ?";
  Params p{text(format_local_rfc3339(from)), text(format_local_rfc3339(to))};
  if (!unit.empty()) {
    sql += " AND agency = ?";
    p.push_back(text(unit));
  }
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx, sql + " ORDER BY received_at, code", p)) {
      auto st = *status_from_code(static_cast<int>(num(r[7])));
      json row = {{"code", str(r[0])},
                  {"applicant_name", str(r[1])},
                  {"procedure_code", str(r[2])},
                  {"procedure_name", str(r[3])},
                  {"received_at", str(r[4])},
                  {"due_at", str(r[5])},
                  {"finished_at", json_or_null(r[6])},
                  {"status", code_of(st)},
                  {"status_name", std::string(name_vi(st))},
                  {"unit", str(r[9])}};
      if (!is_null(r[6])) row["timeliness"] = to_string(WorkingCalendar::classify(time_of(r[8]), time_of(r[6])));
      rows.push_back(std::move(row));
    }
  });
  return rows;
}

json OneStopOffice::report(TimePoint from, TimePoint to, const std::string& unit) const {
  struct Line {
    std::string unit, procedure_code, procedure_name;
    long received = 0, early = 0, on_time = 0, late = 0, overdue_now = 0, in_progress = 0;
  };
  std::map<std::pair<std::string, std::string>, Line> lines;
  TimePoint t = now();
  std::string f = format_local_rfc3339(from), e = format_local_rfc3339(to);
  store_.read([&](Transaction& tx) {
    std::string sql =
        "SELECT agency, procedure_code, procedure_name, received_at, due_at, original_due_at, finished_at, status "
        "FROM dossiers WHERE (received_at >= ? AND received_at < ?) OR (finished_at >= ? AND finished_at < ?) OR "
        "(finished_at IS NULL AND received_at < ?)";
    Params p{text(f), text(e), text(f), text(e), text(e)};
    if (!unit.empty()) {
      sql = "SELECT * FROM (" + sql + ") WHERE agency = ?";
      p.push_back(text(unit));
    }
    for (const auto& r : query(tx, sql, p)) {
      auto& line = lines[{str(r[0]), str(r[1])}];
      line.unit = str(r[0]);
      line.procedure_code = str(r[1]);
      line.procedure_name = str(r[2]);
      TimePoint received = time_of(r[3]);
      if (received >= from && received < to) ++line.received;
      auto st = *status_from_code(static_cast<int>(num(r[7])));
      if (!is_null(r[6])) {
        TimePoint done = time_of(r[6]);
        bool resolved = st == DossierStatus::kFinished || st == DossierStatus::kResultDelivered;
        if (resolved && done >= from && done < to) {
          switch (WorkingCalendar::classify(time_of(r[5]), done)) {
            case Timeliness::kEarly:
              ++line.early;
              break;
            case Timeliness::kOnTime:
              ++line.on_time;
              break;
            case Timeliness::kLate:
              ++line.late;
              break;
          }
        }
      } else if (received < to) {
        ++line.in_progress;
        if (t > time_of(r[4])) ++line.overdue_now;
      }
    }
  });
  json out = json::array();
  for (const auto& [key, l] : lines) {
    long resolved = l.early + l.on_time + l.late;
    out.push_back({{"unit", l.unit},
                   {"procedure_code", l.procedure_code},
                   {"procedure_name", l.procedure_name},
                   {"received", l.received},
                   {"resolved", resolved},
                   {"resolved_early", l.early},
                   {"resolved_on_time", l.on_time},
                   {"resolved_late", l.late},
                   {"in_progress", l.in_progress},
                   {"overdue_now", l.overdue_now},
                   {"on_time_rate", resolved ? json(double(l.early + l.on_time) / double(resolved)) : json()}});
  }
  return {{"from", f}, {"to", e}, {"unit", unit.empty() ? json() : json(unit)}, {"lines", out}};
}

}  // namespace lgsp::onestop
