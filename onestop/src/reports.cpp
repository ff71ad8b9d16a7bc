// What leaders are judged on: received, resolved early / on time / late (against the original due time, which
// an apology letter does not move), overdue now; and the register of dossiers (form 07).
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

#include <map>

namespace lgsp::onestop {
using namespace detail;

FormData OneStopOffice::form_data(const std::string& code) const {
  FormData out;
  out.dossier = dossier(module_actor(), code);
  if (auto p = procedure_version(out.dossier.procedure_code, out.dossier.procedure_version))
    out.procedure_rules = to_json(*p);
  return out;
}

std::vector<RegisterRow> OneStopOffice::register_rows(TimePoint from, TimePoint to, const std::string& unit) const {
  std::vector<RegisterRow> rows;
  read([&](Repos& r) { rows = r.dossiers().received_between(from, to, unit); });
  for (auto& row : rows)
    if (row.finished_at) row.timeliness = WorkingCalendar::classify(row.original_due_at, *row.finished_at);
  return rows;
}

Report OneStopOffice::report(TimePoint from, TimePoint to, const std::string& unit) const {
  std::map<std::pair<std::string, std::string>, ReportLine> lines;
  TimePoint t = now();
  std::vector<DossierRecord> dossiers;
  read([&](Repos& r) { dossiers = r.dossiers().for_report(from, to, unit); });
  for (const auto& d : dossiers) {
    auto& line = lines[{d.agency, d.procedure_code}];
    line.unit = d.agency;
    line.procedure_code = d.procedure_code;
    line.procedure_name = d.procedure_name;
    if (d.received_at >= from && d.received_at < to) ++line.received;
    if (d.finished_at) {
      TimePoint done = *d.finished_at;
      bool resolved = d.status == DossierStatus::kFinished || d.status == DossierStatus::kResultDelivered;
      if (resolved && done >= from && done < to) {
        switch (WorkingCalendar::classify(d.original_due_at, done)) {
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
    } else if (d.received_at < to) {
      ++line.in_progress;
      if (t > d.due_at) ++line.overdue_now;
    }
  }
  Report out{from, to, unit, {}};
  for (auto& [key, l] : lines) out.lines.push_back(std::move(l));
  return out;
}

}  // namespace lgsp::onestop
