// RegistryRepository on SQLite and PostgreSQL (sql_dialect.hpp).
#include "pg_repositories.hpp"
#include "sql_dialect.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus::store {
namespace {

bool exists(Transaction& tx, const char* sql, const std::string& key) {
  const Value p[] = {key};
  return !tx.query(sql, p).empty();
}

Value text_or_null(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

constexpr const char* kServiceColumns =
    "id, request_contract, response_contract, endpoint, timeout_ms, max_attempts, initial_backoff_ms, "
    "max_backoff_ms, keep_payload";

Service service_from(const Row& r) {
  Service s;
  s.id = r.text("id");
  s.request_contract = r.text("request_contract");
  s.response_contract = r.optional_text("response_contract").value_or("");
  s.endpoint = r.text("endpoint");
  s.timeout_ms = static_cast<int>(r.integer("timeout_ms"));
  s.retry.max_attempts = static_cast<int>(r.integer("max_attempts"));
  s.retry.initial_backoff_ms = static_cast<int>(r.integer("initial_backoff_ms"));
  s.retry.max_backoff_ms = static_cast<int>(r.integer("max_backoff_ms"));
  s.keep_payload = r.integer("keep_payload") != 0;
  return s;
}

class SqlRegistry final : public RegistryRepository {
 public:
  explicit SqlRegistry(const SqlDialect& dialect) : d_(dialect) {}

  std::optional<std::int64_t> version(Transaction& tx) const override {
    auto row = tx.query_one("SELECT n FROM registry_version WHERE id = 1");
    if (!row) return std::nullopt;
    return row->integer("n");
  }

  bool member_exists(Transaction& tx, const std::string& code) const override {
    return exists(tx, "SELECT 1 FROM member WHERE code = ?", code);
  }
  void insert_member(Transaction& tx, const Member& m) const override {
    const Value p[] = {m.code, m.name};
    tx.exec("INSERT INTO member(code, name) VALUES (?, ?)", p);
  }
  std::vector<Member> members(Transaction& tx) const override {
    std::vector<Member> out;
    for (auto& r : tx.query("SELECT code, name FROM member ORDER BY code" + std::string(d_.bytewise)))
      out.push_back({r.text("code"), r.text("name")});
    return out;
  }

  bool subsystem_exists(Transaction& tx, const std::string& id) const override {
    return exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", id);
  }
  void insert_subsystem(Transaction& tx, const std::string& id, const std::string& member) const override {
    const Value p[] = {id, member};
    tx.exec("INSERT INTO subsystem(id, member) VALUES (?, ?)", p);
  }
  std::vector<Subsystem> subsystems(Transaction& tx) const override {
    std::vector<Subsystem> out;
    for (auto& r : tx.query("SELECT id FROM subsystem ORDER BY id" + std::string(d_.bytewise)))
      out.push_back({r.text("id")});
    return out;
  }

  bool service_exists(Transaction& tx, const std::string& id) const override {
    return exists(tx, "SELECT 1 FROM service WHERE id = ?", id);
  }
  void insert_service(Transaction& tx, const Service& s, const std::string& subsystem) const override {
    const Value p[] = {s.id,
                       subsystem,
                       s.request_contract,
                       text_or_null(s.response_contract),
                       s.endpoint,
                       std::int64_t{s.timeout_ms},
                       std::int64_t{s.retry.max_attempts},
                       std::int64_t{s.retry.initial_backoff_ms},
                       std::int64_t{s.retry.max_backoff_ms},
                       std::int64_t{s.keep_payload ? 1 : 0}};
    tx.exec(
        "INSERT INTO service(id, subsystem, request_contract, response_contract, endpoint, timeout_ms, "
        "max_attempts, initial_backoff_ms, max_backoff_ms, keep_payload) VALUES (?,?,?,?,?,?,?,?,?,?)",
        p);
  }
  bool update_service(Transaction& tx, const Service& s) const override {
    const Value p[] = {s.request_contract,
                       text_or_null(s.response_contract),
                       s.endpoint,
                       std::int64_t{s.timeout_ms},
                       std::int64_t{s.retry.max_attempts},
                       std::int64_t{s.retry.initial_backoff_ms},
                       std::int64_t{s.retry.max_backoff_ms},
                       std::int64_t{s.keep_payload ? 1 : 0},
                       s.id};
    tx.exec(
        "UPDATE service SET request_contract = ?, response_contract = ?, endpoint = ?, timeout_ms = ?, "
        "max_attempts = ?, initial_backoff_ms = ?, max_backoff_ms = ?, keep_payload = ? WHERE id = ?",
        p);
    return tx.changes() > 0;
  }
  void delete_service(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    tx.exec("DELETE FROM service WHERE id = ?", p);
  }
  std::vector<Service> services(Transaction& tx) const override {
    std::vector<Service> out;
    for (auto& r : tx.query(std::string("SELECT ") + kServiceColumns + " FROM service ORDER BY id" + d_.bytewise))
      out.push_back(service_from(r));
    return out;
  }
  std::optional<Service> find_service(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    auto row = tx.query_one(std::string("SELECT ") + kServiceColumns + " FROM service WHERE id = ?", p);
    if (!row) return std::nullopt;
    return service_from(*row);
  }

  void insert_grant(Transaction& tx, const Grant& g) const override {
    const Value p[] = {g.client, g.service};
    tx.exec("INSERT INTO acl_grant(client, service) VALUES (?, ?) ON CONFLICT DO NOTHING", p);
  }
  bool delete_grant(Transaction& tx, const Grant& g) const override {
    const Value p[] = {g.client, g.service};
    tx.exec("DELETE FROM acl_grant WHERE client = ? AND service = ?", p);
    return tx.changes() > 0;
  }
  std::size_t delete_grants_to(Transaction& tx, const std::string& service) const override {
    const Value p[] = {service};
    tx.exec("DELETE FROM acl_grant WHERE service = ?", p);
    return static_cast<std::size_t>(tx.changes());
  }
  std::vector<Grant> grants(Transaction& tx) const override {
    std::vector<Grant> out;
    for (auto& r : tx.query(std::string("SELECT client, service FROM acl_grant ORDER BY service") + d_.bytewise +
                            ", client" + d_.bytewise))
      out.push_back({r.text("client"), r.text("service")});
    return out;
  }
  bool grant_exists(Transaction& tx, const Grant& g) const override {
    const Value p[] = {g.client, g.service};
    return !tx.query("SELECT 1 FROM acl_grant WHERE client = ? AND service = ?", p).empty();
  }

  void insert_api_key(Transaction& tx, const ApiKeyRecord& k) const override {
    const Value p[] = {k.id, k.subsystem, k.hash};
    tx.exec("INSERT INTO api_key(id, subsystem, hash) VALUES (?, ?, ?)", p);
  }
  std::vector<ApiKeyInfo> api_keys(Transaction& tx) const override {
    std::vector<ApiKeyInfo> out;
    for (auto& r : tx.query("SELECT id, subsystem, created_at, revoked_at IS NOT NULL AS revoked FROM api_key ORDER BY "
                            "created_at, id" +
                            std::string(d_.bytewise)))
      out.push_back({r.text("id"), r.text("subsystem"), r.text("created_at"), r.integer("revoked") != 0});
    return out;
  }
  bool revoke_api_key(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    tx.exec(std::string("UPDATE api_key SET revoked_at = ") + d_.now + " WHERE id = ? AND revoked_at IS NULL", p);
    return tx.changes() > 0;
  }
  std::optional<ApiKeyRecord> find_active_api_key(Transaction& tx, const std::string& id) const override {
    const Value p[] = {id};
    auto row = tx.query_one("SELECT subsystem, hash FROM api_key WHERE id = ? AND revoked_at IS NULL", p);
    if (!row) return std::nullopt;
    return ApiKeyRecord{id, row->text("subsystem"), row->text("hash")};
  }

  bool certificate_bound(Transaction& tx, const std::string& fingerprint) const override {
    return exists(tx, "SELECT 1 FROM subsystem_certificate WHERE fingerprint = ?", fingerprint) ||
           exists(tx, "SELECT 1 FROM peer_node WHERE fingerprint = ?", fingerprint);
  }
  void insert_client_certificate(Transaction& tx, const ClientCertificate& c, const std::string& pem) const override {
    const Value p[] = {c.fingerprint, c.subsystem, pem};
    tx.exec("INSERT INTO subsystem_certificate(fingerprint, subsystem, pem) VALUES (?, ?, ?)", p);
  }
  std::vector<ClientCertificate> client_certificates(Transaction& tx) const override {
    std::vector<ClientCertificate> out;
    for (auto& r : tx.query(std::string("SELECT fingerprint, subsystem FROM subsystem_certificate ORDER BY subsystem") +
                            d_.bytewise + ", fingerprint" + d_.bytewise))
      out.push_back({r.text("fingerprint"), r.text("subsystem")});
    return out;
  }
  bool delete_client_certificate(Transaction& tx, const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    tx.exec("DELETE FROM subsystem_certificate WHERE fingerprint = ?", p);
    return tx.changes() > 0;
  }
  std::optional<std::string> subsystem_for_certificate(Transaction& tx, const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    auto row = tx.query_one("SELECT subsystem FROM subsystem_certificate WHERE fingerprint = ?", p);
    if (!row) return std::nullopt;
    return row->text("subsystem");
  }

  bool peer_node_exists(Transaction& tx, const std::string& name) const override {
    return exists(tx, "SELECT 1 FROM peer_node WHERE name = ?", name);
  }
  void insert_peer_node(Transaction& tx, const PeerNode& n) const override {
    const Value p[] = {n.name, n.fingerprint, n.pem};
    tx.exec("INSERT INTO peer_node(name, fingerprint, pem) VALUES (?, ?, ?)", p);
  }
  std::vector<PeerNode> peer_nodes(Transaction& tx) const override {
    std::vector<PeerNode> out;
    for (auto& r : tx.query("SELECT name, fingerprint, pem FROM peer_node ORDER BY name" + std::string(d_.bytewise)))
      out.push_back({r.text("name"), r.text("fingerprint"), r.text("pem")});
    return out;
  }
  bool delete_peer_node(Transaction& tx, const std::string& name) const override {
    const Value p[] = {name};
    tx.exec("DELETE FROM peer_node WHERE name = ?", p);
    return tx.changes() > 0;
  }
  std::optional<std::string> peer_node_for_certificate(Transaction& tx, const std::string& fingerprint) const override {
    const Value p[] = {fingerprint};
    auto row = tx.query_one("SELECT name FROM peer_node WHERE fingerprint = ?", p);
    if (!row) return std::nullopt;
    return row->text("name");
  }

 private:
  const SqlDialect& d_;
};

}  // namespace

const RegistryRepository& sqlite_registry() {
  static const SqlRegistry repository{kSqliteDialect};
  return repository;
}

const RegistryRepository& pg_registry() {
  static const SqlRegistry repository{kPostgresqlDialect};
  return repository;
}

}  // namespace lgsp::bus::store
