// The node's sealing certificates, kept once in the store (table seal_certificate) instead of in
// every stored seal. What the node stores for a message (message_body.seal, the `accepted` log
// record) names its certificate by SHA-256 ("cert_sha256"); what it hands out (receipts, the
// LGSP-Signature header, GET /v1/messages/{id}) is the full seal with "cert" and "chain", so every
// seal outside the node still verifies on its own.
#pragma once

#include "lgsp/bus/store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
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

}  // namespace lgsp::bus
