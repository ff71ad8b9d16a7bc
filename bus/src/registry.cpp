#include "lgsp/bus/registry.hpp"

#include "lgsp/bus/digest.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <mutex>

#include <regex>

namespace lgsp::bus {
namespace {

using Kind = RegistryError::Kind;

// One pattern per identifier (docs/architecture.md, "Identifiers"), compiled once; checked by hand on hot
// paths (below).
const std::regex& subsystem_pattern() {
  static const std::regex r(R"(([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})/([A-Z][A-Z0-9_-]{0,31}))");
  return r;
}
const std::regex& service_pattern() {
  static const std::regex r(
      R"(([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})/([A-Z][A-Z0-9_-]{0,31})/([a-z0-9][a-z0-9._-]{0,63})/v([1-9][0-9]{0,3}))");
  return r;
}

bool exists(Transaction& tx, const char* sql, const std::string& key) {
  const Value p[] = {key};
  return !tx.query(sql, p).empty();
}

std::string text_or_empty(const Value& v) { return std::holds_alternative<std::string>(v) ? as_text(v) : ""; }

Service service_from(const Row& r) {
  Service s;
  s.id = as_text(r[0]);
  s.request_contract = as_text(r[1]);
  s.response_contract = text_or_empty(r[2]);
  s.endpoint = as_text(r[3]);
  s.timeout_ms = static_cast<int>(as_int(r[4]));
  s.retry.max_attempts = static_cast<int>(as_int(r[5]));
  s.retry.initial_backoff_ms = static_cast<int>(as_int(r[6]));
  s.retry.max_backoff_ms = static_cast<int>(as_int(r[7]));
  s.keep_payload = as_int(r[8]) != 0;
  return s;
}

constexpr const char* kServiceColumns =
    "id, request_contract, response_contract, endpoint, timeout_ms, max_attempts, initial_backoff_ms, "
    "max_backoff_ms, keep_payload";

}  // namespace

std::string Service::provider() const {
  auto second = id.find('/', id.find('/') + 1);
  return id.substr(0, second);
}

// The same patterns matched by hand: these run on every request (std::regex costs microseconds and
// allocates). Each advances `i` past what it matched.
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool lower(char c) { return c >= 'a' && c <= 'z'; }

bool digits(std::string_view s, std::size_t& i, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k, ++i)
    if (i >= s.size() || !digit(s[i])) return false;
  return true;
}

// [0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}
bool match_agency(std::string_view s, std::size_t& i) {
  for (std::size_t n : {3, 2, 2}) {
    if (!digits(s, i, n) || i >= s.size() || s[i] != '.') return false;
    ++i;
  }
  if (i >= s.size() || !upper(s[i])) return false;
  ++i;
  return digits(s, i, 2);
}

// [A-Z][A-Z0-9_-]{0,31}, up to the next '/' or the end
bool match_subsystem_name(std::string_view s, std::size_t& i) {
  if (i >= s.size() || !upper(s[i])) return false;
  const std::size_t start = i++;
  while (i < s.size() && (upper(s[i]) || digit(s[i]) || s[i] == '_' || s[i] == '-')) ++i;
  return i - start <= 32;
}

