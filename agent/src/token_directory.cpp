#include "lgsp/agent/token_directory.hpp"

#include "lgsp/agent/errors.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"

#include <openssl/x509v3.h>

#include <exception>
#include <memory>
#include <set>

namespace lgsp::agent {
namespace fs = std::filesystem;
namespace {

std::string base64_of(const std::vector<unsigned char>& der) {
  return contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
}

std::vector<std::string> key_usage_of(X509* cert) {
  static const std::pair<std::uint32_t, const char*> kBits[] = {{KU_DIGITAL_SIGNATURE, "digitalSignature"},
                                                                {KU_NON_REPUDIATION, "nonRepudiation"},
                                                                {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
                                                                {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
                                                                {KU_KEY_AGREEMENT, "keyAgreement"},
                                                                {KU_KEY_CERT_SIGN, "keyCertSign"},
                                                                {KU_CRL_SIGN, "cRLSign"},
                                                                {KU_ENCIPHER_ONLY, "encipherOnly"},
                                                                {KU_DECIPHER_ONLY, "decipherOnly"}};
  std::vector<std::string> out;
  if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE)) return out;  // no extension: any use
  std::uint32_t usage = X509_get_key_usage(cert);
  for (const auto& [bit, name] : kBits)
    if (usage & bit) out.emplace_back(name);
  return out;
}

CertificateView view_of(const signing::TokenInfo& token, const signing::TokenCertificate& c) {
  X509* cert = c.certificate.get();
  auto info = signing::describe(cert);
  auto der = signing::certificate_to_der(cert);
  CertificateView v;
  v.fingerprint = signing::to_hex(signing::sha256(der));
  v.subject = info.subject;
  v.issuer = info.issuer;
  v.serial = signing::to_hex(signing::from_hex(info.serial));
  v.not_before = signing::format_time(info.not_before);
  v.not_after = signing::format_time(info.not_after);
  v.key_usage = key_usage_of(cert);
  v.token_label = token.label;
  v.key_id = c.key_id;
  v.certificate = base64_of(der);
  return v;
}

// Loads one module for the time of one request. pkcs11-helper allows one TokenModule per process, and a fresh
// C_Initialize is what makes a newly plugged token (or a pulled one) visible.
std::unique_ptr<signing::TokenModule> load(const fs::path& module) {
  try {
    return std::make_unique<signing::TokenModule>(module);
  } catch (const signing::SigningError& e) {
    bus::log::warn("agent.module_unavailable", {{"module", module.string()}, {"error", e.what()}});
    return nullptr;
  }
}

}  // namespace

TokenDirectory::TokenDirectory(std::vector<fs::path> modules) : modules_(std::move(modules)) {}

std::vector<CertificateView> TokenDirectory::certificates() {
  std::vector<CertificateView> out;
  std::set<std::string> seen;
  for (const auto& module : modules_) {
    auto tokens = load(module);
    if (!tokens) continue;
    try {
      for (const auto& token : tokens->tokens())
        for (const auto& c : token.certificates) {
          auto v = view_of(token, c);
          if (seen.insert(v.fingerprint).second) out.push_back(std::move(v));
        }
    } catch (const signing::SigningError& e) {
      // A token pulled while it was being read: list what the other modules have.
      bus::log::warn("agent.token_list_failed", {{"module", module.string()}, {"error", e.what()}});
    }
  }
  return out;
}

SignedBatch TokenDirectory::sign(const std::string& fingerprint, const std::vector<signing::Sha256Digest>& digests,
                                 const PinAsker& ask) {
  for (const auto& module : modules_) {
    auto tokens = load(module);
    if (!tokens) continue;
    std::optional<CertificateView> found;
    try {
      for (const auto& token : tokens->tokens())
        for (const auto& c : token.certificates)
          if (!found) {
            auto v = view_of(token, c);
            if (v.fingerprint == fingerprint) found = std::move(v);
          }
    } catch (const signing::SigningError& e) {
      bus::log::warn("agent.token_list_failed", {{"module", module.string()}, {"error", e.what()}});
      continue;
    }
    if (!found) continue;

    const std::string& label = found->token_label;
    bool cancelled = false;
    bool locked_before = false;
    // pkcs11-helper's hook swallows exceptions: a pinentry failure is kept here and rethrown after the login.
    std::exception_ptr dialog_failure;
    // Called by pkcs11-helper when it logs in, at most once: the module is loaded, so the token's flags can be
    // read first. A locked PIN is not asked for at all.
    signing::PinSource pins = [&](const std::string&) -> std::optional<std::string> {
      PinTries tries = pin_tries(module, label);
      if (tries == PinTries::kLocked) {
        locked_before = true;
        return std::nullopt;
      }
      std::optional<SecretString> pin;
      try {
        pin = ask(*found, tries);
      } catch (...) {
        dialog_failure = std::current_exception();
        return std::nullopt;
      }
      if (!pin) {
        cancelled = true;
        return std::nullopt;
      }
      // TokenModule wipes this copy once it has handed it to the token.
      return pin->view();
    };

    std::unique_ptr<signing::Signer> signer;
    try {
      signer = tokens->open_signer({label, found->key_id}, pins);
    } catch (const signing::SigningError& e) {
      const auto& code = e.code();
      if (dialog_failure) std::rethrow_exception(dialog_failure);
      if (locked_before || &code == &signing::errors::kPinLocked)
        throw AgentError(errors::kPinLocked, "the PIN of token '" + label + "' is locked; nothing was asked",
                         {{"pin_tries", "locked"}});
      if (cancelled) throw AgentError(errors::kCancelled, "the PIN entry was cancelled; nothing was signed");
      if (&code == &signing::errors::kPinIncorrect) {
        PinTries tries = pin_tries(module, label);
        throw AgentError(errors::kPinIncorrect,
                         "wrong PIN for token '" + label + "' (PIN state: " + to_string(tries) +
                             "); it was not retried, to spare the token",
                         {{"pin_tries", to_string(tries)}});
      }
      if (&code == &signing::errors::kTokenAbsent || !token_present(module, label))
        throw AgentError(errors::kTokenRemoved, "token '" + label + "' was removed; nothing was signed");
      throw AgentError(errors::kToken, e.what());
    }

    SignedBatch batch;
    try {
      batch.signatures.reserve(digests.size());
      for (const auto& d : digests) {
        auto s = signer->sign_digest(d);
        // CMS carries an ECDSA signature as DER; Signer answers r||s (XML-DSig's form).
        if (signer->key_kind() == signing::KeyKind::kEcdsa) s = signing::ecdsa_raw_to_der(s);
        batch.signatures.push_back(std::move(s));
      }
    } catch (const signing::SigningError& e) {
      // All or nothing: the signatures made so far are dropped with `batch`.
      if (&e.code() == &signing::errors::kTokenAbsent || !token_present(module, label))
        throw AgentError(errors::kTokenRemoved,
                         "token '" + label + "' was removed during the batch; no signature is released");
      throw AgentError(errors::kToken, e.what());
    }
    batch.chain.push_back(signing::certificate_to_der(signer->certificate()));
    for (const auto& ca : signer->chain()) batch.chain.push_back(signing::certificate_to_der(ca.get()));
    return batch;
  }
  throw AgentError(errors::kCertificateUnknown, "no plugged token holds the certificate " + fingerprint);
}

}  // namespace lgsp::agent
