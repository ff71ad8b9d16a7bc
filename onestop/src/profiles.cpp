// Citizen e-profiles (hồ sơ điện tử công dân): identity data typed once, reusable documents, the citizen's
// dossiers across procedures, valid five years from creation and renewable.
#include "access.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

#include <cstdio>

namespace lgsp::onestop {
using namespace detail;
using nlohmann::json;

namespace {

constexpr int kValidityYears = 5;

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Officials who serve citizens; an admin runs the system and sees no personal data.
bool is_official(const Actor& a) {
  return a.role == Role::kReceiving || a.role == Role::kProcessing || a.role == Role::kLeader ||
         a.role == Role::kSystem;
}

void check_may_see(const Actor& a, const std::string& customer_code) {
  if (is_official(a)) return;
  if (a.role == Role::kCitizen && a.customer_code == customer_code) return;
  throw OnestopError(errors::kForbidden, a.role == Role::kCitizen ? "a citizen may see only their own e-profile"
                                                                  : "e-profiles are for officials who serve citizens");
}

TimePoint plus_years(TimePoint t, int years) {
  Date d = local_date(t);
  Date later = d.year() / d.month() / d.day() + std::chrono::years(years);
  if (!later.ok()) later = later.year() / later.month() / std::chrono::last;  // 29 February
  return at_local(later, local_time_of_day(t));
}

}  // namespace

json identity_problems(const CitizenIdentity& id) {
  json errors = json::array();
  auto required = [&](const char* key, const std::string& value) {
    if (value.empty()) errors.push_back({{"path", std::string("/") + key}, {"message", "required"}});
    return !value.empty();
  };
  required("full_name", id.full_name);
  if (required("id_number", id.id_number) && !(id.id_number.size() == 12 && all_digits(id.id_number)))
    errors.push_back({{"path", "/id_number"}, {"message", "a citizen ID (CCCD) number has 12 digits"}});
  if (required("date_of_birth", id.date_of_birth) && !parse_date(id.date_of_birth))
    errors.push_back({{"path", "/date_of_birth"}, {"message", "must be a date YYYY-MM-DD"}});
  if (required("gender", id.gender) && id.gender != "male" && id.gender != "female")
    errors.push_back({{"path", "/gender"}, {"message", "must be \"male\" or \"female\""}});
  required("hometown", id.hometown);
  required("ethnicity", id.ethnicity);
  required("nationality", id.nationality);
  required("permanent_address", id.permanent_address);
  const std::string& phone = id.phone;
  // As the contracts carry it: 0 then 9 or 10 digits, the first not 0.
  if (!phone.empty() &&
      !(phone.size() >= 10 && phone.size() <= 11 && all_digits(phone) && phone[0] == '0' && phone[1] != '0'))
    errors.push_back({{"path", "/phone"}, {"message", "a Vietnamese phone number: 0 followed by 9 or 10 digits"}});
  if (!id.email.empty() && id.email.find('@') == std::string::npos)
    errors.push_back({{"path", "/email"}, {"message", "not an e-mail address"}});
  return errors;
}

std::string OneStopOffice::next_customer_code(Repos& r) {
  // KH-<agency code>-<7 digits>, e.g. KH-000.00.13.H29-0001873: every office numbers its own citizens,
  // so the full agency code keeps two offices' codes apart (they meet in inter-agency dossiers).
  char buf[48];
  std::snprintf(buf, sizeof buf, "KH-%s-%07lld", agency_.code.c_str(),
                static_cast<long long>(r.profiles().next_number(agency_.code)));
  return buf;
}

Profile OneStopOffice::create_profile(const Actor& actor, const CitizenIdentity& identity) {
  // Only the desk, which sees the citizen's ID card: anyone else could claim someone's ID number.
  if (!(actor.role == Role::kReceiving || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "e-profiles are created by the receiving desk, from the citizen's ID card");
  if (!may_act_in_unit(actor, agency_.code))
    throw OnestopError(errors::kForbidden,
                       "this office keeps e-profiles for unit " + agency_.code + ", not " + actor.unit);
  if (auto problems = identity_problems(identity); !problems.empty())
    throw OnestopError(errors::kInvalid, "the citizen's identity data is incomplete", problems);
  TimePoint t = now();
  std::string code;
  write([&](Repos& r) {
    if (auto existing = r.profiles().code_of_id_number(identity.id_number))
      throw OnestopError(errors::kConflict,
                         "this ID number already has e-profile " + *existing + ": retrieve it by its customer code");
    code = next_customer_code(r);
    Profile p;
    p.customer_code = code;
    p.unit = agency_.code;
    p.identity = identity;
    p.created_at = t;
    p.valid_until = plus_years(t, kValidityYears);
    r.profiles().insert(p, t);
  });
  return profile(module_actor(), code);
}

Profile OneStopOffice::profile_of_id_number(const Actor& actor, const std::string& id_number) const {
  // Officials only: whether an ID number has an e-profile is itself personal data.
  if (!is_official(actor))
    throw OnestopError(errors::kForbidden, "e-profiles are found by officials who serve citizens");
  if (!(id_number.size() == 12 && all_digits(id_number)))
    throw OnestopError(errors::kInvalid, "a citizen ID (CCCD) number has 12 digits",
                       json::array({{{"path", "/id_number"}, {"message", "12 digits"}}}));
  std::optional<std::string> code;
  read([&](Repos& r) { code = r.profiles().code_of_id_number(id_number); });
  if (!code) throw OnestopError(errors::kNotFound, "no citizen e-profile with this ID number");
  return profile(actor, *code);
}

Profile OneStopOffice::profile(const Actor& actor, const std::string& customer_code) const {
  check_may_see(actor, customer_code);
  Profile out;
  read([&](Repos& r) {
    if (actor.role != Role::kCitizen) need_profile_unit(r, actor, customer_code);
    auto p = r.profiles().find(customer_code);
    if (!p) throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
    out = std::move(*p);
    out.valid = out.valid_until > now();
    out.documents = r.profiles().documents(customer_code);
    out.transactions = r.dossiers().of_customer(customer_code);
  });
  return out;
}

Profile OneStopOffice::renew_profile(const Actor& actor, const std::string& customer_code) {
  if (actor.role != Role::kReceiving && actor.role != Role::kSystem)
    throw OnestopError(errors::kForbidden, "e-profiles are renewed by the receiving desk");
  TimePoint t = now();
  write([&](Repos& r) {
    if (!may_act_in_unit(actor, need_profile_unit(r, actor, customer_code)))
      throw OnestopError(errors::kForbidden, "e-profile " + customer_code + " is another unit's");
    if (!r.profiles().renew(customer_code, plus_years(t, kValidityYears), t))
      throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
  });
  return profile(actor, customer_code);
}

Profile OneStopOffice::add_profile_document(const Actor& actor, const std::string& customer_code,
                                            const ProfileDocument& document) {
  check_may_see(actor, customer_code);
  TimePoint t = now();
  write([&](Repos& r) {
    if (!r.profiles().find(customer_code))
      throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
    if (actor.role != Role::kCitizen && !may_act_in_unit(actor, need_profile_unit(r, actor, customer_code)))
      throw OnestopError(errors::kForbidden, "e-profile " + customer_code + " is another unit's");
    auto f = r.uploads().file(document.sha256);
    if (!f || !file_visible(r, actor, document.sha256))
      throw OnestopError(errors::kNotFound, "no uploaded file with sha256 " + document.sha256);
    r.profiles().add_document(
        ProfileDocument{customer_code, document.code, document.name, document.sha256, f->media_type, f->size, t});
  });
  return profile(actor, customer_code);
}

// A citizen's own sign-up (web.cpp has the rest of the web accounts). The e-profile of the ID number, when there
// is one, is linked only when the name and date of birth typed match it; otherwise a new e-profile holds what was
// typed (the desk completes it from the ID card when the citizen first comes in).
Actor OneStopOffice::sign_up(const CitizenIdentity& identity, const std::string& password_hash) {
  TimePoint t = now();
  Actor out;
  write([&](Repos& r) {
    const std::string& username = identity.phone;
    if (r.users().exists(username))
      throw OnestopError(errors::kAccountExists, "this phone number has an account already: sign in",
                         json::array({{{"path", "/phone"}, {"message", "already registered"}}}));
    std::string code;
    if (auto existing = r.profiles().code_of_id_number(identity.id_number)) {
      auto p = r.profiles().find(*existing);
      if (r.web().citizen_account(*existing))
        throw OnestopError(errors::kAccountExists, "this ID number's e-profile has an account already",
                           json::array({{{"path", "/id_number"}, {"message", "already has an account"}}}));
      if (!p || p->identity.full_name != identity.full_name || p->identity.date_of_birth != identity.date_of_birth)
        throw OnestopError(errors::kConflict,
                           "the e-profile of this ID number has another name or date of birth; check them, or "
                           "ask the receiving desk",
                           json::array({{{"path", "/id_number"}, {"message", "name or date of birth differ"}}}));
      code = *existing;
    } else {
      code = next_customer_code(r);
      Profile p;
      p.customer_code = code;
      p.unit = agency_.code;
      p.identity = identity;
      if (p.identity.nationality.empty()) p.identity.nationality = "Việt Nam";
      p.created_at = t;
      p.valid_until = plus_years(t, kValidityYears);
      r.profiles().insert(p, t);
    }
    UserAccount u;
    u.username = username;
    u.role = Role::kCitizen;
    u.unit = agency_.code;
    u.name = identity.full_name;
    u.customer_code = code;
    // The account's API token is never shown: a citizen signs in with the password only.
    r.users().insert(u, bus::sha256_hex("os_" + bus::random_hex(32)), t);
    r.web().set_password(username, password_hash, t);
    out = Actor{u.username, u.name, "", Role::kCitizen, u.unit, code, Scope::kUnit};
  });
  return out;
}

}  // namespace lgsp::onestop