// [a-z0-9][a-z0-9._-]{0,63}
bool match_code(std::string_view s, std::size_t& i) {
  if (i >= s.size() || !(lower(s[i]) || digit(s[i]))) return false;
  const std::size_t start = i++;
  while (i < s.size() && (lower(s[i]) || digit(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-')) ++i;
  return i - start <= 64;
}

bool slash(std::string_view s, std::size_t& i) {
  if (i >= s.size() || s[i] != '/') return false;
  ++i;
  return true;
}

}  // namespace

bool Registry::is_agency_code(const std::string& s) {
  std::size_t i = 0;
  return match_agency(s, i) && i == s.size();
}

bool Registry::is_subsystem_id(const std::string& s) {
  std::size_t i = 0;
  return match_agency(s, i) && slash(s, i) && match_subsystem_name(s, i) && i == s.size();
}

bool Registry::is_service_id(const std::string& s) {
  // MEMBER/SUBSYSTEM/code/v[1-9][0-9]{0,3}
  std::size_t i = 0;
  if (!(match_agency(s, i) && slash(s, i) && match_subsystem_name(s, i) && slash(s, i) && match_code(s, i) &&
        slash(s, i)))
    return false;
  if (i >= s.size() || s[i] != 'v') return false;
  ++i;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  const std::size_t start = i++;
  while (i < s.size() && digit(s[i])) ++i;
  return i == s.size() && i - start <= 4;
}

struct RegistryCache::Impl {
  // Each map is emptied when it would grow past this (a flood of unknown certificates, say).
  static constexpr std::size_t kMaxEntries = 4096;
  std::mutex mutex;
  std::int64_t version = -1;
  std::map<std::string, std::optional<std::string>, std::less<>> keys;  // by SHA-256 of the API key
  std::map<std::string, std::optional<Service>, std::less<>> services;
  std::map<std::pair<std::string, std::string>, bool> grants;
  std::map<std::string, std::optional<std::string>, std::less<>> certificate_subsystems;
  std::map<std::string, std::optional<std::string>, std::less<>> certificate_peers;

  // The registry is at `v` (read in the caller's transaction): forget what an older one answered.
  void at_version(std::int64_t v) {
    std::lock_guard lock(mutex);
    if (v == version) return;
    keys.clear();
    services.clear();
    grants.clear();
    certificate_subsystems.clear();
    certificate_peers.clear();
    version = v;
  }
  template <class Map, class Key>
  std::optional<typename Map::mapped_type> find(Map& map, std::int64_t v, const Key& key) {
    std::lock_guard lock(mutex);
    if (v != version) return std::nullopt;
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  // Kept only when read at the version the cache is at (a newer one may have come meanwhile).
  template <class Map, class Key, class Value>
  void keep(Map& map, std::int64_t v, const Key& key, const Value& value) {
    std::lock_guard lock(mutex);
    if (v != version) return;
    if (map.size() >= kMaxEntries) map.clear();
    map.insert_or_assign(key, value);
  }
  // The cached answer for `key`, or what `ask()` reads from the store (then kept, unless it is a
  // miss and `keep_misses` is false). `cache` is null, or `v` negative, outside a cached read.
  template <class Map, class Ask>
  static typename Map::mapped_type answer(Impl* cache, std::int64_t v, Map Impl::*map,
                                          const typename Map::key_type& key, Ask ask, bool keep_misses = true) {
    const bool cached = cache && v >= 0;
    if (cached)
      if (auto hit = cache->find(cache->*map, v, key)) return *hit;
    auto value = ask();
    if (cached && (keep_misses || value)) cache->keep(cache->*map, v, key, value);
    return value;
  }
};

RegistryCache::RegistryCache() : impl_(std::make_unique<Impl>()) {}
RegistryCache::~RegistryCache() = default;

void Registry::read(const Store::Work& work) const {
  if (tx_) return work(*tx_);
  store_.read(work);
}

void Registry::write(const std::function<void(Transaction&)>& work) {
  store_
      .write([&](Transaction& tx) {
        work(tx);
        if (note_) note_(tx);
      })
      .get();
}

void Registry::record_change() {
  write([](Transaction&) {});
}

void Registry::in_one_read(const std::function<void()>& fn) const {
  if (tx_) return fn();
  store_.read([&](Transaction& tx) {
    tx_ = &tx;
    if (auto* c = cache()) {
      auto rows = tx.query("SELECT n FROM registry_version WHERE id = 1");
      version_ = rows.empty() ? -1 : as_int(rows[0][0]);
      if (version_ >= 0) c->at_version(version_);
    }
    try {
      fn();
    } catch (...) {
      tx_ = nullptr;
      version_ = -1;
      throw;
    }
    tx_ = nullptr;
    version_ = -1;
  });
}

Registry::Registry(Store& store, const contracts::Catalogue* catalogue, RegistryCache* cache)
    : store_(store), catalogue_(catalogue), cache_(cache) {}

void Registry::add_member(const std::string& code, const std::string& name) {
  if (!is_agency_code(code))
    throw RegistryError(Kind::invalid, "member " + code, "an agency code looks like 000.00.13.H29");
  if (name.empty()) throw RegistryError(Kind::invalid, "member " + code, "the name must not be empty");
  write([&](Transaction& tx) {
    if (exists(tx, "SELECT 1 FROM member WHERE code = ?", code))
      throw RegistryError(Kind::conflict, "member " + code, "already exists");
    const Value p[] = {code, name};
    tx.exec("INSERT INTO member(code, name) VALUES (?, ?)", p);
  });
}

std::vector<Member> Registry::members() const {
  std::vector<Member> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT code, name FROM member ORDER BY code"))
      out.push_back({as_text(r[0]), as_text(r[1])});
  });
  return out;
}

void Registry::add_subsystem(const std::string& id) {
  std::smatch m;
  if (!std::regex_match(id, m, subsystem_pattern()))
    throw RegistryError(Kind::invalid, "subsystem " + id, "expected MEMBER/SUBSYSTEM, e.g. 000.00.13.H29/MOTCUA");
  const std::string member = m[1];
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM member WHERE code = ?", member))
      throw RegistryError(Kind::not_found, "subsystem " + id, "member '" + member + "' does not exist");
    if (exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", id))
      throw RegistryError(Kind::conflict, "subsystem " + id, "already exists");
    const Value p[] = {id, member};
    tx.exec("INSERT INTO subsystem(id, member) VALUES (?, ?)", p);
  });
}

std::vector<Subsystem> Registry::subsystems() const {
  std::vector<Subsystem> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT id FROM subsystem ORDER BY id")) out.push_back({as_text(r[0])});
  });
  return out;
}

void Registry::check_service(const Service& s, std::string& subsystem) const {
  std::smatch m;
  if (!std::regex_match(s.id, m, service_pattern()))
    throw RegistryError(Kind::invalid, "service " + s.id,
                        "expected MEMBER/SUBSYSTEM/CODE/vN, e.g. "
                        "000.00.13.H29/HOTICH/trichluc.yeucau/v1");
  auto check_contract = [&](const std::string& id, const char* what) {
    if (!contracts::Catalogue::parse_id(id))
      throw RegistryError(Kind::invalid, "service " + s.id, std::string(what) + " '" + id + "' is not NAME@vN");
    if (catalogue_ && !catalogue_->find(id))
      throw RegistryError(Kind::not_found, "service " + s.id,
                          std::string(what) + " '" + id + "' is not in the catalogue");
  };
  check_contract(s.request_contract, "contract");
  if (!s.response_contract.empty()) check_contract(s.response_contract, "response contract");
  if (s.endpoint.rfind("http://", 0) != 0 && s.endpoint.rfind("https://", 0) != 0)
    throw RegistryError(Kind::invalid, "service " + s.id, "the endpoint must be an http:// or https:// URL");
  if (s.timeout_ms < 1 || s.retry.max_attempts < 1 || s.retry.initial_backoff_ms < 1 ||
      s.retry.max_backoff_ms < s.retry.initial_backoff_ms)
    throw RegistryError(Kind::invalid, "service " + s.id, "timeout and retry values must be positive");
  subsystem = std::string(m[1]) + "/" + std::string(m[2]);
}

void Registry::add_service(const Service& s) {
  std::string subsystem;
  check_service(s, subsystem);
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", subsystem))
      throw RegistryError(Kind::not_found, "service " + s.id, "subsystem '" + subsystem + "' does not exist");
    if (exists(tx, "SELECT 1 FROM service WHERE id = ?", s.id))
      throw RegistryError(Kind::conflict, "service " + s.id, "already exists");
    const Value p[] = {s.id,
                       subsystem,
                       s.request_contract,
                       s.response_contract.empty() ? Value(nullptr) : Value(s.response_contract),
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
  });
}

void Registry::update_service(const Service& s) {
  std::string subsystem;
  check_service(s, subsystem);
  write([&](Transaction& tx) {
    const Value p[] = {s.request_contract,
                       s.response_contract.empty() ? Value(nullptr) : Value(s.response_contract),
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
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "service " + s.id, "does not exist");
  });
}

std::size_t Registry::remove_service(const std::string& id) {
  std::size_t grants = 0;
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM service WHERE id = ?", id))
      throw RegistryError(Kind::not_found, "service " + id, "does not exist");
    // A message accepted for the service is owed a delivery: removing the service would strand it.
    const Value q[] = {id};
    auto pending = as_int(
        tx.query("SELECT count(*) FROM message WHERE service = ? AND state IN ('accepted','delivering')", q)[0][0]);
    if (pending > 0)
      throw RegistryError(Kind::conflict, "service " + id,
                          std::to_string(pending) + " accepted message(s) are still to be delivered to it");
    tx.exec("DELETE FROM acl_grant WHERE service = ?", q);
    grants = static_cast<std::size_t>(tx.changes());
    tx.exec("DELETE FROM service WHERE id = ?", q);
  });
  return grants;
}

std::vector<Service> Registry::services() const {
  std::vector<Service> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query(std::string("SELECT ") + kServiceColumns + " FROM service ORDER BY id"))
      out.push_back(service_from(r));
  });
  return out;
}

