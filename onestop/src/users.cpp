#include "lgsp/bus/digest.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

#include <stdexcept>

namespace lgsp::onestop {
using namespace detail;

std::string to_string(Role r) {
  switch (r) {
    case Role::kCitizen:
      return "citizen";
    case Role::kReceiving:
      return "receiving";
    case Role::kProcessing:
      return "processing";
    case Role::kLeader:
      return "leader";
    case Role::kAdmin:
      return "admin";
    case Role::kSystem:
      return "system";
    case Role::kRemote:
      return "remote";
  }
  return "?";
}

Role role_from_string(const std::string& name) {
  for (Role r : {Role::kCitizen, Role::kReceiving, Role::kProcessing, Role::kLeader, Role::kAdmin})
    if (to_string(r) == name) return r;
  throw std::invalid_argument("unknown role '" + name + "' (citizen, receiving, processing, leader, admin)");
}

std::string OneStopOffice::add_user(const std::string& username, Role role, const std::string& unit,
                                    const std::string& name, const std::string& title, const std::string& customer_code,
                                    Scope scope) {
  if (username.empty() || username.size() > 64 || username.find_first_of(" \t\r\n/") != std::string::npos)
    throw OnestopError(errors::kInvalid, "a user name is 1 to 64 characters without spaces or '/'");
  if (role == Role::kCitizen && scope != Scope::kUnit)
    throw OnestopError(errors::kInvalid, "a citizen account has no province scope");
  if (role == Role::kCitizen && customer_code.empty())
    throw OnestopError(errors::kInvalid, "a citizen account needs the customer code of the citizen's e-profile");
  std::string token = "os_" + bus::random_hex(32);
  TimePoint t = now();
  write([&](Repos& r) {
    if (r.users().exists(username)) throw OnestopError(errors::kConflict, "user '" + username + "' exists already");
    if (role == Role::kCitizen && !r.profiles().find(customer_code))
      throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
    UserAccount u;
    u.username = username;
    u.role = role;
    u.unit = unit.empty() ? agency_.code : unit;
    u.name = name;
    u.title = title;
    if (!customer_code.empty()) u.customer_code = customer_code;
    u.scope = scope;
    r.users().insert(u, bus::sha256_hex(token), t);
  });
  return token;
}

std::optional<Actor> OneStopOffice::authenticate(const std::string& token) const {
  std::optional<Actor> actor;
  if (token.empty()) return actor;
  std::string digest = bus::sha256_hex(token);
  read([&](Repos& r) {
    auto u = r.users().by_token(digest);
    if (!u) return;
    actor = Actor{u->username, u->name, u->title, u->role, u->unit, u->customer_code.value_or(""), u->scope};
  });
  return actor;
}

std::vector<UserAccount> OneStopOffice::list_users() const {
  std::vector<UserAccount> out;
  read([&](Repos& r) { out = r.users().all(); });
  return out;
}

}  // namespace lgsp::onestop
