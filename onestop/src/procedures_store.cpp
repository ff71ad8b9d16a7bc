#include "lgsp/onestop/office.hpp"
#include "office_sql.hpp"

namespace lgsp::onestop {
using namespace detail;

nlohmann::json OneStopOffice::import_procedures(const std::vector<Procedure>& procedures) {
  int imported = 0, unchanged = 0;
  std::string at = format_local_rfc3339(now());
  store_
      .write([&](Transaction& tx) {
        for (const auto& p : procedures) {
          std::string body = to_json(p).dump();
          auto rows = query(tx, "SELECT body FROM procedures WHERE code = ? AND version = ?",
                            {text(p.code), integer(p.version)});
          if (!rows.empty()) {
            if (nlohmann::json::parse(str(rows[0][0])) == nlohmann::json::parse(body)) {
              ++unchanged;
              continue;
            }
            // Rules a dossier was received under never change under it: a change is a new version.
            throw OnestopError(errors::kConflict, "procedure " + p.code + " version " + std::to_string(p.version) +
                                                      " was imported with other rules; give the change a new version");
          }
          exec(tx,
               "INSERT INTO procedures(code, version, effective_from, name, body, imported_at) VALUES (?,?,?,?,?,?)",
               {text(p.code), integer(p.version), text(format_date(p.effective_from)), text(p.name), text(body),
                text(at)});
          ++imported;
        }
      })
      .get();
  return {{"imported", imported}, {"unchanged", unchanged}};
}

std::optional<Procedure> OneStopOffice::procedure(const std::string& code, std::optional<Date> day) const {
  std::optional<Procedure> out;
  std::string on = format_date(day.value_or(local_date(now())));
  store_.read([&](Transaction& tx) {
    auto rows = query(tx,
                      "SELECT body FROM procedures WHERE code = ? AND effective_from <= ? "
                      "ORDER BY version DESC LIMIT 1",
                      {text(code), text(on)});
    if (!rows.empty()) out = procedure_from_json(nlohmann::json::parse(str(rows[0][0])));
  });
  return out;
}

std::optional<Procedure> OneStopOffice::procedure_version(const std::string& code, int version) const {
  std::optional<Procedure> out;
  store_.read([&](Transaction& tx) {
    auto rows = query(tx, "SELECT body FROM procedures WHERE code = ? AND version = ?", {text(code), integer(version)});
    if (!rows.empty()) out = procedure_from_json(nlohmann::json::parse(str(rows[0][0])));
  });
  return out;
}

std::vector<Procedure> OneStopOffice::procedures() const {
  std::vector<Procedure> out;
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(tx,
                               "SELECT p.body FROM procedures p WHERE p.version = "
                               "(SELECT MAX(version) FROM procedures q WHERE q.code = p.code) ORDER BY p.code"))
      out.push_back(procedure_from_json(nlohmann::json::parse(str(r[0]))));
  });
  return out;
}

}  // namespace lgsp::onestop
