// Citizen e-profiles (hồ sơ điện tử công dân): identity data typed once, reusable documents, the citizen's
// dossiers across procedures, valid five years from creation and renewable.
#include "access.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_sql.hpp"

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

// The identity fields an e-profile keeps, checked one by one so the official sees every problem at once.
json checked_identity(const json& in) {
  if (!in.is_object()) throw OnestopError(errors::kInvalid, "the profile must be a JSON object");
  json errors = json::array();
  auto need_text = [&](const char* key, bool required) -> std::string {
    if (!in.contains(key) || in[key].is_null()) {
      if (required) errors.push_back({{"path", std::string("/") + key}, {"message", "required"}});
      return {};
    }
    if (!in[key].is_string() || (required && in[key].get<std::string>().empty())) {
      errors.push_back({{"path", std::string("/") + key}, {"message", "must be a non-empty string"}});
      return {};
    }
    return in[key].get<std::string>();
  };
  static const char* kKnown[] = {"full_name", "id_number", "date_of_birth",  "gender",
                                 "hometown",  "ethnicity", "nationality",    "permanent_address",
                                 "phone",     "email",     "current_address"};
  for (auto it = in.begin(); it != in.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) errors.push_back({{"path", "/" + it.key()}, {"message", "unknown field"}});
  }
  json out;
  out["full_name"] = need_text("full_name", true);
  std::string id = need_text("id_number", true);
  if (!id.empty() && !(id.size() == 12 && all_digits(id)))
    errors.push_back({{"path", "/id_number"}, {"message", "a citizen ID (CCCD) number has 12 digits"}});
  out["id_number"] = id;
  std::string dob = need_text("date_of_birth", true);
  if (!dob.empty() && !parse_date(dob))
    errors.push_back({{"path", "/date_of_birth"}, {"message", "must be a date YYYY-MM-DD"}});
  out["date_of_birth"] = dob;
  std::string gender = need_text("gender", true);
  if (!gender.empty() && gender != "male" && gender != "female")
    errors.push_back({{"path", "/gender"}, {"message", "must be \"male\" or \"female\""}});
  out["gender"] = gender;
  out["hometown"] = need_text("hometown", true);
  out["ethnicity"] = need_text("ethnicity", true);
  out["nationality"] = need_text("nationality", true);
  out["permanent_address"] = need_text("permanent_address", true);
  std::string phone = need_text("phone", false);
  // As the contracts carry it: 0 then 9 or 10 digits, the first not 0.
  if (!phone.empty() &&
      !(phone.size() >= 10 && phone.size() <= 11 && all_digits(phone) && phone[0] == '0' && phone[1] != '0'))
    errors.push_back({{"path", "/phone"}, {"message", "a Vietnamese phone number: 0 followed by 9 or 10 digits"}});
  out["phone"] = phone;
  std::string email = need_text("email", false);
  if (!email.empty() && email.find('@') == std::string::npos)
    errors.push_back({{"path", "/email"}, {"message", "not an e-mail address"}});
  out["email"] = email;
  out["current_address"] = need_text("current_address", false);
  if (!errors.empty()) throw OnestopError(errors::kInvalid, "the citizen's identity data is incomplete", errors);
  return out;
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

json OneStopOffice::create_profile(const Actor& actor, const json& identity) {
  // Only the desk, which sees the citizen's ID card: anyone else could claim someone's ID number.
  if (!(actor.role == Role::kReceiving || actor.role == Role::kSystem))
    throw OnestopError(errors::kForbidden, "e-profiles are created by the receiving desk, from the citizen's ID card");
  if (!may_act_in_unit(actor, agency_.code))
    throw OnestopError(errors::kForbidden,
                       "this office keeps e-profiles for unit " + agency_.code + ", not " + actor.unit);
  json id = checked_identity(identity);
  TimePoint t = now();
  std::string created = format_local_rfc3339(t);
  std::string valid_until = format_local_rfc3339(plus_years(t, kValidityYears));
  std::string code;
  store_
      .write([&](Transaction& tx) {
        auto existing = query(tx, "SELECT customer_code FROM profiles WHERE id_number = ?", {text(id["id_number"])});
        if (!existing.empty())
          throw OnestopError(errors::kConflict, "this ID number already has e-profile " + str(existing[0][0]) +
                                                    ": retrieve it by its customer code");
        // KH-<agency code>-<7 digits>, e.g. KH-000.00.13.H29-0001873: every office numbers its own citizens,
        // so the full agency code keeps two offices' codes apart (they meet in inter-agency dossiers).
        std::string block = agency_.code;
        auto seq = query(tx,
                         "INSERT INTO profile_sequences(agency, last) VALUES (?, 1) ON CONFLICT(agency) DO UPDATE "
                         "SET last = last + 1 RETURNING last",
                         {text(block)});
        char buf[48];
        std::snprintf(buf, sizeof buf, "KH-%s-%07lld", block.c_str(), static_cast<long long>(num(seq[0][0])));
        code = buf;
        exec(tx,
             "INSERT INTO profiles(customer_code, id_number, data, created_at, valid_until, updated_at, unit) "
             "VALUES (?,?,?,?,?,?,?)",
             {text(code), text(id["id_number"]), text(id.dump()), text(created), text(valid_until), text(created),
              text(agency_.code)});
      })
      .get();
  return profile(Actor{"system", "", "", Role::kSystem, agency_.code, ""}, code);
}

