#include "lgsp/bus/digest.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_sql.hpp"

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
  std::string at = format_local_rfc3339(now());
  store_
      .write([&](Transaction& tx) {
        if (!query(tx, "SELECT 1 FROM users WHERE username = ?", {text(username)}).empty())
          throw OnestopError(errors::kConflict, "user '" + username + "' exists already");
        if (role == Role::kCitizen &&
            query(tx, "SELECT 1 FROM profiles WHERE customer_code = ?", {text(customer_code)}).empty())
          throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
        exec(tx,
             "INSERT INTO users(username, role, unit, display_name, title, customer_code, token_sha256, created_at, "
             "scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {text(username), text(to_string(role)), text(unit.empty() ? agency_.code : unit), text(name), text(title),
              customer_code.empty() ? Value(nullptr) : text(customer_code), text(bus::sha256_hex(token)), text(at),
              text(to_string(scope))});
      })
      .get();
  return token;
}

std::optional<Actor> OneStopOffice::authenticate(const std::string& token) const {
  std::optional<Actor> actor;
  if (token.empty()) return actor;
  std::string digest = bus::sha256_hex(token);
  store_.read([&](Transaction& tx) {
    auto rows = query(tx,
                      "SELECT username, role, unit, display_name, title, customer_code, scope FROM users "
                      "WHERE token_sha256 = ?",
                      {text(digest)});
    if (rows.empty()) return;
    const auto& r = rows[0];
    actor = Actor{str(r[0]),
                  str(r[3]),
                  str(r[4]),
                  role_from_string(str(r[1])),
                  str(r[2]),
                  str(r[5]),
                  scope_from_string(str(r[6]))};
  });
  return actor;
}

nlohmann::json OneStopOffice::list_users() const {
  nlohmann::json out = nlohmann::json::array();
  store_.read([&](Transaction& tx) {
    for (const auto& r : query(
             tx, "SELECT username, role, unit, display_name, title, customer_code, scope FROM users ORDER BY username"))
      out.push_back({{"username", str(r[0])},
                     {"role", str(r[1])},
                     {"unit", str(r[2])},
                     {"name", str(r[3])},
                     {"title", str(r[4])},
                     {"customer_code", json_or_null(r[5])},
                     {"scope", str(r[6])}});
  });
  return out;
}

}  // namespace lgsp::onestop
