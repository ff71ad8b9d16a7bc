#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/contracts/base64.hpp"

#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/merkle.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/openssl.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/trust.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>

namespace lgsp::bus {
namespace {

signing::X509Ptr certificate_from_base64(const std::string& b64) {
  auto der = contracts::base64_decode(b64);
  if (!der) return nullptr;
  try {
    return signing::certificate_from_der(
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(der->data()), der->size()));
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

std::string certificate_sha256(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) return {};
  std::string hex = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  return hex;
}

void pin_pem_certificates(const std::string& pem_file, PinnedCertificates& pins) {
  for (auto& c : signing::load_pem_certificates(pem_file)) {
    // A file holding the node certificate with its chain pins the node certificate, not its CAs.
    if (X509_check_ca(c.get()) > 0) continue;
    if (auto sha = certificate_sha256(c.get()); !sha.empty()) pins.insert(sha);
  }
}

std::string pem_certificate_sha256(const std::string& pem) {
  signing::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return {};
  signing::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert ? certificate_sha256(cert.get()) : std::string();
}

SealCheck verify_seal(const Sha256& leaf, const nlohmann::json& seal, const signing::TrustStore* trust,
                      const PinnedCertificates* pins) {
  SealCheck check;
  if (!seal.is_object() || !seal.contains("root") || !seal["root"].is_string())
    return verify_root_signature(seal, trust, pins);  // reports what is missing
  if (!seal.contains("proof") || !seal["proof"].is_array()) {
    check.reason = "the seal has no 'proof'";
    return check;
  }
  std::vector<std::string> steps;
  for (const auto& s : seal["proof"]) {
    if (!s.is_string()) {
      check.reason = "the proof is malformed";
      return check;
    }
    steps.push_back(s.get<std::string>());
  }
  auto proof = merkle::proof_from_strings(steps);
  if (!proof) {
    check.reason = "the proof is malformed";
    return check;
  }
  if (hex(merkle::root_from_proof(leaf, *proof)) != seal["root"].get<std::string>()) {
    check.reason = "the sealed fields do not lead to the signed root: the message or receipt was changed";
    return check;
  }
  return verify_root_signature(seal, trust, pins);
}

SealCheck verify_root_signature(const nlohmann::json& seal, const signing::TrustStore* trust,
                                const PinnedCertificates* pins) {
  SealCheck check;
  auto bad = [&](std::string why) {
    check.valid = false;
    check.reason = std::move(why);
    return check;
  };
  if (!seal.is_object()) return bad("the seal is not a JSON object");
  for (const char* key : {"alg", "root", "signed_at", "sig", "cert"})
    if (!seal.contains(key) || !seal[key].is_string()) return bad(std::string("the seal has no '") + key + "'");
  if (seal.value("v", 0) != 1) return bad("unknown seal version");
  check.root = seal["root"];
  check.signed_at = seal["signed_at"];
  check.batch_size = seal.value("batch_size", std::size_t{0});
  auto cert = certificate_from_base64(seal["cert"]);
  if (!cert) return bad("the sealing certificate cannot be read");
  check.signer = signing::name_to_utf8(X509_get_subject_name(cert.get()));
  auto sig = contracts::base64_decode(seal["sig"].get<std::string>());
  if (!sig) return bad("the signature is not base64");
  std::vector<unsigned char> signature(sig->begin(), sig->end());
  const std::string alg = seal["alg"];
  if (alg == "ES256") {
    if (signature.size() != 64) return bad("an ES256 signature is 64 bytes (r||s)");
    signature = signing::ecdsa_raw_to_der(signature);
  } else if (alg != "RS256") {
    return bad("unknown signature algorithm '" + alg + "'");
  }
  const std::string bytes = BatchSigner::signed_bytes(check.root, check.signed_at);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  signing::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
  if (!ok) {
    // A failed verification leaves entries on this thread's OpenSSL error queue; an I/O thread that
    // checks a peer's seal must not have them surface in its next, unrelated TLS call.
    ERR_clear_error();
    return bad("the root signature does not verify with the sealing certificate");
  }
  if (pins && !pins->count(certificate_sha256(cert.get())))
    return bad("the seal is by '" + check.signer +
               "', whose certificate is not a pinned node certificate (the node's own or a registered peer's)");

  if (trust) {
    auto at = parse_utc_rfc3339(check.signed_at);
    if (!at) return bad("signed_at is not an RFC 3339 UTC time");
    std::vector<signing::X509Ptr> untrusted;
    if (seal.contains("chain") && seal["chain"].is_array())
      for (const auto& c : seal["chain"])
        if (c.is_string())
          if (auto ca = certificate_from_base64(c)) untrusted.push_back(std::move(ca));
    auto result = trust->check(cert.get(), untrusted, *at);
    if (!result.trusted()) return bad("the sealing certificate is not trusted: " + result.reason);
  }
  check.valid = true;
  return check;
}

}  // namespace lgsp::bus
