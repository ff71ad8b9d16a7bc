// Admin API credentials as stored: tables admin_token and admin_certificate.
#pragma once

#include "lgsp/bus/admin_credentials.hpp"
#include "lgsp/bus/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

struct AdminTokenRecord {
  std::string id;
  std::string name;
  AdminRole role = AdminRole::auditor;
  std::string hash;  // SHA-256 of the whole token
};

struct AdminCertificateRecord {
  std::string fingerprint;
  std::string name;
  AdminRole role = AdminRole::auditor;
};

class AdminRepository {
 public:
  virtual ~AdminRepository() = default;

  virtual void insert_token(Transaction& tx, const AdminTokenRecord& t) const = 0;
  virtual std::vector<AdminCredentialInfo> tokens(Transaction& tx) const = 0;  // by creation, id
  // False when the token does not exist or is revoked already.
  virtual bool revoke_token(Transaction& tx, const std::string& id) const = 0;
  // The token with this id, unless revoked.
  virtual std::optional<AdminTokenRecord> find_active_token(Transaction& tx, const std::string& id) const = 0;

  virtual bool certificate_exists(Transaction& tx, const std::string& fingerprint) const = 0;
  virtual void insert_certificate(Transaction& tx, const AdminCertificateRecord& c, const std::string& pem) const = 0;
  virtual std::vector<AdminCredentialInfo> certificates(Transaction& tx) const = 0;  // by name
  virtual bool delete_certificate(Transaction& tx, const std::string& fingerprint) const = 0;
  virtual std::optional<AdminCertificateRecord> find_certificate(Transaction& tx,
                                                                 const std::string& fingerprint) const = 0;
};

}  // namespace lgsp::bus
