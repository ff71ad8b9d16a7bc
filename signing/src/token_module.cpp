#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"
#include "pkcs11h.hpp"
#include "token_signer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace lgsp::signing {
namespace {

constexpr const char* kProvider = "lgsp";
std::atomic<bool> g_module_loaded{false};

// pkcs11-helper logs through this hook only; it stays silent so that nothing about a login reaches a log.
void log_hook(void*, unsigned, const char*, va_list) {}

// A token disappeared during an operation: never wait for it to come back, report it.
PKCS11H_BOOL token_prompt_hook(void*, void* user_data, const pkcs11h_token_id_t, unsigned) {
  if (auto* login = static_cast<LoginContext*>(user_data)) login->token_missing = true;
  return FALSE;
}

// Gives the PIN once. A call with retry > 0 means the token refused it: stop there (a real token locks after
// a few wrong PINs), and let the caller report a wrong PIN.
PKCS11H_BOOL pin_prompt_hook(void*, void* user_data, const pkcs11h_token_id_t, unsigned retry, char* pin,
                             size_t pin_max) {
  auto* login = static_cast<LoginContext*>(user_data);
  if (!login || !login->pins) return FALSE;
  if (retry > 0) {
    login->pin_rejected = true;
    return FALSE;
  }
  std::optional<std::string> given;
  try {
    given = login->pins(login->token_label);
  } catch (...) {
    given.reset();
  }
  if (!given || given->empty() || given->size() + 1 > pin_max) {
    if (given) OPENSSL_cleanse(given->data(), given->size());
    login->pin_unavailable = true;
    return FALSE;
  }
  std::memcpy(pin, given->data(), given->size());
  pin[given->size()] = '\0';
  OPENSSL_cleanse(given->data(), given->size());
  return TRUE;
}

void check(CK_RV rv, const std::string& what) {
  if (rv != CKR_OK) throw SigningError(errors::kToken, what + " failed: " + pkcs11h::message(rv));
}

pkcs11h::TokenIdList present_tokens() {
  pkcs11h_token_id_list_t list = nullptr;
  check(pkcs11h_token_enumTokenIds(PKCS11H_ENUM_METHOD_RELOAD, &list), "listing tokens");
  return pkcs11h::TokenIdList(list);
}

struct TokenCertificates {
  pkcs11h::CertificateIdList issuers;
  pkcs11h::CertificateIdList ends;
};

// Certificates are public objects: read without a login (and without any prompt).
TokenCertificates certificates_on(pkcs11h_token_id_t token) {
  pkcs11h_certificate_id_list_t issuers = nullptr;
  pkcs11h_certificate_id_list_t ends = nullptr;
  check(pkcs11h_certificate_enumTokenCertificateIds(token, PKCS11H_ENUM_METHOD_RELOAD, nullptr, 0, &issuers, &ends),
        std::string("reading the certificates of token '") + token->label + "'");
  return {pkcs11h::CertificateIdList(issuers), pkcs11h::CertificateIdList(ends)};
}

X509Ptr x509_of(pkcs11h_certificate_id_t id) {
  return certificate_from_der(std::span<const unsigned char>(id->certificate_blob, id->certificate_blob_size));
}

std::string key_id_of(pkcs11h_certificate_id_t id) {
  return to_hex(std::span<const unsigned char>(id->attrCKA_ID, id->attrCKA_ID_size));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "none" : out;
}

// One signature made and checked with the certificate's public key: a key that does not match its
// certificate (a provisioning mistake) is reported at open, not found later by every verifier.
void check_key_matches_certificate(Signer& signer) {
  Sha256Digest probe = sha256(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>("lgsp"), 4));
  auto signature = signer.sign_digest(probe);
  if (signer.key_kind() == KeyKind::kEcdsa) signature = ecdsa_raw_to_der(signature);
  EVP_PKEY* key = X509_get0_pubkey(signer.certificate());
  std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>> ctx(EVP_PKEY_CTX_new(key, nullptr));
  bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
            EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), probe.data(), probe.size()) == 1;
  openssl_errors();
  if (!ok)
    throw SigningError(errors::kToken, signer.description() + ": the private key does not match its certificate");
}

}  // namespace

TokenModule::TokenModule(const std::filesystem::path& module) : module_(module) {
  if (g_module_loaded.exchange(true))
    throw SigningError(errors::kInternal, "a PKCS#11 module is already loaded in this process");
  try {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(module, ec))
      throw SigningError(errors::kModule, "PKCS#11 module " + module.string() + ": no such file");
    CK_RV rv = pkcs11h_initialize();
    if (rv != CKR_OK) throw SigningError(errors::kModule, "pkcs11-helper initialisation: " + pkcs11h::message(rv));
    pkcs11h_setLogHook(log_hook, nullptr);
    pkcs11h_setLogLevel(PKCS11H_LOG_QUIET);
    pkcs11h_setTokenPromptHook(token_prompt_hook, nullptr);
    pkcs11h_setPINPromptHook(pin_prompt_hook, nullptr);
    pkcs11h_setProtectedAuthentication(FALSE);
    // Logged in once, the session serves every later signature.
    pkcs11h_setPINCachePeriod(PKCS11H_PIN_CACHE_INFINITE);
    rv = pkcs11h_addProvider(kProvider, module.c_str(), FALSE, PKCS11H_PRIVATEMODE_MASK_AUTO,
                             PKCS11H_SLOTEVENT_METHOD_AUTO, 0, FALSE);
    if (rv != CKR_OK) {
      pkcs11h_terminate();
      throw SigningError(errors::kModule, "PKCS#11 module " + module.string() + ": " + pkcs11h::message(rv));
    }
  } catch (...) {
    g_module_loaded = false;
    throw;
  }
}

