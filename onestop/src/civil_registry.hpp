// The office's client of the civil-status registry: a trích lục asked for over the office's node (`/v1/call`,
// hotich.trichluc-request@v1 -> hotich.trichluc-result@v1), the extract document checked (hash, size, PAdES
// signature, the registry's pinned seal certificate) before anything is issued (docs/onestop.md, "Civil-registry
// extracts (trích lục)").
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/errors.hpp"
#include "lgsp/onestop/records.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace lgsp::bus {
class OutboundClient;
struct OutboundResponse;
}  // namespace lgsp::bus
namespace lgsp::signing {
class Verifier;
class TrustStore;
}  // namespace lgsp::signing

namespace lgsp::onestop {

// A refusal of an extract, with what the dossier's history records about it (the registry's message, the call).
class ExtractFailure : public OnestopError {
 public:
  ExtractFailure(const bus::ErrorCode& code, std::string detail, nlohmann::json record,
                 nlohmann::json errors = nlohmann::json::array())
      : OnestopError(code, std::move(detail), std::move(errors)), record_(std::move(record)) {}
  const nlohmann::json& record() const { return record_; }

 private:
  nlohmann::json record_;
};

// A verified extract: the registry's answer and the signed PDF whose hash and size it names.
struct VerifiedExtract {
  nlohmann::json extract;  // the answer's `extract`
  std::string message;     // the registry's message, if any
  std::vector<unsigned char> pdf;
  std::string signer;   // the registry seal certificate's subject
  std::string call_id;  // the node's LGSP-Message-Id of the sealed call
  std::string sealed_at;
};

class CivilRegistry {
 public:
  // Reads registry.seal_certificates (bus::ConfigError when it cannot). `api_key` is the office's bus key.
  CivilRegistry(const OnestopConfig& config, std::string api_key);
  ~CivilRegistry();
  CivilRegistry(const CivilRegistry&) = delete;
  CivilRegistry& operator=(const CivilRegistry&) = delete;

  bool configured() const { return !config_.registry.service.empty(); }
  bool handles(const std::string& procedure_code) const;
  const std::string& service() const { return config_.registry.service; }

  // The hotich.trichluc-request@v1 for dossier `d` from the official's `input` ({event_type, lookup, purpose?,
  // copies?, relation?, requester?}); the requester defaults to the dossier's applicant. Throws kInvalid.
  nlohmann::json request_for(const DossierRecord& d, const nlohmann::json& input, const std::string& now) const;

  // Asks the registry and checks its answer. Throws ExtractFailure for every refusal (timeout, the bus's or the
  // registry's refusal, not found, refused, a document that fails a check).
  VerifiedExtract ask(const nlohmann::json& request, const signing::Verifier* verifier) const;

 private:
  // One call through the node (/v1/call/<service>[/<path>]); a 200 answer whose node seal verifies, or an
  // ExtractFailure for the rest. `record` gets the call's id, seal time and, on failure, what the bus said.
  bus::OutboundResponse call(const std::string& method, const std::string& service, const std::string& path,
                             const std::string& body, nlohmann::json& record) const;
  VerifiedExtract check_found(const nlohmann::json& answer, const signing::Verifier* verifier,
                              nlohmann::json record) const;

  OnestopConfig config_;
  std::string api_key_;
  std::set<std::string> seal_fingerprints_;  // upper-case hex SHA-256 of the DER of the registry's seal(s)
  // The node's seal over each call: chained to bus.trust_roots and made by a certificate in bus.node_certificates.
  std::unique_ptr<signing::TrustStore> node_trust_;
  std::set<std::string, std::less<>> node_pins_;
  std::unique_ptr<bus::OutboundClient> client_;
};

// "Trích lục khai sinh" and so on, for an event_type of the contract.
std::string extract_title(const std::string& event_type);

}  // namespace lgsp::onestop
