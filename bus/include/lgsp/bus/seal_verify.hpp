// Checking a node's seal offline: the leaf leads through the proof to the signed root, the root's
// signature verifies with the certificate in the seal, and (with a trust store) that certificate
// chains to a trusted root. What a receiver runs on LGSP-Signature, and `lgsp verify-receipt`.
#pragma once

#include "lgsp/bus/digest.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace lgsp::signing {
class TrustStore;
}

namespace lgsp::bus {

struct SealCheck {
  bool valid = false;
  std::string reason;  // why not, when !valid
  std::string signer;  // subject of the sealing certificate (UTF-8), when it could be read
  std::string signed_at;
  std::string root;
  std::size_t batch_size = 0;
};

// `trust` may be null: then the certificate is only used, not trusted (say so to the user).
SealCheck verify_seal(const Sha256& leaf, const nlohmann::json& seal, const signing::TrustStore* trust);
// Only the signature over the root (and the certificate's trust): for a batch record, which has no leaf.
SealCheck verify_root_signature(const nlohmann::json& seal, const signing::TrustStore* trust);

}  // namespace lgsp::bus
