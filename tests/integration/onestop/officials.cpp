#include "officials.hpp"

#include "lgsp/contracts/base64.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/token.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace lgsp::test {

struct Officials::Impl {
  std::unique_ptr<signing::TokenModule> module;
  std::map<std::string, std::unique_ptr<signing::Signer>> signers;
  ~Impl() { signers.clear(); }  // before the module
  signing::Signer& signer(const std::string& token) {
    auto& s = signers[token];
    if (!s)
      s = module->open_signer({token, std::nullopt},
                              [](const std::string&) -> std::optional<std::string> { return "123456"; });
    return *s;
  }
};

namespace {
std::string to_base64(const std::vector<unsigned char>& b) {
  return contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}
}  // namespace

Officials::Officials(const std::filesystem::path& hsm_dir) : impl_(std::make_unique<Impl>()) {
  export_hsm_sim_env(hsm_dir);
  const char* module = std::getenv("LGSP_PKCS11_MODULE");
  if (!module) throw std::runtime_error("hsm-sim's env names no LGSP_PKCS11_MODULE");
  impl_->module = std::make_unique<signing::TokenModule>(module);
}

Officials::~Officials() = default;

std::string Officials::certificate(const std::string& token) {
  return to_base64(signing::certificate_to_der(impl_->signer(token).certificate()));
}

std::string Officials::sign(const std::string& token, const std::string& digest_base64) {
  auto raw = contracts::base64_decode(digest_base64);
  if (!raw || raw->size() != 32) throw std::runtime_error("not a base64 SHA-256 digest: " + digest_base64);
  signing::Sha256Digest d{};
  std::copy(raw->begin(), raw->end(), d.begin());
  return to_base64(impl_->signer(token).sign_digest(d));
}

JsonAnswer Officials::sign_result(OfficeProcess& office, const std::string& user_token, const std::string& code,
                                  const std::string& name, const std::string& pdf, const std::string& official) {
  auto p = office.call(
      "POST", "/onestop/v1/dossiers/" + code + "/results/prepare", user_token,
      {{"name", name}, {"content_base64", contracts::base64_encode(pdf)}, {"certificate", certificate(official)}});
  if (p.status != 201u) return p;
  return office.call("POST", "/onestop/v1/dossiers/" + code + "/results/complete", user_token,
                     {{"prepared", p.body["prepared"]},
                      {"signature", sign(official, p.body["digest"])},
                      {"chain", {certificate(official)}}});
}

std::string office_signing_config(const std::filesystem::path& hsm) {
  return "[signing]\nca_chain = \"" + (hsm / "pki/issuing-ca.pem").string() + "\"\ntrust_roots = \"" +
         (hsm / "pki/root-ca.pem").string() + "\"\nrevocation = \"crl\"\ncrl = \"" + (hsm / "pki/crl.pem").string() +
         "\"\n";
}

}  // namespace lgsp::test
