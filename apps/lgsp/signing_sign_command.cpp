// `lgsp sign`: read the file, open the token key (PIN once), sign, write the result atomically.
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/xml_signature.hpp"
#include "signing_cli.hpp"

#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace lgsp::cli {
namespace {

int exit_code_for(const signing::ErrorCode& code) {
  namespace e = signing::errors;
  if (&code == &e::kTokenAbsent) return kExitTokenAbsent;
  if (&code == &e::kPinIncorrect || &code == &e::kPinLocked || &code == &e::kPinUnavailable) return kExitPin;
  if (&code == &e::kKeyUnknown || &code == &e::kKeyAmbiguous) return kExitKeyUnknown;
  if (&code == &e::kModule || &code == &e::kConfiguration || &code == &e::kChainMissing) return kExitUsage;
  return kExitFailed;
}

// The configured chain file: signing.ca_chain of --config (with the LGSP_* environment over it, as for the
// node), else $LGSP_SIGNING_CA_CHAIN.
std::optional<std::filesystem::path> configured_chain(const SignOptions& o) {
  if (o.config_file) {
    auto config = bus::Config::load(std::filesystem::path(*o.config_file), bus::Config::process_environment());
    if (!config.signing.ca_chain.empty()) return config.signing.ca_chain;
    return std::nullopt;
  }
  if (const char* env = std::getenv("LGSP_SIGNING_CA_CHAIN"); env && *env) return std::filesystem::path(env);
  return std::nullopt;
}

// A signature must carry the signer's CA certificates: a verifier holds only its root. Refused when the signer's
// issuer is nowhere to be found (an issuer that is itself a root may be given too: it is then left out).
void require_issuer(signing::TokenModule& tokens, const signing::Signer& signer, const SignOptions& o,
                    const std::vector<signing::X509Ptr>& extra) {
  X509* cert = signer.certificate();
  if (!signer.chain().empty() || signing::is_self_signed(cert)) return;
  auto issues = [cert](const signing::X509Ptr& c) { return X509_check_issued(c.get(), cert) == X509_V_OK; };
  for (const auto& c : extra)
    if (issues(c)) return;
  for (const auto& t : tokens.tokens())
    if (t.label == o.token)
      for (const auto& c : t.ca_certificates)
        if (issues(c)) return;
  throw signing::SigningError(
      signing::errors::kChainMissing,
      "the certificate of the signer's issuer (" + signing::name_to_utf8(X509_get_issuer_name(cert)) +
          ") is neither on token '" + o.token +
          "' nor in --chain, signing.ca_chain (--config) or $LGSP_SIGNING_CA_CHAIN: a verifier holding only its "
          "root could not check the signature. Give the CA certificates with --chain PEM");
}

// --visible PAGE,X,Y,W,H
signing::VisibleBox parse_box(const std::string& text) {
  signing::VisibleBox box;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d,%lf,%lf,%lf,%lf%c", &box.page, &box.x, &box.y, &box.width, &box.height, &tail) != 5)
    throw signing::SigningError(
        signing::errors::kConfiguration,
        "--visible wants PAGE,X,Y,W,H (e.g. 1,350,80,220,90), not '" + text.substr(0, 80) + "'");
  return box;
}

std::vector<unsigned char> image_file(const std::optional<std::string>& file) {
  if (!file) return {};
  std::string bytes = read_input_file(*file);
  return {bytes.begin(), bytes.end()};
}

std::string sign_pades(const SignOptions& o, const std::string& input, signing::Signer& signer) {
  signing::Appearance appearance;
  if (o.visible) appearance.box = parse_box(*o.visible);
  appearance.reason = o.reason;
  appearance.location = o.location;
  appearance.title = o.title;
  appearance.agency = o.agency;
  appearance.image = image_file(o.image);
  appearance.seal_image = image_file(o.seal_image);
  signing::PadesOptions options;
  options.tsa_url = o.tsa;
  options.ltv = o.ltv;
  for (const auto& file : o.crl) options.crls.push_back(signing::load_crl(file));
  auto pdf = signing::pades_sign(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(input.data()), input.size()), signer,
      appearance, options);
  return {pdf.begin(), pdf.end()};
}

}  // namespace

int run_sign(const SignOptions& o) {
  auto module = module_path(o.module);
  if (!module) return fail("sign", "no PKCS#11 module: give --module or set LGSP_PKCS11_MODULE", kExitUsage);
  std::error_code ec;
  if (std::filesystem::equivalent(o.in, o.out, ec)) return fail("sign", "--out must differ from --in", kExitUsage);
  std::string input;
  try {
    input = read_input_file(o.in);
  } catch (const std::exception& e) {
    return fail("sign", e.what(), kExitUsage);
  }
  if (input.empty()) return fail("sign " + o.in, "the file is empty: nothing to sign", kExitFailed);
  if (o.format != "pades" && (o.visible || o.image || o.seal_image || o.tsa || o.ltv || !o.crl.empty() ||
                              !o.reason.empty() || !o.location.empty() || !o.title.empty() || !o.agency.empty()))
    return fail("sign",
                "--visible, --image, --seal-image, --reason, --location, --title, --agency, --tsa, --ltv and "
                "--crl are for --format pades",
                kExitUsage);

  try {
    // The chain by default: the token's CA certificates (open_signer reads them), --chain, the configured file.
    std::vector<signing::X509Ptr> chain;
    for (const auto& file : o.chain)
      for (auto& c : signing::load_pem_certificates(file)) chain.push_back(std::move(c));
    std::optional<std::filesystem::path> configured;
    try {
      configured = configured_chain(o);
    } catch (const bus::ConfigError& e) {
      return fail_config(e);
    }
    if (configured)
      for (auto& c : signing::load_pem_certificates(*configured)) chain.push_back(std::move(c));
    signing::TokenModule tokens(*module);
    auto signer = tokens.open_signer({o.token, o.key_id}, ask_pin, chain);
    require_issuer(tokens, *signer, o, chain);
    std::string output;
    if (o.format == "xmldsig") {
      output = signing::sign_xml(input, *signer);
    } else if (o.format == "pades") {
      output = sign_pades(o, input, *signer);
    } else {
      auto der = signing::sign_cades(
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(input.data()), input.size()), *signer);
      output.assign(der.begin(), der.end());
    }
    write_file_atomically(o.out, output);
    std::cout << "signed " << o.in << " -> " << o.out << " (" << o.format << ", " << signer->description() << ", "
              << signing::name_to_utf8(X509_get_subject_name(signer->certificate())) << ")\n";
    for (const auto& ca : signer->chain())
      std::cout << "chain: " << signing::name_to_utf8(X509_get_subject_name(ca.get())) << '\n';
    return kExitOk;
  } catch (const signing::SigningError& e) {
    return fail("sign " + o.in, std::string(e.what()) + " [" + std::string(e.code().code) + "]",
                exit_code_for(e.code()));
  } catch (const std::exception& e) {
    return fail("sign " + o.in, e.what(), kExitFailed);
  }
}

}  // namespace lgsp::cli
