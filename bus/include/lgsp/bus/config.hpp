// Node configuration: defaults, the TOML file, LGSP_* environment overrides, command-line flags.
#pragma once

#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/validation.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace lgsp::bus {

// A configuration problem; what() is "<what> : <why>" so the CLI can print "lgsp: " + what().
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& what, const std::string& why) : std::runtime_error(what + " : " + why) {}
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;
  // Parses "HOST:PORT" (IPv6 as "[::1]:8080"); throws ConfigError naming `key`.
  static HostPort parse(const std::string& text, const std::string& key);
  bool is_loopback() const;  // 127.0.0.0/8, ::1 or "localhost"
};

struct ServerConfig {
  HostPort listen{"127.0.0.1", 8080};
  unsigned threads = 0;  // 0: one io_context per core
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::uint32_t max_header_bytes = 16 * 1024;
  unsigned request_timeout_seconds = 30;
  unsigned drain_timeout_seconds = 10;
  // Open connections one source address may hold (more are closed at accept); 0: no cap.
  unsigned max_connections_per_source = 256;
};

// The listener's TLS. With a certificate the node speaks only HTTPS; without one, plain HTTP, which
// Config::validate() allows on loopback only.
struct TlsConfig {
  std::filesystem::path certificate;  // PEM: the node certificate followed by its CA chain
  std::filesystem::path private_key;  // PEM
  std::filesystem::path client_ca;    // PEM CAs whose client certificates are accepted (mutual TLS)
  std::filesystem::path peer_ca;      // PEM CAs for servers this node calls (providers, peer nodes)
  bool require_client_certificate = false;
  bool enabled() const { return !certificate.empty(); }
};

// The admin API's own listener (plain HTTP, loopback only). Unset: no admin API.
struct AdminConfig {
  std::optional<HostPort> listen;
};

// The node's own key, in an HSM slot (SoftHSM2's `lgsp-node` token in hsm-sim). The PIN is never in
// the file: it comes from $LGSP_PIN.
struct SigningConfig {
  bool enabled = true;
  std::filesystem::path module;  // PKCS#11 module; default $LGSP_PKCS11_MODULE
  std::string token = "lgsp-node";
  std::string key_id;              // hex CKA_ID; empty: the token's only key
  std::filesystem::path ca_chain;  // PEM CA certificates to carry in seals when the token holds none
  unsigned batch_window_ms = 5;
  unsigned call_batch_window_us = 0;      // sync proxy calls: how long a call's seal waits for company
  unsigned batch_max = 8192;              // a token signing once a second seals up to 8,192 messages a second
  std::string tsa_url;                    // RFC 3161 TSA for the log's chain head; empty: none
  unsigned timestamp_every_seconds = 60;  // how often the head is stamped (when it moved)
  unsigned head_seal_every_seconds = 60;  // how often the node seals the log's head (when it moved)
};

// Which engine keeps the node's state: the embedded SQLite file under data_dir (the default), or a
// PostgreSQL database several nodes may share.
enum class StoreBackendKind { sqlite, postgresql };

struct StoreConfig {
  StoreBackendKind backend = StoreBackendKind::sqlite;
  std::filesystem::path data_dir = "var";
  // PostgreSQL: a libpq connection string or URI, never with the password (refused: a config file is
  // read by many); the password comes from postgresql_password_file, else $LGSP_STORE_POSTGRESQL_PASSWORD,
  // else libpq's own $PGPASSWORD or ~/.pgpass.
  std::string postgresql_url;
  std::filesystem::path postgresql_password_file;
  unsigned pool_size = 4;  // PostgreSQL read connections (the writer has one more of its own)
  unsigned group_commit_max_rows = 512;
  unsigned group_commit_max_delay_ms = 2;
};

// Delivery of accepted messages to their service endpoints. Delivery is asynchronous (one scheduler
// thread hands requests to the outbound client's I/O threads), so its concurrency is a number of
// requests on the wire, not a number of worker threads.
struct DeliveryConfig {
  unsigned max_in_flight = 64;      // deliveries on the wire at once, across all services
  unsigned poll_interval_ms = 200;  // how often due retries are looked for (new messages wake it at once)
  // On a shared (PostgreSQL) store: how long a node's claim on a message it is delivering holds. A node that
  // dies holding claims loses them after this; the other nodes then deliver those messages. Keep it above the
  // longest service timeout, or a slow delivery may be taken over while still on the wire.
  unsigned lease_seconds = 60;
};

// This node among several on one database.
struct NodeConfig {
  // Names the node in delivery claims (message.claimed_by). Empty: "<hostname>:<listen port>" (node_id()).
  // Each node on one database needs its own.
  std::string id;
};

// How refusals are sampled into node_event (refusal_recorder.hpp); they are always counted in metrics.
struct EventsConfig {
  unsigned sample_per_code_per_minute = 20;  // stored events per kind and error code each minute
  unsigned sample_per_minute = 200;          // stored events each minute, all together
  unsigned max_value_bytes = 256;            // each stored value (header, reason) is cut to this
  unsigned max_rows = 50000;                 // refusal events kept; the oldest beyond this are deleted
  unsigned max_age_hours = 168;              // refusal events older than this are deleted
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::filesystem::path file;  // empty: stderr
};

struct ContractsConfig {
  std::filesystem::path dir = contracts::default_catalogue_dir();  // <dir>/<name>/v<N>/contract.json
};

// edXML document exchange (docs/edxml.md): what a signed package's signature is checked against.
struct EdxmlConfig {
  std::filesystem::path trust;      // PEM roots; empty: signed packages are refused (nothing to check them against)
  std::string revocation = "ocsp";  // "ocsp" (the signer certificate's responder) or "none"
};

struct Config {
  ServerConfig server;
  TlsConfig tls;
  AdminConfig admin;
  SigningConfig signing;
  StoreConfig store;
  DeliveryConfig delivery;
  NodeConfig node;
  EventsConfig events;
  LogConfig log;
  ContractsConfig contracts;
  EdxmlConfig edxml;
  contracts::ParseLimits limits;                     // for every XML and JSON document the node reads
  std::optional<std::filesystem::path> source_file;  // the file it was read from, if any

  // Defaults, then the file (if given), then the environment. Throws ConfigError.
  static Config load(const std::optional<std::filesystem::path>& file,
                     const std::map<std::string, std::string>& environment);
  static std::map<std::string, std::string> process_environment();

  // Validates cross-field rules after command-line overrides; throws ConfigError.
  void validate() const;

  // node.id, else "<hostname>:<listen port>": unique per node when nodes differ in host or port.
  std::string node_id() const;
};

}  // namespace lgsp::bus