TokenModule::~TokenModule() {
  pkcs11h_removeProvider(kProvider);
  pkcs11h_terminate();
  g_module_loaded = false;
}

std::vector<TokenInfo> TokenModule::tokens() {
  std::vector<TokenInfo> out;
  auto list = present_tokens();
  for (auto* t = list.get(); t; t = t->next) {
    // An empty label is a slot whose token was never initialised (SoftHSM always offers one): not a token.
    if (t->token_id->label[0] == '\0') continue;
    TokenInfo info{
        t->token_id->label, t->token_id->manufacturerID, t->token_id->model, t->token_id->serialNumber, {}, {}};
    auto certs = certificates_on(t->token_id);
    for (auto* c = certs.ends.get(); c; c = c->next)
      info.certificates.push_back({key_id_of(c->certificate_id), x509_of(c->certificate_id)});
    for (auto* c = certs.issuers.get(); c; c = c->next) info.ca_certificates.push_back(x509_of(c->certificate_id));
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) { return a.label < b.label; });
  return out;
}

std::unique_ptr<Signer> TokenModule::open_signer(const KeySelector& key, PinSource pins,
                                                 const std::vector<X509Ptr>& extra_ca_certificates) {
  auto list = present_tokens();
  pkcs11h_token_id_t token = nullptr;
  std::vector<std::string> labels;
  for (auto* t = list.get(); t; t = t->next) {
    if (t->token_id->label[0] != '\0') labels.push_back(t->token_id->label);
    if (key.token_label == t->token_id->label) token = t->token_id;
  }
  std::sort(labels.begin(), labels.end());
  if (!token)
    throw SigningError(errors::kTokenAbsent,
                       "token '" + key.token_label + "' is not present (tokens present: " + join(labels) + ")");

  auto certs = certificates_on(token);
  std::vector<std::string> key_ids;
  std::vector<pkcs11h_certificate_id_t> matches;
  std::optional<std::string> wanted;
  if (key.key_id) wanted = to_hex(from_hex(*key.key_id));
  for (auto* c = certs.ends.get(); c; c = c->next) {
    key_ids.push_back(key_id_of(c->certificate_id));
    if (!wanted || *wanted == key_ids.back()) matches.push_back(c->certificate_id);
  }
  if (matches.empty())
    throw SigningError(errors::kKeyUnknown,
                       "token '" + key.token_label + "' has no key" + (wanted ? " with id " + *wanted : "") +
                           " that has a certificate (key ids on the token: " + join(key_ids) + ")");
  if (matches.size() > 1)
    throw SigningError(errors::kKeyAmbiguous, "token '" + key.token_label + "' holds several keys (" + join(key_ids) +
                                                  "); choose one with --key-id");

  auto login = std::make_unique<LoginContext>();
  login->token_label = key.token_label;
  login->pins = std::move(pins);
  pkcs11h_certificate_t raw = nullptr;
  CK_RV rv = pkcs11h_certificate_create(matches.front(), login.get(), PKCS11H_PROMPT_MASK_ALLOW_PIN_PROMPT,
                                        PKCS11H_PIN_CACHE_INFINITE, &raw);
  pkcs11h::Certificate certificate(raw);
  if (rv != CKR_OK) throw_token_error(rv, "opening the key", login.get(), key.token_label);
  // Log in now, so that a wrong PIN or a missing token shows here and not in the middle of a signature.
  rv = pkcs11h_certificate_ensureKeyAccess(certificate.get());
  if (rv != CKR_OK) throw_token_error(rv, "logging in", login.get(), key.token_label);

  X509Ptr x509 = x509_of(matches.front());
  std::vector<X509Ptr> candidates;
  for (auto* c = certs.issuers.get(); c; c = c->next) candidates.push_back(x509_of(c->certificate_id));
  for (const auto& c : extra_ca_certificates) candidates.push_back(share(c.get()));
  auto chain = issuer_path(x509.get(), candidates);
  auto signer = std::make_unique<TokenSigner>(std::move(login), std::move(certificate), std::move(x509),
                                              std::move(chain), key_id_of(matches.front()));
  check_key_matches_certificate(*signer);
  return signer;
}

}  // namespace lgsp::signing
