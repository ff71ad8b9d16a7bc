// Accounts of the API, in SQL both engines run.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

namespace {
const std::vector<std::string> kUserColumns = {
    "username", "role", "unit", "display_name", "title", "customer_code", "scope", "certificate_sha256", "cccd"};
UserAccount user_of(const NamedRow& r) {
  UserAccount u;
  u.username = r.text("username");
  u.role = role_from_string(r.text("role"));
  u.unit = r.text("unit");
  u.name = r.text("display_name");
  u.title = r.text("title");
  u.customer_code = r.opt_text("customer_code");
  u.scope = scope_from_string(r.text("scope"));
  u.certificate_sha256 = r.opt_text("certificate_sha256");
  u.cccd = r.opt_text("cccd");
  return u;
}

const std::vector<std::string> kPreparedColumns = {
    "id", "dossier_code", "username", "name", "doc_code", "certificate_sha256", "prepared", "created_at", "expires_at"};
PreparedResult prepared_of(const NamedRow& r) {
  PreparedResult p;
  p.id = r.text("id");
  p.dossier_code = r.text("dossier_code");
  p.username = r.text("username");
  p.name = r.text("name");
  p.doc_code = r.text("doc_code");
  p.certificate_sha256 = r.text("certificate_sha256");
  p.prepared = r.text("prepared");
  p.created_at = r.time("created_at");
  p.expires_at = r.time("expires_at");
  return p;
}
}  // namespace

bool SqlUsers::exists(const std::string& username) {
  return select_one(tx_, {"1 AS found"}, "FROM users WHERE username = ?", {text(username)}).has_value();
}

void SqlUsers::insert(const UserAccount& u, const std::string& token_sha256, TimePoint now) {
  tx_.exec(
      "INSERT INTO users(username, role, unit, display_name, title, customer_code, token_sha256, created_at, scope) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      Params{text(u.username), text(to_string(u.role)), text(u.unit), text(u.name), text(u.title),
             opt_text(u.customer_code), text(token_sha256), time_text(now), text(to_string(u.scope))});
}

std::optional<UserAccount> SqlUsers::by_token(const std::string& token_sha256) {
  auto r = select_one(tx_, kUserColumns, "FROM users WHERE token_sha256 = ?", {text(token_sha256)});
  if (!r) return std::nullopt;
  return user_of(*r);
}

std::vector<UserAccount> SqlUsers::all() {
  std::vector<UserAccount> out;
  for (const auto& r : select(tx_, kUserColumns, "FROM users ORDER BY username")) out.push_back(user_of(r));
  return out;
}

std::optional<UserAccount> SqlUsers::find(const std::string& username) {
  auto r = select_one(tx_, kUserColumns, "FROM users WHERE username = ?", {text(username)});
  if (!r) return std::nullopt;
  return user_of(*r);
}

void SqlUsers::bind(const std::string& username, const std::optional<std::string>& certificate_sha256,
                    const std::optional<std::string>& cccd) {
  tx_.exec("UPDATE users SET certificate_sha256 = ?, cccd = ? WHERE username = ?",
           Params{opt_text(certificate_sha256), opt_text(cccd), text(username)});
}

void SqlUsers::add_prepared(const PreparedResult& p) {
  tx_.exec(
      "INSERT INTO result_prepares(id, dossier_code, username, name, doc_code, certificate_sha256, prepared, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      Params{text(p.id), text(p.dossier_code), text(p.username), text(p.name), text(p.doc_code),
             text(p.certificate_sha256), text(p.prepared), time_text(p.created_at), time_text(p.expires_at)});
}

std::optional<PreparedResult> SqlUsers::prepared(const std::string& id) {
  auto r = select_one(tx_, kPreparedColumns, "FROM result_prepares WHERE id = ?", {text(id)});
  if (!r) return std::nullopt;
  return prepared_of(*r);
}

bool SqlUsers::take_prepared(const std::string& id) {
  tx_.exec("DELETE FROM result_prepares WHERE id = ?", Params{text(id)});
  return tx_.changes() > 0;
}

int SqlUsers::pending_prepared(const std::string& username, TimePoint now) {
  auto r = select_one(tx_, {"COUNT(*) AS n"}, "FROM result_prepares WHERE username = ? AND expires_at > ?",
                      {text(username), time_text(now)});
  return r ? static_cast<int>(r->integer("n")) : 0;
}

void SqlUsers::purge_expired_prepared(TimePoint now) {
  tx_.exec("DELETE FROM result_prepares WHERE expires_at <= ?", Params{time_text(now)});
}

}  // namespace lgsp::onestop::store
