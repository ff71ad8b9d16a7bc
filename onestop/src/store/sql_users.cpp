// Accounts of the API, in SQL both engines run.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

namespace {
const std::vector<std::string> kUserColumns = {"username", "role",          "unit", "display_name",
                                               "title",    "customer_code", "scope"};
UserAccount user_of(const NamedRow& r) {
  UserAccount u;
  u.username = r.text("username");
  u.role = role_from_string(r.text("role"));
  u.unit = r.text("unit");
  u.name = r.text("display_name");
  u.title = r.text("title");
  u.customer_code = r.opt_text("customer_code");
  u.scope = scope_from_string(r.text("scope"));
  return u;
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

}  // namespace lgsp::onestop::store
