// The procedures catalogue: versions imported once, never changed under the dossiers received under them.
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

namespace lgsp::onestop {
using namespace detail;

ImportSummary OneStopOffice::import_procedures(const std::vector<Procedure>& procedures) {
  ImportSummary out;
  TimePoint t = now();
  write([&](Repos& r) {
    for (const auto& p : procedures) {
      if (auto existing = r.procedures().version(p.code, p.version)) {
        if (to_json(*existing) == to_json(p)) {
          ++out.unchanged;
          continue;
        }
        // Rules a dossier was received under never change under it: a change is a new version.
        throw OnestopError(errors::kConflict, "procedure " + p.code + " version " + std::to_string(p.version) +
                                                  " was imported with other rules; give the change a new version");
      }
      r.procedures().insert(p, t);
      ++out.imported;
    }
  });
  return out;
}

std::optional<Procedure> OneStopOffice::procedure(const std::string& code, std::optional<Date> day) const {
  std::optional<Procedure> out;
  Date on = day.value_or(local_date(now()));
  read([&](Repos& r) { out = r.procedures().in_force(code, on); });
  return out;
}

std::optional<Procedure> OneStopOffice::procedure_version(const std::string& code, int version) const {
  std::optional<Procedure> out;
  read([&](Repos& r) { out = r.procedures().version(code, version); });
  return out;
}

std::vector<ImportedProcedure> OneStopOffice::procedure_versions(const std::string& code) const {
  std::vector<ImportedProcedure> out;
  read([&](Repos& r) { out = r.procedures().versions(code); });
  return out;
}

std::vector<Procedure> OneStopOffice::procedures() const {
  std::vector<Procedure> out;
  read([&](Repos& r) { out = r.procedures().latest(); });
  return out;
}

}  // namespace lgsp::onestop
