#include "lgsp/onestop/result_signer.hpp"

#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/token.hpp"

#include <cstdlib>

namespace lgsp::onestop {

ResultSigner::ResultSigner(SigningConfig config) : config_(std::move(config)) {}
ResultSigner::~ResultSigner() = default;

// Loaded afresh for every operation and unloaded after it (the caller keeps it in a local, declared before the
// signer, so the signer goes first): a token plugged in after start-up is seen, and no login outlives its use.
std::unique_ptr<signing::TokenModule> ResultSigner::load_module() const {
  if (config_.module.empty())
    throw signing::SigningError(signing::errors::kModule,
                                "no PKCS#11 module configured (signing.module or $LGSP_PKCS11_MODULE)");
  return std::make_unique<signing::TokenModule>(config_.module);
}

SealedPdf ResultSigner::seal_pdf(const std::vector<unsigned char>& pdf, const signing::Appearance& appearance) {
  std::lock_guard lock(mutex_);
  signing::PinSource pins = [](const std::string&) -> std::optional<std::string> {
    const char* p = std::getenv("LGSP_PIN");
    if (!p) return std::nullopt;
    return std::string(p);
  };
  std::vector<signing::X509Ptr> cas;
  if (!config_.ca_chain.empty()) cas = signing::load_pem_certificates(config_.ca_chain);
  auto module = load_module();
  auto signer = module->open_signer({config_.seal_token, std::nullopt}, pins, std::move(cas));
  SealedPdf out;
  out.sealer = signing::describe(signer->certificate()).subject;
  out.pdf = signing::pades_sign(pdf, *signer, appearance);
  return out;
}

}  // namespace lgsp::onestop
