#include "access.hpp"

#include "lgsp/onestop/errors.hpp"

#include <stdexcept>

namespace lgsp::onestop {

std::string to_string(Scope s) { return s == Scope::kProvince ? "province" : "unit"; }

Scope scope_from_string(const std::string& name) {
  if (name == "unit") return Scope::kUnit;
  if (name == "province") return Scope::kProvince;
  throw std::invalid_argument("unknown scope '" + name + "' (unit, province)");
}

namespace detail {

bool may_read_unit(const Actor& a, const std::string& unit) {
  if (is_module(a)) return true;
  if (a.role == Role::kCitizen) return false;  // citizens are scoped by their e-profile, never by a unit
  return a.scope == Scope::kProvince || a.unit == unit;
}

bool may_act_in_unit(const Actor& a, const std::string& unit) {
  if (is_module(a)) return true;
  if (a.role == Role::kCitizen) return false;
  return a.unit == unit;
}

void check_may_read(const Actor& a, const DossierRow& d) {
  if (a.role == Role::kCitizen) {
    if (d.customer_code.empty() || a.customer_code != d.customer_code)
      throw OnestopError(errors::kForbidden, "a citizen may see only their own dossiers");
    return;
  }
  if (!may_read_unit(a, d.agency)) throw OnestopError(errors::kNotFound, "no dossier " + d.code);
}

void check_may_act(const Actor& a, const DossierRow& d) {
  check_may_read(a, d);
  if (a.role != Role::kCitizen && !may_act_in_unit(a, d.agency))
    throw OnestopError(errors::kForbidden, "dossier " + d.code + " is unit " + d.agency +
                                               "'s: a provincial supervisor reads it, its own officials act on it");
}

std::string need_profile_unit(Transaction& tx, const Actor& a, const std::string& customer_code) {
  auto rows = query(tx, "SELECT unit FROM profiles WHERE customer_code = ?", {text(customer_code)});
  if (rows.empty() || (a.role != Role::kCitizen && !may_read_unit(a, str(rows[0][0]))))
    throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
  return str(rows[0][0]);
}

bool file_visible(Transaction& tx, const Actor& a, const std::string& sha256) {
  if (is_module(a)) return true;
  if (a.role == Role::kCitizen)
    return !query(tx,
                  "SELECT 1 FROM file_uploads WHERE sha256 = ?1 AND username = ?2 UNION ALL "
                  "SELECT 1 FROM profile_documents WHERE sha256 = ?1 AND customer_code = ?3 LIMIT 1",
                  {text(sha256), text(a.username), text(a.customer_code)})
                .empty();
  if (a.scope == Scope::kProvince) return true;
  return !query(tx,
                "SELECT 1 FROM file_uploads WHERE sha256 = ?1 AND unit = ?2 UNION ALL "
                "SELECT 1 FROM dossier_documents dd JOIN dossiers d ON d.code = dd.dossier_code "
                "WHERE (dd.sha256 = ?1 OR dd.signature_sha256 = ?1 OR dd.seal_sha256 = ?1) AND d.agency = ?2 "
                "UNION ALL SELECT 1 FROM profile_documents pd JOIN profiles p ON p.customer_code = pd.customer_code "
                "WHERE pd.sha256 = ?1 AND p.unit = ?2 LIMIT 1",
                {text(sha256), text(a.unit)})
              .empty();
}

}  // namespace detail
}  // namespace lgsp::onestop
