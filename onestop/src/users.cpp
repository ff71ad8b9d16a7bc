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

std::optional<UserAccount> OneStopOffice::user(const std::string& username) const {
  std::optional<UserAccount> out;
  read([&](Repos& r) { out = r.users().find(username); });
  return out;
}

namespace {
bool all_of_class(const std::string& s, std::size_t n, bool hex) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

void OneStopOffice::bind_certificate(const std::string& username, const std::optional<std::string>& certificate_sha256,
                                     const std::optional<std::string>& cccd) {
  if (certificate_sha256 && !certificate_sha256->empty() && !all_of_class(*certificate_sha256, 64, true))
    throw OnestopError(errors::kInvalid, "a certificate fingerprint is the SHA-256 of its DER, 64 lower-case hex");
  if (cccd && !cccd->empty() && !all_of_class(*cccd, 12, false))
    throw OnestopError(errors::kInvalid, "a CCCD number is 12 digits");
  write([&](Repos& r) {
    auto u = r.users().find(username);
    if (!u) throw OnestopError(errors::kNotFound, "no user '" + username + "'");
    if (u->role == Role::kCitizen)
      throw OnestopError(errors::kInvalid, "a citizen account signs no results: no certificate is bound to it");
    auto keep = [](const std::optional<std::string>& given, const std::optional<std::string>& old) {
      if (!given) return old;
      return given->empty() ? std::optional<std::string>() : given;
    };
    r.users().bind(username, keep(certificate_sha256, u->certificate_sha256), keep(cccd, u->cccd));
  });
}

void OneStopOffice::add_prepared_result(const PreparedResult& p, int max_pending) {
  TimePoint t = now();
  write([&](Repos& r) {
    r.users().purge_expired_prepared(t);
    if (r.users().pending_prepared(p.username, t) >= max_pending)
      throw OnestopError(errors::kTooManyPrepared, "you have " + std::to_string(max_pending) +
                                                       " results prepared and not completed; complete them or wait "
                                                       "until they expire");
    r.users().add_prepared(p);
  });
}

std::optional<PreparedResult> OneStopOffice::prepared_result(const std::string& id) const {
  std::optional<PreparedResult> out;
  read([&](Repos& r) { out = r.users().prepared(id); });
  return out;
}

bool OneStopOffice::take_prepared_result(const std::string& id) {
  bool taken = false;
  write([&](Repos& r) { taken = r.users().take_prepared(id); });
  return taken;
}

}  // namespace lgsp::onestop
