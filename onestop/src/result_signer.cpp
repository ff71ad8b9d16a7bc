#include "lgsp/onestop/result_signer.hpp"

#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/xml_signature.hpp"

#include <cstdlib>

namespace lgsp::onestop {

ResultSigner::ResultSigner(SigningConfig config) : config_(std::move(config)) {}
ResultSigner::~ResultSigner() = default;

// Loaded afresh for every operation and unloaded after it (the caller keeps it in a local, declared before the
// signer, so the signer goes first): pkcs11-helper keeps a login for the life of the module, and an official's
// token must ask for the PIN every time, whoever sends the next request. (It also makes a token plugged in
// after start-up visible.)
std::unique_ptr<signing::TokenModule> ResultSigner::load_module() const {
  if (config_.module.empty())
    throw signing::SigningError(signing::errors::kModule,
                                "no PKCS#11 module configured (signing.module or $LGSP_PKCS11_MODULE)");
  return std::make_unique<signing::TokenModule>(config_.module);
}

namespace {
std::vector<signing::X509Ptr> extra_cas(const SigningConfig& c) {
  if (c.ca_chain.empty()) return {};
  return signing::load_pem_certificates(c.ca_chain);
}

std::string subject_of(signing::Signer& s) { return signing::describe(s.certificate()).subject; }

std::string cades(const std::string& content, signing::Signer& signer) {
  auto der = signing::sign_cades(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(content.data()), content.size()), signer);
  return std::string(der.begin(), der.end());
}
}  // namespace

SignedResult ResultSigner::sign_with_token(const std::string& token, const std::optional<std::string>& key_id,
                                           const std::string& pin, const std::string& content,
                                           const std::string& media_type) {
  std::lock_guard lock(mutex_);
  // The PIN is handed to the token once; a wrong one is not tried again (a real token locks).
  signing::PinSource pins = [pin](const std::string&) -> std::optional<std::string> { return pin; };
  auto module = load_module();
  auto signer = module->open_signer({token, key_id}, pins, extra_cas(config_));
  SignedResult r;
  r.signer = subject_of(*signer);
  bool xml = media_type == "application/xml" || media_type == "text/xml";
  if (xml) {
    r.document = signing::sign_xml(content, *signer);
    r.format = "xmldsig";
  } else {
    r.document = content;
    r.signature = cades(content, *signer);
    r.format = "cades";
  }
  return r;
}

std::pair<std::string, std::string> ResultSigner::seal(const std::string& content) {
  std::lock_guard lock(mutex_);
  signing::PinSource pins = [](const std::string&) -> std::optional<std::string> {
    const char* p = std::getenv("LGSP_PIN");
    if (!p) return std::nullopt;
    return std::string(p);
  };
  auto module = load_module();
  auto signer = module->open_signer({config_.seal_token, std::nullopt}, pins, extra_cas(config_));
  return {cades(content, *signer), subject_of(*signer)};
}

}  // namespace lgsp::onestop
