// Who is on the bus and who may call what: members, subsystems, services, ACL grants, API keys.
// The CLI and the admin API both go through this class, so they have the same rules.
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

class RegistryError : public std::runtime_error {
 public:
  enum class Kind { invalid, not_found, conflict };
  // what() reads "<what> : <why>", like every error the CLI prints.
  RegistryError(Kind kind, const std::string& what, const std::string& why)
      : std::runtime_error(what + " : " + why), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Member {
  std::string code;  // agency code NNN.NN.NN.XNN
  std::string name;
};

struct Subsystem {
  std::string id;  // MEMBER/SUBSYSTEM
};

struct RetryPolicy {
  int max_attempts = 8;
  int initial_backoff_ms = 500;
  int max_backoff_ms = 300000;
};

struct Service {
  std::string id;  // MEMBER/SUBSYSTEM/CODE/vN
  std::string request_contract;
  std::string response_contract;  // empty: none
  std::string endpoint;           // http(s)://host:port/path
  int timeout_ms = 30000;
  RetryPolicy retry;
  bool keep_payload = true;      // false: the log keeps only the digest (personal data)
  std::string provider() const;  // MEMBER/SUBSYSTEM
};

struct Grant {
  std::string client;   // MEMBER/SUBSYSTEM
  std::string service;  // service id
};

struct ApiKeyInfo {
  std::string id;  // public part, shown in lists
  std::string subsystem;
  std::string created_at;
  bool revoked = false;
};

// The answers a request's questions got (API key, service, grant, certificates), kept for as long
// as table registry_version says the registry has not changed: every change to a registry table
// bumps it by trigger, whoever makes it (the admin API, or the CLI from another process), so a
// change applies to the next request. Shared by the threads of one node.
class RegistryCache {
 public:
  RegistryCache();
  ~RegistryCache();
  RegistryCache(const RegistryCache&) = delete;
  RegistryCache& operator=(const RegistryCache&) = delete;

  struct Impl;

 private:
  friend class Registry;
  std::unique_ptr<Impl> impl_;
};

class Registry {
 public:
  // `catalogue` checks that a service's contracts exist (may be null to skip the check). With a
  // `cache`, the reads inside in_one_read() check the registry's version once and answer from the
  // cache while it holds.
  Registry(Store& store, const contracts::Catalogue* catalogue, RegistryCache* cache = nullptr);

  void add_member(const std::string& code, const std::string& name);
  std::vector<Member> members() const;

  void add_subsystem(const std::string& id);
  std::vector<Subsystem> subsystems() const;

  void add_service(const Service& service);
  // Replaces every field of an existing service (same checks as add_service).
  void update_service(const Service& service);
  // Removes a service and its ACL grants; refused (conflict) while messages to it are still to be delivered.
  // Returns how many grants went with it.
  std::size_t remove_service(const std::string& id);
  std::vector<Service> services() const;
  std::optional<Service> find_service(const std::string& id) const;

  void grant(const std::string& client, const std::string& service);
  void revoke(const std::string& client, const std::string& service);
  std::vector<Grant> grants() const;
  bool allowed(const std::string& client, const std::string& service) const;

  // Returns the key once ("lgsp_<id>_<secret>"); only its SHA-256 is stored.
  std::string create_api_key(const std::string& subsystem);
  std::vector<ApiKeyInfo> api_keys() const;
  void revoke_api_key(const std::string& id);
  // The subsystem the key belongs to, or nullopt (unknown, malformed or revoked).
  std::optional<std::string> authenticate(const std::string& key) const;

  // Client certificates for mutual TLS: the certificate (PEM) is bound to one subsystem by the SHA-256
  // of its DER encoding, so a certificate identifies exactly one subsystem.
  std::string add_certificate(const std::string& subsystem, const std::string& pem);  // returns the fingerprint
  std::vector<std::pair<std::string, std::string>> certificates() const;              // (fingerprint, subsystem)
  void remove_certificate(const std::string& fingerprint);
  std::optional<std::string> subsystem_for_certificate(const std::string& sha256_hex) const;

  // Peer LGSP nodes (another province's or a ward's node) identified by their TLS certificate. A peer
  // node forwards messages on behalf of its own member systems: it may name any registered subsystem
  // as LGSP-Client, and this node's ACL still decides what that client may call.
  std::string add_peer_node(const std::string& name, const std::string& pem);  // returns the fingerprint
  std::vector<std::pair<std::string, std::string>> peer_nodes() const;         // (name, fingerprint)
  void remove_peer_node(const std::string& name);
  std::optional<std::string> peer_node_for_certificate(const std::string& sha256_hex) const;

  // SHA-256 of a PEM certificate's DER encoding, or nullopt when `pem` holds no certificate.
  static std::optional<std::string> certificate_fingerprint(const std::string& pem);

  // Called inside the transaction of every change this registry makes, after the change, so a record
  // of it (the admin API's log record) commits or rolls back with it.
  void on_change(std::function<void(Transaction&)> note) { note_ = std::move(note); }
  // Writes that note alone, for a change made outside the registry (a dead-letter replay).
  void record_change();

  // Identifier checks, shared with the admin API.
  static bool is_agency_code(const std::string& s);
  static bool is_subsystem_id(const std::string& s);
  static bool is_service_id(const std::string& s);

  // Runs `fn` with every read this registry makes inside one read transaction: one snapshot and one
  // BEGIN/COMMIT for the several questions a request asks (key, service, grant). A Registry is used
  // by one thread at a time.
  void in_one_read(const std::function<void()>& fn) const;

 private:
  void read(const Store::Work& work) const;
  void write(const std::function<void(Transaction&)>& work);
  void check_service(const Service& s, std::string& subsystem) const;
  RegistryCache::Impl* cache() const;  // null without a cache

  Store& store_;
  const contracts::Catalogue* catalogue_;
  RegistryCache* cache_;
  std::function<void(Transaction&)> note_;
  mutable Transaction* tx_ = nullptr;  // set inside in_one_read
  mutable std::int64_t version_ = -1;  // registry_version read in tx_, when there is a cache
};

}  // namespace lgsp::bus
