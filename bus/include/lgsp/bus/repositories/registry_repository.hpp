// Who is on the bus and who may call what, as stored: members, subsystems, services, ACL grants, API
// keys, client certificates and peer nodes. The rules (identifier patterns, what may be removed) stay
// in Registry; this only reads and writes rows.
#pragma once

#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

struct ApiKeyRecord {
  std::string id;
  std::string subsystem;
  std::string hash;  // SHA-256 of the whole key
};

struct ClientCertificate {
  std::string fingerprint;  // SHA-256 of the DER encoding
  std::string subsystem;
  bool operator==(const ClientCertificate&) const = default;
};

struct PeerNode {
  std::string name;
  std::string fingerprint;
  std::string pem;
};

class RegistryRepository {
 public:
  virtual ~RegistryRepository() = default;

  // Bumped by trigger on every change to a registry table; none before migration 5.
  virtual std::optional<std::int64_t> version(Transaction& tx) const = 0;

  virtual bool member_exists(Transaction& tx, const std::string& code) const = 0;
  virtual void insert_member(Transaction& tx, const Member& m) const = 0;
  virtual std::vector<Member> members(Transaction& tx) const = 0;  // by code

  virtual bool subsystem_exists(Transaction& tx, const std::string& id) const = 0;
  virtual void insert_subsystem(Transaction& tx, const std::string& id, const std::string& member) const = 0;
  virtual std::vector<Subsystem> subsystems(Transaction& tx) const = 0;  // by id

  virtual bool service_exists(Transaction& tx, const std::string& id) const = 0;
  virtual void insert_service(Transaction& tx, const Service& s, const std::string& subsystem) const = 0;
  // False when there is no such service.
  virtual bool update_service(Transaction& tx, const Service& s) const = 0;
  virtual void delete_service(Transaction& tx, const std::string& id) const = 0;
  virtual std::vector<Service> services(Transaction& tx) const = 0;  // by id
  virtual std::optional<Service> find_service(Transaction& tx, const std::string& id) const = 0;

  // A grant already there is left as it is.
  virtual void insert_grant(Transaction& tx, const Grant& g) const = 0;
  // False when there was no such grant.
  virtual bool delete_grant(Transaction& tx, const Grant& g) const = 0;
  // Removes every grant to `service`; how many there were.
  virtual std::size_t delete_grants_to(Transaction& tx, const std::string& service) const = 0;
  virtual std::vector<Grant> grants(Transaction& tx) const = 0;  // by service, client
  virtual bool grant_exists(Transaction& tx, const Grant& g) const = 0;

  virtual void insert_api_key(Transaction& tx, const ApiKeyRecord& k) const = 0;
  virtual std::vector<ApiKeyInfo> api_keys(Transaction& tx) const = 0;  // by creation
  // False when the key does not exist or is revoked already.
  virtual bool revoke_api_key(Transaction& tx, const std::string& id) const = 0;
  // The key with this id, unless revoked.
  virtual std::optional<ApiKeyRecord> find_active_api_key(Transaction& tx, const std::string& id) const = 0;

  // Is the fingerprint bound already, to a subsystem or to a peer node?
  virtual bool certificate_bound(Transaction& tx, const std::string& fingerprint) const = 0;
  virtual void insert_client_certificate(Transaction& tx, const ClientCertificate& c, const std::string& pem) const = 0;
  virtual std::vector<ClientCertificate> client_certificates(Transaction& tx) const = 0;  // by subsystem, fingerprint
  virtual bool delete_client_certificate(Transaction& tx, const std::string& fingerprint) const = 0;
  virtual std::optional<std::string> subsystem_for_certificate(Transaction& tx,
                                                               const std::string& fingerprint) const = 0;

  virtual bool peer_node_exists(Transaction& tx, const std::string& name) const = 0;
  virtual void insert_peer_node(Transaction& tx, const PeerNode& n) const = 0;
  virtual std::vector<PeerNode> peer_nodes(Transaction& tx) const = 0;  // by name
  virtual bool delete_peer_node(Transaction& tx, const std::string& name) const = 0;
  virtual std::optional<std::string> peer_node_for_certificate(Transaction& tx,
                                                               const std::string& fingerprint) const = 0;
};

}  // namespace lgsp::bus
