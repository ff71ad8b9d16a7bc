// PKCS#11 tokens through pkcs11-helper: load a module, list tokens and their certificates, open a Signer on
// a token key. The private key stays on the token; only digests go in and signatures come out.
#pragma once

#include "lgsp/signing/signer.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::signing {

struct TokenCertificate {
  std::string key_id;  // CKA_ID, lower-case hex; the private key carries the same CKA_ID
  X509Ptr certificate;
};

struct TokenInfo {
  std::string label;
  std::string manufacturer;
  std::string model;
  std::string serial;
  std::vector<TokenCertificate> certificates;  // end-entity certificates (each names a key)
  std::vector<X509Ptr> ca_certificates;        // CA certificates stored on the token, if any
};

// Asked for the user PIN of the token `token_label` when the token needs a login. Returns nothing when no PIN
// can be had (no terminal, nothing configured). Called again only after a login failed: see open_signer.
using PinSource = std::function<std::optional<std::string>(const std::string& token_label)>;

struct KeySelector {
  std::string token_label;
  std::optional<std::string> key_id;  // hex CKA_ID; optional when the token holds exactly one key
};

// The loaded PKCS#11 module. pkcs11-helper keeps process-wide state, so at most one TokenModule exists at a
// time; Signers opened from it must be destroyed before it.
class TokenModule {
 public:
  // Loads the module (e.g. /usr/lib/softhsm/libsofthsm2.so). Throws SigningError(kModule).
  explicit TokenModule(const std::filesystem::path& module);
  ~TokenModule();
  TokenModule(const TokenModule&) = delete;
  TokenModule& operator=(const TokenModule&) = delete;

  // Tokens present now, with their certificates (read without logging in).
  std::vector<TokenInfo> tokens();

  // Logs in to the token (once; the session stays open for every later signature) and returns a Signer on
  // the selected key. `extra_ca_certificates` completes the signer's chain when the token does not hold its
  // CA certificates. Throws SigningError with kTokenAbsent, kKeyUnknown, kKeyAmbiguous, kPinIncorrect,
  // kPinLocked, kPinUnavailable or kToken: a wrong PIN is tried once and never retried, so that a real token
  // is not locked by a loop.
  std::unique_ptr<Signer> open_signer(const KeySelector& key, PinSource pins,
                                      const std::vector<X509Ptr>& extra_ca_certificates = {});

 private:
  std::filesystem::path module_;
};

}  // namespace lgsp::signing
