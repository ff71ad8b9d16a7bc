// A message the node pushed to an adapter's endpoint (the adapter is the service's endpoint), and the check
// that it really comes from the node: its LGSP-Signature seal over (message id, client, service, accepted
// time, payload SHA-256) verifies, chains to the trusted roots and is by a pinned node certificate.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

namespace lgsp::bus {
struct HttpRequest;
struct HttpResponse;
}  // namespace lgsp::bus

namespace lgsp::adapters {

struct Delivery {
  std::string message_id;
  std::string client;  // the sending subsystem
  std::string service;
  std::string conversation_id;  // empty: none
  std::string accepted_at;
  std::string payload_sha256;
  std::string content_type;
  std::string body;
  std::string signer;  // subject of the node certificate that sealed it
};

struct DeliveryRefusal {
  std::string reason;  // answer 403 with it; the node retries and dead-letters on its side
};

// The answer to a refused delivery: 403 problem+json LGSP-403-ADAPTER-SEAL with the reason.
bus::HttpResponse refusal_answer(const DeliveryRefusal& refusal);

class DeliveryVerifier {
 public:
  // `trust_roots`: PEM CAs; `node_certificates`: PEM node certificates whose seals count.
  DeliveryVerifier(const std::filesystem::path& trust_roots, const std::filesystem::path& node_certificates);
  ~DeliveryVerifier();
  DeliveryVerifier(DeliveryVerifier&&) noexcept;
  std::variant<Delivery, DeliveryRefusal> verify(const bus::HttpRequest& request) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters
