#include "lgsp/bus/registry.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/repositories.hpp"

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
      version_ = repositories(tx).registry.version(tx).value_or(-1);
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
    const auto& registry = repositories(tx).registry;
    if (registry.member_exists(tx, code)) throw RegistryError(Kind::conflict, "member " + code, "already exists");
    registry.insert_member(tx, {code, name});
  });
}

std::vector<Member> Registry::members() const {
  std::vector<Member> out;
  read([&](Transaction& tx) { out = repositories(tx).registry.members(tx); });
  return out;
}

void Registry::add_subsystem(const std::string& id) {
  std::smatch m;
  if (!std::regex_match(id, m, subsystem_pattern()))
    throw RegistryError(Kind::invalid, "subsystem " + id, "expected MEMBER/SUBSYSTEM, e.g. 000.00.13.H29/MOTCUA");
  const std::string member = m[1];
  write([&](Transaction& tx) {
    const auto& registry = repositories(tx).registry;
    if (!registry.member_exists(tx, member))
      throw RegistryError(Kind::not_found, "subsystem " + id, "member '" + member + "' does not exist");
    if (registry.subsystem_exists(tx, id)) throw RegistryError(Kind::conflict, "subsystem " + id, "already exists");
    registry.insert_subsystem(tx, id, member);
  });
}

std::vector<Subsystem> Registry::subsystems() const {
  std::vector<Subsystem> out;
  read([&](Transaction& tx) { out = repositories(tx).registry.subsystems(tx); });
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
    const auto& registry = repositories(tx).registry;
    if (!registry.subsystem_exists(tx, subsystem))
      throw RegistryError(Kind::not_found, "service " + s.id, "subsystem '" + subsystem + "' does not exist");
    if (registry.service_exists(tx, s.id)) throw RegistryError(Kind::conflict, "service " + s.id, "already exists");
    registry.insert_service(tx, s, subsystem);
  });
}

void Registry::update_service(const Service& s) {
  std::string subsystem;
  check_service(s, subsystem);
  write([&](Transaction& tx) {
    if (!repositories(tx).registry.update_service(tx, s))
      throw RegistryError(Kind::not_found, "service " + s.id, "does not exist");
  });
}

std::size_t Registry::remove_service(const std::string& id) {
  std::size_t grants = 0;
  write([&](Transaction& tx) {
    const auto& repos = repositories(tx);
    if (!repos.registry.service_exists(tx, id)) throw RegistryError(Kind::not_found, "service " + id, "does not exist");
    // A message accepted for the service is owed a delivery: removing the service would strand it.
    auto pending = repos.messages.count_undelivered(tx, id);
    if (pending > 0)
      throw RegistryError(Kind::conflict, "service " + id,
                          std::to_string(pending) + " accepted message(s) are still to be delivered to it");
    grants = repos.registry.delete_grants_to(tx, id);
    repos.registry.delete_service(tx, id);
  });
  return grants;
}

std::vector<Service> Registry::services() const {
  std::vector<Service> out;
  read([&](Transaction& tx) { out = repositories(tx).registry.services(tx); });
  return out;
}

RegistryCache::Impl* Registry::cache() const { return cache_ ? cache_->impl_.get() : nullptr; }

std::optional<Service> Registry::find_service(const std::string& id) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::services, id, [&] {
    std::optional<Service> out;
    read([&](Transaction& tx) { out = repositories(tx).registry.find_service(tx, id); });
    return out;
  });
}

void Registry::grant(const std::string& client, const std::string& service) {
  write([&](Transaction& tx) {
    const auto& registry = repositories(tx).registry;
    if (!registry.subsystem_exists(tx, client))
      throw RegistryError(Kind::not_found, "acl " + client, "subsystem does not exist");
    if (!registry.service_exists(tx, service))
      throw RegistryError(Kind::not_found, "acl " + service, "service does not exist");
    registry.insert_grant(tx, {client, service});
  });
}

void Registry::revoke(const std::string& client, const std::string& service) {
  write([&](Transaction& tx) {
    if (!repositories(tx).registry.delete_grant(tx, {client, service}))
      throw RegistryError(Kind::not_found, "acl " + client + " " + service, "no such grant");
  });
}

std::vector<Grant> Registry::grants() const {
  std::vector<Grant> out;
  read([&](Transaction& tx) { out = repositories(tx).registry.grants(tx); });
  return out;
}