json OneStopOffice::profile(const Actor& actor, const std::string& customer_code) const {
  check_may_see(actor, customer_code);
  json out;
  store_.read([&](Transaction& tx) {
    if (actor.role != Role::kCitizen) need_profile_unit(tx, actor, customer_code);
    auto rows =
        query(tx, "SELECT data, created_at, valid_until FROM profiles WHERE customer_code = ?", {text(customer_code)});
    if (rows.empty()) throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
    out = {{"customer_code", customer_code},
           {"identity", json::parse(str(rows[0][0]))},
           {"created_at", str(rows[0][1])},
           {"valid_until", str(rows[0][2])},
           {"valid", time_of(rows[0][2]) > now()}};
    json docs = json::array();
    for (const auto& r : query(tx,
                               "SELECT doc_code, name, sha256, media_type, size, added_at FROM profile_documents "
                               "WHERE customer_code = ? ORDER BY added_at, doc_code",
                               {text(customer_code)}))
      docs.push_back({{"code", str(r[0])},
                      {"name", str(r[1])},
                      {"sha256", str(r[2])},
                      {"media_type", str(r[3])},
                      {"size", num(r[4])},
                      {"added_at", str(r[5])}});
    out["documents"] = docs;
    json history = json::array();
    for (const auto& r : query(tx,
                               "SELECT code, procedure_code, procedure_name, status, received_at, due_at, finished_at "
                               "FROM dossiers WHERE customer_code = ? ORDER BY received_at",
                               {text(customer_code)}))
      history.push_back({{"dossier_code", str(r[0])},
                         {"procedure_code", str(r[1])},
                         {"procedure_name", str(r[2])},
                         {"status", num(r[3])},
                         {"received_at", str(r[4])},
                         {"due_at", str(r[5])},
                         {"finished_at", json_or_null(r[6])}});
    out["transactions"] = history;
  });
  return out;
}

json OneStopOffice::renew_profile(const Actor& actor, const std::string& customer_code) {
  if (actor.role != Role::kReceiving && actor.role != Role::kSystem)
    throw OnestopError(errors::kForbidden, "e-profiles are renewed by the receiving desk");
  std::string until = format_local_rfc3339(plus_years(now(), kValidityYears));
  std::string at = format_local_rfc3339(now());
  store_
      .write([&](Transaction& tx) {
        if (!may_act_in_unit(actor, need_profile_unit(tx, actor, customer_code)))
          throw OnestopError(errors::kForbidden, "e-profile " + customer_code + " is another unit's");
        exec(tx, "UPDATE profiles SET valid_until = ?, updated_at = ? WHERE customer_code = ?",
             {text(until), text(at), text(customer_code)});
        if (tx.changes() == 0)
          throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
      })
      .get();
  return profile(actor, customer_code);
}

json OneStopOffice::add_profile_document(const Actor& actor, const std::string& customer_code, const json& document) {
  check_may_see(actor, customer_code);
  if (!document.is_object() || !document.contains("sha256") || !document["sha256"].is_string() ||
      !document.contains("name") || !document["name"].is_string() || !document.contains("code") ||
      !document["code"].is_string())
    throw OnestopError(errors::kInvalid, "a reusable document needs code, name and the sha256 of an uploaded file");
  std::string sha = document["sha256"];
  std::string at = format_local_rfc3339(now());
  store_
      .write([&](Transaction& tx) {
        if (query(tx, "SELECT 1 FROM profiles WHERE customer_code = ?", {text(customer_code)}).empty())
          throw OnestopError(errors::kNotFound, "no citizen e-profile with customer code " + customer_code);
        if (actor.role != Role::kCitizen && !may_act_in_unit(actor, need_profile_unit(tx, actor, customer_code)))
          throw OnestopError(errors::kForbidden, "e-profile " + customer_code + " is another unit's");
        auto f = query(tx, "SELECT media_type, size FROM files WHERE sha256 = ?", {text(sha)});
        if (f.empty() || !file_visible(tx, actor, sha))
          throw OnestopError(errors::kNotFound, "no uploaded file with sha256 " + sha);
        exec(tx,
             "INSERT OR IGNORE INTO profile_documents(customer_code, doc_code, name, sha256, media_type, size, "
             "added_at) VALUES (?,?,?,?,?,?,?)",
             {text(customer_code), text(document["code"]), text(document["name"]), text(sha), f[0][0], f[0][1],
              text(at)});
      })
      .get();
  return profile(actor, customer_code);
}

}  // namespace lgsp::onestop
