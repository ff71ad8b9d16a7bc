#include "lgsp/bus/admin_credentials.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/registry.hpp"

#include <regex>

namespace lgsp::bus {
namespace {

using Kind = RegistryError::Kind;

// A name says who: letters, digits, '.', '_', '-', '@' (an e-mail address will do), up to 64.
void check_name(const std::string& name) {
  static const std::regex pattern(R"([A-Za-z0-9][A-Za-z0-9._@-]{0,63})");
  if (!std::regex_match(name, pattern))
    throw RegistryError(Kind::invalid, "admin " + name,
                        "a name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
}

AdminRole role_of(const Value& v) { return admin_role_from_string(as_text(v)); }

}  // namespace

std::string to_string(AdminRole role) { return role == AdminRole::registry_admin ? "registry-admin" : "auditor"; }

AdminRole admin_role_from_string(const std::string& text) {
  if (text == "registry-admin") return AdminRole::registry_admin;
  if (text == "auditor") return AdminRole::auditor;
  throw RegistryError(Kind::invalid, "role " + text, "a role is registry-admin or auditor");
}

AdminCredentials::AdminCredentials(Store& store) : store_(store) {}

void AdminCredentials::write(const std::function<void(Transaction&)>& work) {
  store_
      .write([&](Transaction& tx) {
        work(tx);
        if (note_) note_(tx);
      })
      .get();
}

std::string AdminCredentials::create_token(const std::string& name, AdminRole role) {
  check_name(name);
  const std::string id = random_hex(6);
  const std::string token = "lgsp_admin_" + id + "_" + random_hex(24);
  write([&](Transaction& tx) {
    const Value p[] = {id, name, to_string(role), sha256_hex(token)};
    tx.exec("INSERT INTO admin_token(id, name, role, hash) VALUES (?, ?, ?, ?)", p);
  });
  return token;
}

std::vector<AdminCredentialInfo> AdminCredentials::tokens() const {
  std::vector<AdminCredentialInfo> out;
  store_.read([&](Transaction& tx) {
    for (auto& r :
         tx.query("SELECT id, name, role, created_at, revoked_at IS NOT NULL FROM admin_token ORDER BY created_at, id"))
      out.push_back({as_text(r[0]), as_text(r[1]), role_of(r[2]), as_text(r[3]), as_int(r[4]) != 0});
  });
  return out;
}

void AdminCredentials::revoke_token(const std::string& id) {
  write([&](Transaction& tx) {
    const Value p[] = {id};
    tx.exec(
        "UPDATE admin_token SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND revoked_at IS "
        "NULL",
        p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "admin token " + id, "does not exist or is revoked");
  });
}

std::optional<AdminCaller> AdminCredentials::authenticate_token(const std::string& token) const {
  // lgsp_admin_<12 hex id>_<48 hex secret>
  constexpr std::size_t kPrefix = 11;  // "lgsp_admin_"
  if (token.size() != kPrefix + 12 + 1 + 48 || token.rfind("lgsp_admin_", 0) != 0 || token[kPrefix + 12] != '_')
    return std::nullopt;
  const std::string id = token.substr(kPrefix, 12);
  const std::string hash = sha256_hex(token);
  std::optional<AdminCaller> caller;
  store_.read([&](Transaction& tx) {
    const Value p[] = {id};
    auto rows = tx.query("SELECT name, role, hash FROM admin_token WHERE id = ? AND revoked_at IS NULL", p);
    if (!rows.empty() && constant_time_equal(as_text(rows[0][2]), hash))
      caller = AdminCaller{as_text(rows[0][0]), role_of(rows[0][1]), "token", id};
  });
  return caller;
}

std::string AdminCredentials::add_certificate(const std::string& name, AdminRole role, const std::string& pem) {
  check_name(name);
  auto fp = Registry::certificate_fingerprint(pem);
  if (!fp) throw RegistryError(Kind::invalid, "admin certificate for " + name, "not a PEM X.509 certificate");
  write([&](Transaction& tx) {
    const Value q[] = {*fp};
    if (!tx.query("SELECT 1 FROM admin_certificate WHERE fingerprint = ?", q).empty())
      throw RegistryError(Kind::conflict, "admin certificate " + *fp, "already pinned");
    const Value p[] = {*fp, name, to_string(role), pem};
    tx.exec("INSERT INTO admin_certificate(fingerprint, name, role, pem) VALUES (?, ?, ?, ?)", p);
  });
  return *fp;
}

std::vector<AdminCredentialInfo> AdminCredentials::certificates() const {
  std::vector<AdminCredentialInfo> out;
  store_.read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT fingerprint, name, role, created_at FROM admin_certificate ORDER BY name"))
      out.push_back({as_text(r[0]), as_text(r[1]), role_of(r[2]), as_text(r[3]), false});
  });
  return out;
}

void AdminCredentials::remove_certificate(const std::string& fingerprint) {
  write([&](Transaction& tx) {
    const Value p[] = {fingerprint};
    tx.exec("DELETE FROM admin_certificate WHERE fingerprint = ?", p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "admin certificate " + fingerprint, "not pinned");
  });
}

std::optional<AdminCaller> AdminCredentials::for_certificate(const std::string& sha256_hex) const {
  if (sha256_hex.empty()) return std::nullopt;
  std::optional<AdminCaller> caller;
  store_.read([&](Transaction& tx) {
    const Value p[] = {sha256_hex};
    auto rows = tx.query("SELECT name, role FROM admin_certificate WHERE fingerprint = ?", p);
    if (!rows.empty()) caller = AdminCaller{as_text(rows[0][0]), role_of(rows[0][1]), "certificate", sha256_hex};
  });
  return caller;
}

}  // namespace lgsp::bus
