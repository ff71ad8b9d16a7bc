// A token that signs only a few times a second (a USB token, an HSM across a slow network), made from
// a real one: every signature is the wrapped signer's, given after a fixed delay. SoftHSM2 signs in
// well under a millisecond, so this is how the tests and benchmarks show that batch sealing keeps
// throughput off the token's speed. Header-only: link lgsp::signing.
#pragma once

#include "lgsp/signing/signer.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace lgsp::test {

class SlowSigner : public signing::Signer {
 public:
  SlowSigner(std::unique_ptr<signing::Signer> token, std::chrono::milliseconds per_signature)
      : token_(std::move(token)), delay_(per_signature) {}

  signing::KeyKind key_kind() const override { return token_->key_kind(); }
  X509* certificate() const override { return token_->certificate(); }
  const std::vector<signing::X509Ptr>& chain() const override { return token_->chain(); }
  std::string description() const override { return token_->description() + " (slowed)"; }
  std::vector<unsigned char> sign_digest(const signing::Sha256Digest& digest) override {
    std::this_thread::sleep_for(delay_);
    return token_->sign_digest(digest);
  }

 private:
  std::unique_ptr<signing::Signer> token_;
  std::chrono::milliseconds delay_;
};

}  // namespace lgsp::test