bool Registry::allowed(const std::string& client, const std::string& service) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::grants, {client, service}, [&] {
    bool ok = false;
    read([&](Transaction& tx) { ok = repositories(tx).registry.grant_exists(tx, {client, service}); });
    return ok;
  });
}

std::string Registry::create_api_key(const std::string& subsystem) {
  const std::string id = random_hex(6);
  const std::string key = "lgsp_" + id + "_" + random_hex(24);
  write([&](Transaction& tx) {
    const auto& registry = repositories(tx).registry;
    if (!registry.subsystem_exists(tx, subsystem))
      throw RegistryError(Kind::not_found, "apikey " + subsystem, "subsystem does not exist");
    registry.insert_api_key(tx, {id, subsystem, sha256_hex(key)});
  });
  return key;
}

std::vector<ApiKeyInfo> Registry::api_keys() const {
  std::vector<ApiKeyInfo> out;
  read([&](Transaction& tx) { out = repositories(tx).registry.api_keys(tx); });
  return out;
}

void Registry::revoke_api_key(const std::string& id) {
  write([&](Transaction& tx) {
    if (!repositories(tx).registry.revoke_api_key(tx, id))
      throw RegistryError(Kind::not_found, "apikey " + id, "does not exist or is revoked");
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
          auto stored = repositories(tx).registry.find_active_api_key(tx, id);
          if (stored && constant_time_equal(stored->hash, hash)) subsystem = stored->subsystem;
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
    const auto& registry = repositories(tx).registry;
    if (!registry.subsystem_exists(tx, subsystem))
      throw RegistryError(Kind::not_found, "certificate for " + subsystem, "subsystem does not exist");
    if (registry.certificate_bound(tx, *fp))
      throw RegistryError(Kind::conflict, "certificate " + *fp, "already bound to a subsystem or a peer node");
    registry.insert_client_certificate(tx, {*fp, subsystem}, pem);
  });
  return *fp;
}

std::vector<std::pair<std::string, std::string>> Registry::certificates() const {
  std::vector<std::pair<std::string, std::string>> out;
  read([&](Transaction& tx) {
    for (auto& c : repositories(tx).registry.client_certificates(tx)) out.emplace_back(c.fingerprint, c.subsystem);
  });
  return out;
}

void Registry::remove_certificate(const std::string& fingerprint) {
  write([&](Transaction& tx) {
    if (!repositories(tx).registry.delete_client_certificate(tx, fingerprint))
      throw RegistryError(Kind::not_found, "certificate " + fingerprint, "not registered");
  });
}

std::optional<std::string> Registry::subsystem_for_certificate(const std::string& sha256_hex) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::certificate_subsystems, sha256_hex, [&] {
    std::optional<std::string> subsystem;
    read([&](Transaction& tx) { subsystem = repositories(tx).registry.subsystem_for_certificate(tx, sha256_hex); });
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
    const auto& registry = repositories(tx).registry;
    if (registry.peer_node_exists(tx, name)) throw RegistryError(Kind::conflict, "node " + name, "already registered");
    if (registry.certificate_bound(tx, *fp))
      throw RegistryError(Kind::conflict, "node " + name, "the certificate is already registered");
    registry.insert_peer_node(tx, {name, *fp, pem});
  });
  return *fp;
}

std::vector<std::pair<std::string, std::string>> Registry::peer_nodes() const {
  std::vector<std::pair<std::string, std::string>> out;
  read([&](Transaction& tx) {
    for (auto& n : repositories(tx).registry.peer_nodes(tx)) out.emplace_back(n.name, n.fingerprint);
  });
  return out;
}

void Registry::remove_peer_node(const std::string& name) {
  write([&](Transaction& tx) {
    if (!repositories(tx).registry.delete_peer_node(tx, name))
      throw RegistryError(Kind::not_found, "node " + name, "not registered");
  });
}

std::optional<std::string> Registry::peer_node_for_certificate(const std::string& sha256_hex) const {
  return RegistryCache::Impl::answer(cache(), version_, &RegistryCache::Impl::certificate_peers, sha256_hex, [&] {
    std::optional<std::string> name;
    read([&](Transaction& tx) { name = repositories(tx).registry.peer_node_for_certificate(tx, sha256_hex); });
    return name;
  });
}

}  // namespace lgsp::bus
