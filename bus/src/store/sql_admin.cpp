// AdminRepository on SQLite and PostgreSQL (sql_dialect.hpp).
#include "pg_repositories.hpp"
#include "sql_dialect.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus::store {
namespace {

class SqlAdmin final : public AdminRepository {
 public:
  explicit SqlAdmin(const SqlDialect& dialect) : d_(dialect) {}

  void insert_token(Transaction& tx, const AdminTokenRecord& t) const override {
    const Value p[] = {t.id, t.name, to_string(t.role), t.hash};
    tx.exec("INSERT INTO admin_token(id, name, role, hash) VALUES (?, ?, ?, ?)", p);
  }
  std::vector<AdminCredentialInfo> tokens(Transaction& tx) const override {
    std::vector<AdminCredentialInfo> out;
    for (auto& r : tx.query("SELECT id, name, role, created_at, revoked_at IS NOT NULL AS revoked FROM admin_token"
                            " ORDER BY created_at, id" +
                            std::string(d_.bytewise)))
      out.push_back({r.text("id"), r.text("name"), admin_role_from_string(r.text("role")), r.text("created_at"),
                     r.integer("revoked") != 0});
    return out;
  }
  bool revoke_token(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    tx.exec(std::string("UPDATE admin_token SET revoked_at = ") + d_.now +
                " WHERE id = ? AND revoked_at IS "
                "NULL",
            p);
    return tx.changes() > 0;
  }
  std::optional<AdminTokenRecord> find_active_token(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    auto row = tx.query_one("SELECT name, role, hash FROM admin_token WHERE id = ? AND revoked_at IS NULL", p);
    if (!row) return std::nullopt;
    return AdminTokenRecord{id, row->text("name"), admin_role_from_string(row->text("role")), row->text("hash")};
  }

  bool certificate_exists(Transaction& tx, const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    return !tx.query("SELECT 1 FROM admin_certificate WHERE fingerprint = ?", p).empty();
  }
  void insert_certificate(Transaction& tx, const AdminCertificateRecord& c, const std::string& pem) const override {
    const Value p[] = {c.fingerprint, c.name, to_string(c.role), pem};
    tx.exec("INSERT INTO admin_certificate(fingerprint, name, role, pem) VALUES (?, ?, ?, ?)", p);
  }
  std::vector<AdminCredentialInfo> certificates(Transaction& tx) const override {
    std::vector<AdminCredentialInfo> out;
    for (auto& r : tx.query("SELECT fingerprint, name, role, created_at FROM admin_certificate ORDER BY name" +
                            std::string(d_.bytewise)))
      out.push_back(
          {r.text("fingerprint"), r.text("name"), admin_role_from_string(r.text("role")), r.text("created_at"), false});
    return out;
  }
  bool delete_certificate(Transaction& tx, const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    tx.exec("DELETE FROM admin_certificate WHERE fingerprint = ?", p);
    return tx.changes() > 0;
  }
  std::optional<AdminCertificateRecord> find_certificate(Transaction& tx,
                                                         const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    auto row = tx.query_one("SELECT name, role FROM admin_certificate WHERE fingerprint = ?", p);
    if (!row) return std::nullopt;
    return AdminCertificateRecord{fingerprint, row->text("name"), admin_role_from_string(row->text("role"))};
  }

 private:
  const SqlDialect& d_;
};

}  // namespace

const AdminRepository& sqlite_admin() {
  static const SqlAdmin repository{kSqliteDialect};
  return repository;
}

const AdminRepository& pg_admin() {
  static const SqlAdmin repository{kPostgresqlDialect};
  return repository;
}

}  // namespace lgsp::bus::store