RegistryCache::Impl* Registry::cache() const { return cache_ ? cache_->impl_.get() : nullptr; }

std::optional<Service> Registry::find_service(const std::string& id) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::services, id, [&] {
    std::optional<Service> out;
    read([&](Transaction& tx) {
      const Value p[] = {id};
      auto rows = tx.query(std::string("SELECT ") + kServiceColumns + " FROM service WHERE id = ?", p);
      if (!rows.empty()) out = service_from(rows[0]);
    });
    return out;
  });
}

void Registry::grant(const std::string& client, const std::string& service) {
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", client))
      throw RegistryError(Kind::not_found, "acl " + client, "subsystem does not exist");
    if (!exists(tx, "SELECT 1 FROM service WHERE id = ?", service))
      throw RegistryError(Kind::not_found, "acl " + service, "service does not exist");
    const Value p[] = {client, service};
    tx.exec("INSERT OR IGNORE INTO acl_grant(client, service) VALUES (?, ?)", p);
  });
}

void Registry::revoke(const std::string& client, const std::string& service) {
  write([&](Transaction& tx) {
    const Value p[] = {client, service};
    tx.exec("DELETE FROM acl_grant WHERE client = ? AND service = ?", p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "acl " + client + " " + service, "no such grant");
  });
}

std::vector<Grant> Registry::grants() const {
  std::vector<Grant> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT client, service FROM acl_grant ORDER BY service, client"))
      out.push_back({as_text(r[0]), as_text(r[1])});
  });
  return out;
}

bool Registry::allowed(const std::string& client, const std::string& service) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::grants, {client, service}, [&] {
    bool ok = false;
    read([&](Transaction& tx) {
      const Value p[] = {client, service};
      ok = !tx.query("SELECT 1 FROM acl_grant WHERE client = ? AND service = ?", p).empty();
    });
    return ok;
  });
}

std::string Registry::create_api_key(const std::string& subsystem) {
  const std::string id = random_hex(6);
  const std::string key = "lgsp_" + id + "_" + random_hex(24);
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", subsystem))
      throw RegistryError(Kind::not_found, "apikey " + subsystem, "subsystem does not exist");
    const Value p[] = {id, subsystem, sha256_hex(key)};
    tx.exec("INSERT INTO api_key(id, subsystem, hash) VALUES (?, ?, ?)", p);
  });
  return key;
}

std::vector<ApiKeyInfo> Registry::api_keys() const {
  std::vector<ApiKeyInfo> out;
  read([&](Transaction& tx) {
    for (auto& r :
         tx.query("SELECT id, subsystem, created_at, revoked_at IS NOT NULL FROM api_key ORDER BY created_at"))
      out.push_back({as_text(r[0]), as_text(r[1]), as_text(r[2]), as_int(r[3]) != 0});
  });
  return out;
}

void Registry::revoke_api_key(const std::string& id) {
  write([&](Transaction& tx) {
    const Value p[] = {id};
    tx.exec("UPDATE api_key SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND revoked_at IS NULL",
            p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "apikey " + id, "does not exist or is revoked");
  });
}

std::optional<std::string> Registry::authenticate(const std::string& key) const {
  // lgsp_<12 hex id>_<48 hex secret>
  if (key.size() != 5 + 12 + 1 + 48 || key.rfind("lgsp_", 0) != 0 || key[17] != '_') return std::nullopt;
  const std::string id = key.substr(5, 12);
  const std::string hash = sha256_hex(key);
  // Only keys that authenticated are kept (by their SHA-256, never the key itself): wrong keys
  // cannot fill the cache.
  const bool keep_misses = false;
  return RegistryCache::Impl::answer(
      cache(), version_, &RegistryCache::Impl::keys, hash,
      [&] {
        std::optional<std::string> subsystem;
        read([&](Transaction& tx) {
          const Value p[] = {id};
          auto rows = tx.query("SELECT subsystem, hash FROM api_key WHERE id = ? AND revoked_at IS NULL", p);
          if (!rows.empty() && constant_time_equal(as_text(rows[0][1]), hash)) subsystem = as_text(rows[0][0]);
        });
        return subsystem;
      },
      keep_misses);
}

namespace {

std::optional<std::string> der_fingerprint(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string fp = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return fp;
}

}  // namespace

std::optional<std::string> Registry::certificate_fingerprint(const std::string& pem) { return der_fingerprint(pem); }

