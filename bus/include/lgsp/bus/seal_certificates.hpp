// The node's sealing certificates, kept once in the store (table seal_certificate) instead of in
// every stored seal. What the node stores for a message (message_body.seal, the `accepted` log
// record) names its certificate by SHA-256 ("cert_sha256"); what it hands out (receipts, the
// LGSP-Signature header, GET /v1/messages/{id}) is the full seal with "cert" and "chain", so every
// seal outside the node still verifies on its own.
#pragma once

#include "lgsp/bus/store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace lgsp::bus {

struct SealCertificate {
  std::string cert;   // base64 DER
  std::string chain;  // JSON array text of base64 DER, issuer first (as in a seal's "chain")
};
// By cert_sha256: lower-case hex SHA-256 of the certificate's DER.
using SealCertificates = std::map<std::string, SealCertificate, std::less<>>;

// The full seal text for a stored one: `"cert_sha256":"…"` replaced by `"cert":"…","chain":[…]`
// (their place among the keys, so the result is what nlohmann::json::dump() writes for the full
// seal). A seal that carries its certificates already comes back unchanged; nullopt when it names
// a certificate that `certs` does not hold.
std::optional<std::string> expand_seal_text(const std::string& stored, const SealCertificates& certs);
// The same on a parsed seal, for verification: also checks that the certificate has the SHA-256 the
// seal names. Empty when done (or nothing to do), otherwise why not.
std::string expand_seal(nlohmann::json& seal, const SealCertificates& certs);
// The SHA-256 a stored seal names, or empty when it carries its certificates.
std::string seal_certificate_sha256(const std::string& stored);

// Reading and writing the table, inside a store transaction. Storing a certificate the table holds
// already replaces its chain when the chain differs (the certificate stays).
SealCertificates load_seal_certificates(Transaction& tx);
void store_seal_certificate(Transaction& tx, const std::string& sha256, const SealCertificate& certificate);

// A stored seal names a certificate that the seal_certificate table does not hold (the store was
// changed behind the node's back): the seal cannot be handed out, since nobody could verify it.
struct SealCertificateMissing : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What this process knows the seal_certificate table holds: each certificate by SHA-256 with the
// chain the table has for it. One per node, shared by everything that stores seals (accepted
// messages, call and batch records) or expands them, so that a chain one of them stored is the
// chain all of them hand out. Only committed rows may enter it: a row of a transaction that later
// rolls back would make the next seal name a certificate the store lacks. Thread-safe.
class SealCertificateCache {
 public:
  // True when the table is known to hold this certificate with this chain.
  bool holds(const std::string& sha256, const SealCertificate& certificate) const;
  // After the transaction that stored it committed.
  void remember(const std::string& sha256, const SealCertificate& certificate);
  // Rows read in a transaction that saw only committed data; entries known already are kept.
  void remember_committed(const SealCertificates& rows);
  // expand_seal_text with what is known.
  std::optional<std::string> expand(const std::string& stored) const;

 private:
  mutable std::mutex mutex_;
  SealCertificates known_;
};

}  // namespace lgsp::bus
