// The node's Sealer: leaves submitted concurrently are collected for a short window (or until the batch
// is full), hashed into one Merkle tree, and the root is signed once with the node's HSM key. A token
// that signs a few hundred times a second thus seals tens of thousands of messages a second.
#pragma once

#include "lgsp/bus/sealer.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lgsp::signing {
class Signer;
}

namespace lgsp::bus {

// One signature over a batch, as the message log records it.
struct SignedBatch {
  std::string root;  // hex
  std::size_t size = 0;
  std::string alg;                 // "ES256" (ECDSA P-256, r||s) or "RS256" (RSASSA-PKCS1-v1_5)
  std::string signature;           // base64
  std::string certificate;         // base64 DER
  std::vector<std::string> chain;  // base64 DER, issuer first, root excluded
  std::string cert_sha256;         // hex SHA-256 of the certificate's DER
  std::shared_ptr<const SealCertificate> seal_certificate;  // certificate and chain as seal_certificate keeps them
  std::string signed_at;                                    // RFC 3339 UTC
};

struct BatchSignerOptions {
  std::chrono::milliseconds window{5};  // how long the first leaf of a batch waits for company
  // How long a leaf whose caller waits synchronously (seal_urgent: the sync proxy) waits for company.
  // A few hundred microseconds gather the calls that arrive meanwhile into one signature.
  std::chrono::microseconds urgent_window{0};
  std::size_t max_batch = 8192;
  std::chrono::milliseconds reopen_every{2000};  // while the HSM is unavailable
  std::function<void()> on_failure;              // a batch could not be signed (metrics)
};

// Opens the node's signer (logs in to the token). Throws std::exception with the reason when it
// cannot (token absent, PIN refused, module missing); it is called again later to recover.
using SignerFactory = std::function<std::unique_ptr<signing::Signer>()>;

// Observes each signed batch: size and seconds spent signing (metrics), and the batch (the log).
using BatchObserver = std::function<void(const SignedBatch& batch, double sign_seconds)>;

class BatchSigner : public Sealer {
 public:
  BatchSigner(SignerFactory open_signer, BatchSignerOptions options = {}, BatchObserver on_batch = {});
  ~BatchSigner() override;
  BatchSigner(const BatchSigner&) = delete;
  BatchSigner& operator=(const BatchSigner&) = delete;

  using Sealer::seal;
  void seal(const Sha256& leaf, SealCallback done) override;
  void seal_urgent(const Sha256& leaf, SealCallback done) override;
  bool ready(std::string& reason) const override;

  // The bytes whose SHA-256 the HSM signs for a batch: a domain tag, the root and the signing time.
  static std::string signed_bytes(const std::string& root_hex, const std::string& signed_at);

 private:
  void enqueue(const Sha256& leaf, SealCallback done, bool urgent);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
