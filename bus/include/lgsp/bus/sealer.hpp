// The node's signature over accepted messages, as the pipeline sees it. The implementation batches
// leaves into a Merkle tree and signs the root once with the node's HSM key (batch_signer.hpp); the
// pipeline never sees a token, a PIN or a key handle.
#pragma once

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/seal_certificates.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

namespace lgsp::bus {

// The HSM could not sign (token absent, PIN refused, device error). The node answers 503.
class SealError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A seal (what goes into receipt.signature and the LGSP-Signature header) as compact JSON text,
// exactly what nlohmann::json::dump() writes for it. The signer builds it once per batch and splices
// in each leaf's proof, so the certificates a seal carries (a few KiB of base64) are not serialized
// again for every message.
struct Seal {
  std::string text;
  // The same seal as the node stores it: "cert_sha256" in place of "cert" and "chain", which are
  // kept once in the store (seal_certificates.hpp). Empty when the sealer gives no stored form.
  std::string stored;
  std::string cert_sha256;
  std::shared_ptr<const SealCertificate> certificate;
  nlohmann::json json() const { return nlohmann::json::parse(text); }
};

// The seal, or the error (a SealError when the HSM could not sign).
using SealCallback = std::function<void(Seal seal, std::exception_ptr error)>;

class Sealer {
 public:
  virtual ~Sealer() = default;
  // Seals one leaf digest; `done` runs on the signer's thread once the batch holding the leaf is
  // signed. Callers on I/O threads use this form: they never wait for the HSM.
  virtual void seal(const Sha256& leaf, SealCallback done) = 0;
  // The same for a caller who is waiting synchronously (the sync proxy): the batch holding it is
  // signed without waiting for the batch window. By default the same as seal().
  virtual void seal_urgent(const Sha256& leaf, SealCallback done) { seal(leaf, std::move(done)); }
  // The same, for worker threads that may wait.
  std::future<nlohmann::json> seal(const Sha256& leaf) {
    auto promise = std::make_shared<std::promise<nlohmann::json>>();
    auto future = promise->get_future();
    seal(leaf, [promise](Seal value, std::exception_ptr error) {
      if (error)
        promise->set_exception(error);
      else
        promise->set_value(value.json());
    });
    return future;
  }
  // True when signing is possible now; otherwise fills `reason` (shown by /readyz).
  virtual bool ready(std::string& reason) const = 0;
};

}  // namespace lgsp::bus
