// Procedure versions, in SQL both engines run: each version's catalogue JSON as imported.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

namespace {
Procedure procedure_of(const NamedRow& r) { return procedure_from_json(nlohmann::json::parse(r.text("body"))); }
}  // namespace

std::optional<Procedure> SqlProcedures::version(const std::string& code, int version) {
  auto r = select_one(tx_, {"body"}, "FROM procedures WHERE code = ? AND version = ?", {text(code), integer(version)});
  if (!r) return std::nullopt;
  return procedure_of(*r);
}

std::optional<Procedure> SqlProcedures::in_force(const std::string& code, Date day) {
  auto r =
      select_one(tx_, {"body"}, "FROM procedures WHERE code = ? AND effective_from <= ? ORDER BY version DESC LIMIT 1",
                 {text(code), text(format_date(day))});
  if (!r) return std::nullopt;
  return procedure_of(*r);
}

std::vector<Procedure> SqlProcedures::latest() {
  std::vector<Procedure> out;
  for (const auto& r : select(tx_, {"p.body"},
                              "FROM procedures p WHERE p.version = "
                              "(SELECT MAX(version) FROM procedures q WHERE q.code = p.code) ORDER BY p.code"))
    out.push_back(procedure_of(r));
  return out;
}

std::vector<ImportedProcedure> SqlProcedures::versions(const std::string& code) {
  std::vector<ImportedProcedure> out;
  for (const auto& r :
       select(tx_, {"body", "imported_at"}, "FROM procedures WHERE code = ? ORDER BY version DESC", {text(code)}))
    out.push_back({procedure_of(r), r.time("imported_at")});
  return out;
}

void SqlProcedures::insert(const Procedure& p, TimePoint now) {
  tx_.exec("INSERT INTO procedures(code, version, effective_from, name, body, imported_at) VALUES (?,?,?,?,?,?)",
           Params{text(p.code), integer(p.version), text(format_date(p.effective_from)), text(p.name),
                  text(to_json(p).dump()), time_text(now)});
}

}  // namespace lgsp::onestop::store
