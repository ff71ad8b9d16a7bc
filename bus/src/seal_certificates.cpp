#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/contracts/base64.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/repositories.hpp"

namespace lgsp::bus {
namespace {

constexpr std::string_view kReference = "\"cert_sha256\":\"";

}  // namespace

std::string seal_certificate_sha256(const std::string& stored) {
  const auto at = stored.find(kReference);
  if (at == std::string::npos) return {};
  const auto start = at + kReference.size();
  const auto end = stored.find('"', start);
  if (end == std::string::npos) return {};
  return stored.substr(start, end - start);
}

std::optional<std::string> expand_seal_text(const std::string& stored, const SealCertificates& certs) {
  const auto at = stored.find(kReference);
  if (at == std::string::npos) return stored;
  const auto start = at + kReference.size();
  const auto end = stored.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  auto it = certs.find(std::string_view(stored).substr(start, end - start));
  if (it == certs.end()) return std::nullopt;
  // Base64 and a JSON array of base64 strings need no escaping: written as they are.
  std::string out;
  out.reserve(stored.size() + it->second.cert.size() + it->second.chain.size() + 20);
  out.append(stored, 0, at);
  out.append("\"cert\":\"").append(it->second.cert).append("\",\"chain\":").append(it->second.chain);
  out.append(stored, end + 1);
  return out;
}

std::string expand_seal(nlohmann::json& seal, const SealCertificates& certs) {
  if (!seal.is_object() || !seal.contains("cert_sha256")) return {};
  if (!seal["cert_sha256"].is_string()) return "the seal's cert_sha256 is not a string";
  const std::string sha = seal["cert_sha256"];
  auto it = certs.find(sha);
  if (it == certs.end()) return "the seal names certificate " + sha + ", which the log does not hold";
  auto der = contracts::base64_decode(it->second.cert);
  if (!der || sha256_hex(*der) != sha) return "the certificate held for " + sha + " is not the one the seal names";
  auto chain = nlohmann::json::parse(it->second.chain, nullptr, false);
  if (!chain.is_array()) return "the chain held for certificate " + sha + " is not a JSON array";
  seal.erase("cert_sha256");
  seal["cert"] = it->second.cert;
  seal["chain"] = std::move(chain);
  return {};
}

SealCertificates load_seal_certificates(Transaction& tx) { return repositories(tx).log.seal_certificates(tx); }

void store_seal_certificate(Transaction& tx, const std::string& sha256, const SealCertificate& certificate) {
  // The certificate (named by its hash) never changes; its chain can: a node started without
  // `signing.ca_chain` and restarted with it stores the chain with its first record, and every stored
  // seal then goes out with it. The chain is a path-building aid, not covered by the signature.
  repositories(tx).log.store_seal_certificate(tx, sha256, certificate);
}

bool SealCertificateCache::holds(const std::string& sha256, const SealCertificate& certificate) const {
  std::lock_guard lock(mutex_);
  auto it = known_.find(sha256);
  return it != known_.end() && it->second.cert == certificate.cert && it->second.chain == certificate.chain;
}

void SealCertificateCache::remember(const std::string& sha256, const SealCertificate& certificate) {
  std::lock_guard lock(mutex_);
  known_.insert_or_assign(sha256, certificate);
}

void SealCertificateCache::remember_committed(const SealCertificates& rows) {
  std::lock_guard lock(mutex_);
  for (const auto& [sha256, certificate] : rows) known_.try_emplace(sha256, certificate);
}

std::optional<std::string> SealCertificateCache::expand(const std::string& stored) const {
  std::lock_guard lock(mutex_);
  return expand_seal_text(stored, known_);
}

}  // namespace lgsp::bus
