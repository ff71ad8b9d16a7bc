// The certificates on the tokens plugged in now, and batch signing on one of them with one PIN entry. Each
// call loads the configured PKCS#11 modules afresh (pkcs11-helper and most modules read the slot list once, at
// C_Initialize), so a token plugged in or pulled out after the agent started is seen without a restart.
#pragma once

#include "lgsp/agent/pinentry.hpp"
#include "lgsp/bus/errors.hpp"
#include "lgsp/signing/signer.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::agent {

struct CertificateView {
  std::string fingerprint;  // SHA-256 of the DER certificate, lower-case hex: how a page names it
  std::string subject;      // RFC 2253, UTF-8
  std::string issuer;
  std::string serial;      // lower-case hex
  std::string not_before;  // ISO 8601 UTC
  std::string not_after;
  std::vector<std::string> key_usage;  // "digitalSignature", "nonRepudiation", ...
  std::string token_label;
  std::string key_id;
  std::string certificate;  // base64 DER
};

// The user PIN's remaining-tries state, from the token's C_GetTokenInfo flags.
enum class PinTries { kUnknown, kOk, kCountLow, kFinalTry, kLocked };
const char* to_string(PinTries tries);

// A refusal or failure with its stable code; `extra` members are added to the problem+json answer.
class AgentError : public std::runtime_error {
 public:
  AgentError(const bus::ErrorCode& code, const std::string& detail, nlohmann::json extra = nlohmann::json::object())
      : std::runtime_error(detail), code_(&code), extra_(std::move(extra)) {}
  const bus::ErrorCode& code() const { return *code_; }
  const nlohmann::json& extra() const { return extra_; }

 private:
  const bus::ErrorCode* code_;
  nlohmann::json extra_;
};

struct SignedBatch {
  // One per digest, in order: RSA PKCS#1 v1.5 over the SHA-256 DigestInfo, or ECDSA as a DER Ecdsa-Sig-Value:
  // the SignerInfo signature value a CMS (PAdES, CAdES) signature carries.
  std::vector<std::vector<unsigned char>> signatures;
  // The signer's certificate first, then the CA certificates the token holds, DER.
  std::vector<std::vector<unsigned char>> chain;
};

// Asks the PIN for `certificate` (on token `token_label`, whose PIN is in state `tries`). Nothing: cancelled.
using PinAsker = std::function<std::optional<SecretString>(const CertificateView& certificate, PinTries tries)>;

class TokenDirectory {
 public:
  explicit TokenDirectory(std::vector<std::filesystem::path> modules);

  // Every certificate with a key on every token present now, by token label. A module that cannot be loaded is
  // skipped (a vendor module of a token not installed on this PC).
  std::vector<CertificateView> certificates();

  // Signs every digest with the key of the certificate whose fingerprint is `fingerprint`, logging in once
  // (one PIN asked through `ask`). All or nothing: a failure on any digest releases no signature. Throws
  // AgentError: kCertificateUnknown, kCancelled, kPinIncorrect (with pin_tries), kPinLocked, kTokenRemoved,
  // kToken.
  SignedBatch sign(const std::string& fingerprint, const std::vector<signing::Sha256Digest>& digests,
                   const PinAsker& ask);

 private:
  std::vector<std::filesystem::path> modules_;
};

// The state of the user PIN of token `label` in `module`, which the process has loaded and initialised (through
// a TokenModule); kUnknown when the token is not found.
PinTries pin_tries(const std::filesystem::path& module, const std::string& label);
// Whether a token labelled `label` is present now in the loaded, initialised `module`.
bool token_present(const std::filesystem::path& module, const std::string& label);

}  // namespace lgsp::agent
