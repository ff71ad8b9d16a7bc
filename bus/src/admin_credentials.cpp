#include "lgsp/bus/admin_credentials.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/repositories.hpp"

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
  write([&](Transaction& tx) { repositories(tx).admin.insert_token(tx, {id, name, role, sha256_hex(token)}); });
  return token;
}

std::vector<AdminCredentialInfo> AdminCredentials::tokens() const {
  std::vector<AdminCredentialInfo> out;
  store_.read([&](Transaction& tx) { out = repositories(tx).admin.tokens(tx); });
  return out;
}

void AdminCredentials::revoke_token(const std::string& id) {
  write([&](Transaction& tx) {
    if (!repositories(tx).admin.revoke_token(tx, id))
      throw RegistryError(Kind::not_found, "admin token " + id, "does not exist or is revoked");
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
    auto stored = repositories(tx).admin.find_active_token(tx, id);
    if (stored && constant_time_equal(stored->hash, hash))
      caller = AdminCaller{stored->name, stored->role, "token", id};
  });
  return caller;
}

std::string AdminCredentials::add_certificate(const std::string& name, AdminRole role, const std::string& pem) {
  check_name(name);
  auto fp = Registry::certificate_fingerprint(pem);
  if (!fp) throw RegistryError(Kind::invalid, "admin certificate for " + name, "not a PEM X.509 certificate");
  write([&](Transaction& tx) {
    const auto& admin = repositories(tx).admin;
    if (admin.certificate_exists(tx, *fp))
      throw RegistryError(Kind::conflict, "admin certificate " + *fp, "already pinned");
    admin.insert_certificate(tx, {*fp, name, role}, pem);
  });
  return *fp;
}

std::vector<AdminCredentialInfo> AdminCredentials::certificates() const {
  std::vector<AdminCredentialInfo> out;
  store_.read([&](Transaction& tx) { out = repositories(tx).admin.certificates(tx); });
  return out;
}

void AdminCredentials::remove_certificate(const std::string& fingerprint) {
  write([&](Transaction& tx) {
    if (!repositories(tx).admin.delete_certificate(tx, fingerprint))
      throw RegistryError(Kind::not_found, "admin certificate " + fingerprint, "not pinned");
  });
}

std::optional<AdminCaller> AdminCredentials::for_certificate(const std::string& sha256_hex) const {
  if (sha256_hex.empty()) return std::nullopt;
  std::optional<AdminCaller> caller;
  store_.read([&](Transaction& tx) {
    if (auto stored = repositories(tx).admin.find_certificate(tx, sha256_hex))
      caller = AdminCaller{stored->name, stored->role, "certificate", sha256_hex};
  });
  return caller;
}

}  // namespace lgsp::bus
