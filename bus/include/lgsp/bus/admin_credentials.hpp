// Who may use the admin API: bearer tokens (made by `lgsp admin token create`, shown once, kept as a SHA-256)
// and client certificates pinned by fingerprint (over mutual TLS), each with a role. Kept in the node's store,
// never in the config file.
#pragma once

#include "lgsp/bus/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

enum class AdminRole {
  registry_admin,  // every change, and every read
  auditor,         // reads only (GET routes, the log check)
};

std::string to_string(AdminRole role);
// "registry-admin" or "auditor"; throws RegistryError (invalid) otherwise.
AdminRole admin_role_from_string(const std::string& text);

// An authenticated admin caller.
struct AdminCaller {
  std::string name;  // who, as registered ("alice")
  AdminRole role = AdminRole::auditor;
  std::string via;         // "token" or "certificate"
  std::string credential;  // the token id, or the certificate's SHA-256
};

struct AdminCredentialInfo {
  std::string id;  // token id, or certificate fingerprint
  std::string name;
  AdminRole role = AdminRole::auditor;
  std::string created_at;
  bool revoked = false;  // tokens only
};

class AdminCredentials {
 public:
  explicit AdminCredentials(Store& store);
  // Called inside the transaction of every change, after it (the CLI's log record of who made it).
  void on_change(std::function<void(Transaction&)> note) { note_ = std::move(note); }

  // Returns the token once ("lgsp_admin_<id>_<secret>"); only its SHA-256 is stored.
  std::string create_token(const std::string& name, AdminRole role);
  std::vector<AdminCredentialInfo> tokens() const;
  void revoke_token(const std::string& id);
  // The caller a bearer token names, or nullopt (unknown, malformed or revoked).
  std::optional<AdminCaller> authenticate_token(const std::string& token) const;

  // Pins a client certificate (PEM) to an admin name and role; returns its SHA-256 fingerprint.
  std::string add_certificate(const std::string& name, AdminRole role, const std::string& pem);
  std::vector<AdminCredentialInfo> certificates() const;
  void remove_certificate(const std::string& fingerprint);
  // The caller a verified client certificate (SHA-256 of its DER) is pinned to, or nullopt.
  std::optional<AdminCaller> for_certificate(const std::string& sha256_hex) const;

 private:
  void write(const std::function<void(Transaction&)>& work);
  Store& store_;
  std::function<void(Transaction&)> note_;
};

}  // namespace lgsp::bus