std::string Registry::add_certificate(const std::string& subsystem, const std::string& pem) {
  auto fp = der_fingerprint(pem);
  if (!fp) throw RegistryError(Kind::invalid, "certificate for " + subsystem, "not a PEM X.509 certificate");
  write([&](Transaction& tx) {
    if (!exists(tx, "SELECT 1 FROM subsystem WHERE id = ?", subsystem))
      throw RegistryError(Kind::not_found, "certificate for " + subsystem, "subsystem does not exist");
    if (exists(tx, "SELECT 1 FROM subsystem_certificate WHERE fingerprint = ?", *fp) ||
        exists(tx, "SELECT 1 FROM peer_node WHERE fingerprint = ?", *fp))
      throw RegistryError(Kind::conflict, "certificate " + *fp, "already bound to a subsystem or a peer node");
    const Value p[] = {*fp, subsystem, pem};
    tx.exec("INSERT INTO subsystem_certificate(fingerprint, subsystem, pem) VALUES (?, ?, ?)", p);
  });
  return *fp;
}

std::vector<std::pair<std::string, std::string>> Registry::certificates() const {
  std::vector<std::pair<std::string, std::string>> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT fingerprint, subsystem FROM subsystem_certificate ORDER BY subsystem, fingerprint"))
      out.emplace_back(as_text(r[0]), as_text(r[1]));
  });
  return out;
}

void Registry::remove_certificate(const std::string& fingerprint) {
  write([&](Transaction& tx) {
    const Value p[] = {fingerprint};
    tx.exec("DELETE FROM subsystem_certificate WHERE fingerprint = ?", p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "certificate " + fingerprint, "not registered");
  });
}

std::optional<std::string> Registry::subsystem_for_certificate(const std::string& sha256_hex) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::certificate_subsystems, sha256_hex, [&] {
    std::optional<std::string> subsystem;
    read([&](Transaction& tx) {
      const Value p[] = {sha256_hex};
      auto rows = tx.query("SELECT subsystem FROM subsystem_certificate WHERE fingerprint = ?", p);
      if (!rows.empty()) subsystem = as_text(rows[0][0]);
    });
    return subsystem;
  });
}

std::string Registry::add_peer_node(const std::string& name, const std::string& pem) {
  static const std::regex name_pattern(R"([a-z0-9][a-z0-9._-]{0,63})");
  if (!std::regex_match(name, name_pattern))
    throw RegistryError(Kind::invalid, "node " + name, "a node name is lower-case letters, digits, '.', '_', '-'");
  auto fp = der_fingerprint(pem);
  if (!fp) throw RegistryError(Kind::invalid, "node " + name, "not a PEM X.509 certificate");
  write([&](Transaction& tx) {
    if (exists(tx, "SELECT 1 FROM peer_node WHERE name = ?", name))
      throw RegistryError(Kind::conflict, "node " + name, "already registered");
    if (exists(tx, "SELECT 1 FROM peer_node WHERE fingerprint = ?", *fp) ||
        exists(tx, "SELECT 1 FROM subsystem_certificate WHERE fingerprint = ?", *fp))
      throw RegistryError(Kind::conflict, "node " + name, "the certificate is already registered");
    const Value p[] = {name, *fp, pem};
    tx.exec("INSERT INTO peer_node(name, fingerprint, pem) VALUES (?, ?, ?)", p);
  });
  return *fp;
}

std::vector<std::pair<std::string, std::string>> Registry::peer_nodes() const {
  std::vector<std::pair<std::string, std::string>> out;
  read([&](Transaction& tx) {
    for (auto& r : tx.query("SELECT name, fingerprint FROM peer_node ORDER BY name"))
      out.emplace_back(as_text(r[0]), as_text(r[1]));
  });
  return out;
}

void Registry::remove_peer_node(const std::string& name) {
  write([&](Transaction& tx) {
    const Value p[] = {name};
    tx.exec("DELETE FROM peer_node WHERE name = ?", p);
    if (tx.changes() == 0) throw RegistryError(Kind::not_found, "node " + name, "not registered");
  });
}

std::optional<std::string> Registry::peer_node_for_certificate(const std::string& sha256_hex) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::certificate_peers, sha256_hex, [&] {
    std::optional<std::string> name;
    read([&](Transaction& tx) {
      const Value p[] = {sha256_hex};
      auto rows = tx.query("SELECT name FROM peer_node WHERE fingerprint = ?", p);
      if (!rows.empty()) name = as_text(rows[0][0]);
    });
    return name;
  });
}

}  // namespace lgsp::bus
