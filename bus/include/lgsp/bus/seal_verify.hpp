// Checking a node's seal offline: the leaf leads through the proof to the signed root, the root's
// signature verifies with the certificate in the seal, and (with a trust store) that certificate
// chains to a trusted root. What a receiver runs on LGSP-Signature, and `lgsp verify-receipt`.
#pragma once

#include "lgsp/bus/digest.hpp"

#include <openssl/types.h>
#include <nlohmann/json.hpp>

#include <set>
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

// The node certificates whose seals count, by SHA-256 (lower-case hex) of their DER. A certificate
// that merely chains to a trusted root says who the CA trusts, not that the key is a node's: another
// agency's valid seal key must not make a receipt or a log record (pin identities, not issuers).
using PinnedCertificates = std::set<std::string, std::less<>>;

// `trust` may be null: then the certificate is only used, not trusted (say so to the user). With
// `pins`, the sealing certificate must also be one of them.
SealCheck verify_seal(const Sha256& leaf, const nlohmann::json& seal, const signing::TrustStore* trust,
                      const PinnedCertificates* pins = nullptr);
// Only the signature over the root (and the certificate's trust): for a batch record, which has no leaf.
SealCheck verify_root_signature(const nlohmann::json& seal, const signing::TrustStore* trust,
                                const PinnedCertificates* pins = nullptr);

// The pin of every certificate in a PEM file (a node's certificate, its chain is ignored when it is a
// CA). Throws signing::SigningError when the file cannot be read.
void pin_pem_certificates(const std::string& pem_file, PinnedCertificates& pins);
// The pin of a certificate: SHA-256 (hex) of its DER. Empty when it cannot be encoded.
std::string certificate_sha256(X509* cert);
// The pin of a certificate given as PEM text (the registry's peer_node.pem). Empty when unreadable.
std::string pem_certificate_sha256(const std::string& pem);

}  // namespace lgsp::bus
