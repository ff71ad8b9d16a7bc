// Citizen e-profiles and their reusable documents, in SQL both engines run.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

std::optional<Profile> SqlProfiles::find(const std::string& customer_code) {
  auto r = select_one(tx_, {"customer_code", "unit", "data", "created_at", "valid_until"},
                      "FROM profiles WHERE customer_code = ?", {text(customer_code)});
  if (!r) return std::nullopt;
  Profile p;
  p.customer_code = r->text("customer_code");
  p.unit = r->text("unit");
  p.identity = identity_from_stored(nlohmann::json::parse(r->text("data")));
  p.created_at = r->time("created_at");
  p.valid_until = r->time("valid_until");
  return p;
}

std::optional<std::string> SqlProfiles::code_of_id_number(const std::string& id_number) {
  auto r = select_one(tx_, {"customer_code"}, "FROM profiles WHERE id_number = ?", {text(id_number)});
  if (!r) return std::nullopt;
  return r->text("customer_code");
}

std::int64_t SqlProfiles::next_number(const std::string& agency) {
  // One statement, so two desks cannot take the same number.
  auto rows = query_rows(tx_,
                         "INSERT INTO profile_sequences(agency, last) VALUES (?, 1) ON CONFLICT(agency) DO UPDATE "
                         "SET last = profile_sequences.last + 1 RETURNING last",
                         {text(agency)});
  if (rows.size() != 1) throw bus::StoreError("onestop store: the profile sequence of " + agency + " returned no row");
  return rows[0].integer("last");
}

void SqlProfiles::insert(const Profile& p, TimePoint now) {
  tx_.exec(
      "INSERT INTO profiles(customer_code, id_number, data, created_at, valid_until, updated_at, unit) "
      "VALUES (?,?,?,?,?,?,?)",
      Params{text(p.customer_code), text(p.identity.id_number), text(identity_json(p.identity).dump()),
             time_text(p.created_at), time_text(p.valid_until), time_text(now), text(p.unit)});
}

bool SqlProfiles::renew(const std::string& customer_code, TimePoint valid_until, TimePoint now) {
  tx_.exec("UPDATE profiles SET valid_until = ?, updated_at = ? WHERE customer_code = ?",
           Params{time_text(valid_until), time_text(now), text(customer_code)});
  return tx_.changes() != 0;
}

void SqlProfiles::add_document(const ProfileDocument& doc) {
  tx_.exec(
      "INSERT INTO profile_documents(customer_code, doc_code, name, sha256, media_type, size, added_at) "
      "VALUES (?,?,?,?,?,?,?) ON CONFLICT(customer_code, doc_code, sha256) DO NOTHING",
      Params{text(doc.customer_code), text(doc.code), text(doc.name), text(doc.sha256), text(doc.media_type),
             integer(doc.size), time_text(doc.added_at)});
}

std::vector<ProfileDocument> SqlProfiles::documents(const std::string& customer_code) {
  std::vector<ProfileDocument> out;
  for (const auto& r :
       select(tx_, {"customer_code", "doc_code", "name", "sha256", "media_type", "size", "added_at"},
              "FROM profile_documents WHERE customer_code = ? ORDER BY added_at, doc_code", {text(customer_code)})) {
    ProfileDocument d;
    d.customer_code = r.text("customer_code");
    d.code = r.text("doc_code");
    d.name = r.text("name");
    d.sha256 = r.text("sha256");
    d.media_type = r.text("media_type");
    d.size = r.integer("size");
    d.added_at = r.time("added_at");
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace lgsp::onestop::store
