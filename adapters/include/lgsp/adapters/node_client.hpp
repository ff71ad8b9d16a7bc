// An adapter's link to its node: the node's public API (POST /v1/messages, /v1/call/...) with the adapter's
// own member-subsystem identity (API key or client certificate). Blocking; call it from the adapter's own
// threads, never from an HTTP I/O thread of the runner.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::adapters {

struct NodeIdentity {
  std::string node_url;               // "http://127.0.0.1:8080" or https://...
  std::string client;                 // LGSP-Client: "000.00.13.H29/HOTICH"
  std::string api_key;                // Authorization: Bearer <api_key>; empty with a client certificate
  std::filesystem::path ca;           // PEM roots the node's TLS certificate must chain to (https)
  std::filesystem::path certificate;  // PEM client certificate for mutual TLS; empty: none
  std::filesystem::path private_key;  // PEM
  std::chrono::milliseconds timeout{30000};
};

struct OutgoingMessage {
  std::string service;          // LGSP-Service
  std::string message_id;       // LGSP-Message-Id: the idempotency key (a file's SHA-256, a row's key, ...)
  std::string conversation_id;  // LGSP-Conversation-Id; empty: none
  std::string content_type = "application/json";
  std::string body;
};

struct SendOutcome {
  enum class Kind {
    accepted,     // 202: durable on the node
    repeated,     // 200: the node had it already (same id, same payload): done, not delivered twice
    refused,      // 4xx: the node will never take it as it is (contract, ACL, id reused): dead-letter it
    unavailable,  // 5xx, 429, connection refused, timeout: try again later with backoff
  };
  Kind kind = Kind::unavailable;
  unsigned status = 0;  // HTTP status; 0 when no answer
  std::string code;     // problem+json `code` (LGSP-400-CONTRACT ...) when the node gave one
  std::string detail;   // problem+json `detail`, the transport error, or empty
  std::string body;     // the receipt (accepted/repeated) or the problem+json as received
  std::optional<std::chrono::seconds> retry_after;
  bool acknowledged() const { return kind == Kind::accepted || kind == Kind::repeated; }
  // One line for logs, reason files and dead letters: "400 LGSP-400-CONTRACT: /name: required".
  std::string describe() const;
};

struct CallRequest {
  std::string method = "POST";
  std::string service;  // "000.00.13.H29/HOTICH/trichluc/v1"
  std::string path;     // appended after the service: "" or "/records/12"
  std::string query;    // without '?'
  std::string content_type = "application/json";
  std::string body;
  std::string message_id;                                    // LGSP-Message-Id (the call id); empty: the node makes one
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Accept
  std::optional<std::chrono::milliseconds> timeout;          // default NodeIdentity::timeout
};

struct CallOutcome {
  bool answered = false;  // false: no HTTP answer (connect/TLS/timeout), see error
  std::string error;
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::string code;  // problem+json code when the node or provider refused with one
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased names
  std::optional<std::string> header(const std::string& lower_name) const;
};

class NodeClient {
 public:
  explicit NodeClient(NodeIdentity identity);
  ~NodeClient();
  NodeClient(const NodeClient&) = delete;
  NodeClient& operator=(const NodeClient&) = delete;

  SendOutcome send(const OutgoingMessage& message);
  CallOutcome call(const CallRequest& request);
  const NodeIdentity& identity() const { return identity_; }

 private:
  NodeIdentity identity_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters
