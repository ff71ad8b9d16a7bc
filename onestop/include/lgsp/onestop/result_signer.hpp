// Signing of results and forms with the signing core: the official's token (a PIN the official types, used
// for this one operation, never logged or kept) and the agency seal (a server-held token, PIN from $LGSP_PIN).
// XML results are signed enveloped (XML-DSig); any other file gets a CAdES-BES detached signature (.p7s)
// until PDF signing (PAdES) exists. pkcs11-helper is process-wide, so one ResultSigner per process.
#pragma once

#include "lgsp/onestop/config.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::signing {
class TokenModule;
class Signer;
}  // namespace lgsp::signing

namespace lgsp::onestop {

struct SignedResult {
  std::string document;   // the result as stored: the signed XML, or the file itself (CAdES is detached)
  std::string format;     // "xmldsig" or "cades"
  std::string signature;  // CAdES: the DER .p7s; XML-DSig: empty (inside the document)
  std::string signer;     // the signer certificate's subject
};

class ResultSigner {
 public:
  explicit ResultSigner(SigningConfig config);
  ~ResultSigner();
  ResultSigner(const ResultSigner&) = delete;
  ResultSigner& operator=(const ResultSigner&) = delete;

  // Signs `content` with the key on `token` (key_id optional when the token holds one key). Throws
  // signing::SigningError (wrong PIN, token absent, ...) with a message fit for the official.
  SignedResult sign_with_token(const std::string& token, const std::optional<std::string>& key_id,
                               const std::string& pin, const std::string& content, const std::string& media_type);
  // A CAdES-BES detached signature of `content` with the agency seal. Returns {der, subject}.
  std::pair<std::string, std::string> seal(const std::string& content);

 private:
  std::unique_ptr<signing::TokenModule> load_module() const;
  SigningConfig config_;
  std::mutex mutex_;  // one token operation at a time: pkcs11-helper's state is global
};

}  // namespace lgsp::onestop
