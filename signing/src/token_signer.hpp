// A Signer whose private key is a PKCS#11 object, used through a pkcs11-helper certificate session.
#pragma once

#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/token.hpp"
#include "pkcs11h.hpp"

#include <memory>
#include <string>

namespace lgsp::signing {

// What the PIN and token-prompt hooks need for one key: passed to pkcs11-helper as the certificate's user
// data, so it lives as long as the TokenSigner.
struct LoginContext {
  std::string token_label;
  PinSource pins;
  bool pin_rejected = false;     // the token refused the PIN we gave
  bool pin_unavailable = false;  // the PinSource had none
  bool token_missing = false;    // pkcs11-helper asked for the token to be inserted
};

class TokenSigner final : public Signer {
 public:
  TokenSigner(std::unique_ptr<LoginContext> login, pkcs11h::Certificate certificate, X509Ptr x509,
              std::vector<X509Ptr> chain, std::string key_id);
  ~TokenSigner() override;

  KeyKind key_kind() const override { return kind_; }
  X509* certificate() const override { return x509_.get(); }
  const std::vector<X509Ptr>& chain() const override { return chain_; }
  std::string description() const override;
  std::vector<unsigned char> sign_digest(const Sha256Digest& digest) override;

 private:
  std::unique_ptr<LoginContext> login_;
  pkcs11h::Certificate certificate_;
  X509Ptr x509_;
  std::vector<X509Ptr> chain_;
  std::string key_id_;
  KeyKind kind_;
};

// The SigningError for a failed pkcs11-helper call on token `label`, using the hooks' findings in `login`.
[[noreturn]] void throw_token_error(CK_RV rv, const std::string& what, const LoginContext* login,
                                    const std::string& label);

}  // namespace lgsp::signing
