// The node's signature over accepted messages, as the pipeline sees it. The implementation batches
// leaves into a Merkle tree and signs the root once with the node's HSM key (batch_signer.hpp); the
// pipeline never sees a token, a PIN or a key handle.
#pragma once

#include "lgsp/bus/digest.hpp"

#include <nlohmann/json.hpp>

#include <future>
#include <stdexcept>
#include <string>

namespace lgsp::bus {

// The HSM could not sign (token absent, PIN refused, device error). The node answers 503.
class SealError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Sealer {
 public:
  virtual ~Sealer() = default;
  // Seals one leaf digest. The future becomes ready once the batch holding the leaf is signed; its
  // value is the seal as JSON (what goes into receipt.signature and the LGSP-Signature header), or
  // it holds a SealError.
  virtual std::future<nlohmann::json> seal(const Sha256& leaf) = 0;
  // True when signing is possible now; otherwise fills `reason` (shown by /readyz).
  virtual bool ready(std::string& reason) const = 0;
};

}  // namespace lgsp::bus
