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

void check_may_read(const Actor& a, const DossierRecord& d) {
  if (a.role == Role::kCitizen) {
    if (d.customer_code.empty() || a.customer_code != d.customer_code)
      throw OnestopError(errors::kForbidden, "a citizen may see only their own dossiers");
    return;
  }
  if (!may_read_unit(a, d.agency)) throw OnestopError(errors::kNotFound, "no dossier " + d.code);
}

void check_may_act(const Actor& a, const DossierRecord& d) {
  check_may_read(a, d);
  if (a.role != Role::kCitizen && !may_act_in_unit(a, d.agency))
    throw OnestopError(errors::kForbidden, "dossier " + d.code + " is unit " + d.agency +
                                               "'s: a provincial supervisor reads it, its own officials act on it");
}

std::string need_profile_unit(Repos& r, const Actor& a, const std::string& customer_code) {
  auto p = r.profiles().find(customer_code);
  if (!p || (a.role != Role::kCitizen && !may_read_unit(a, p->unit)))
    throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
  return p->unit;
}

bool file_visible(Repos& r, const Actor& a, const std::string& sha256) {
  if (is_module(a)) return true;
  if (a.role == Role::kCitizen) return r.uploads().citizen_may_see(sha256, a.username, a.customer_code);
  if (a.scope == Scope::kProvince) return true;
  return r.uploads().unit_may_see(sha256, a.unit);
}

}  // namespace detail
}  // namespace lgsp::onestop
