#include "lgsp/signing/trust.hpp"

#include "file_bytes.hpp"
#include "revocation.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace lgsp::signing {
namespace {

TrustResult fail(TrustResult r, const ErrorCode& code, std::string reason) {
  r.failure = &code;
  r.reason = std::move(reason);
  return r;
}

std::string subject_of(X509* cert) { return "'" + name_to_utf8(X509_get_subject_name(cert)) + "'"; }

}  // namespace

std::string_view to_string(RevocationStatus status) {
  switch (status) {
    case RevocationStatus::kGood:
      return "good";
    case RevocationStatus::kRevoked:
      return "revoked";
    case RevocationStatus::kUnknown:
      return "unknown";
    case RevocationStatus::kNotChecked:
      break;
  }
  return "not-checked";
}

X509CrlPtr load_crl(const std::filesystem::path& file) {
  std::string bytes = read_config_file(file);
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) {
    ERR_clear_error();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
  }
  if (!crl) throw SigningError(errors::kConfiguration, with_openssl_errors(file.string() + ": not a CRL (PEM or DER)"));
  return crl;
}

TrustStore::TrustStore(TrustPolicy policy) : policy_(std::move(policy)), store_(X509_STORE_new()) {
  if (policy_.anchors.empty()) throw SigningError(errors::kConfiguration, "no trusted root certificate configured");
  if (policy_.revocation == RevocationMode::kCrl && policy_.crls.empty())
    throw SigningError(errors::kConfiguration, "revocation by CRL needs at least one CRL file");
  // Only the configured anchors: never the system's default CA paths.
  for (const auto& anchor : policy_.anchors)
    if (X509_STORE_add_cert(store_.get(), anchor.get()) != 1)
      throw SigningError(errors::kConfiguration, with_openssl_errors("cannot add a trusted certificate"));
}

TrustStore::~TrustStore() = default;
TrustStore::TrustStore(TrustStore&&) noexcept = default;
TrustStore& TrustStore::operator=(TrustStore&&) noexcept = default;

TrustResult TrustStore::check(X509* signer, const std::vector<X509Ptr>& untrusted,
                              Clock::time_point signing_time) const {
  TrustResult result;
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  auto others = to_stack(untrusted);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), signer, others.get()) != 1)
    return fail(std::move(result), errors::kInternal, with_openssl_errors("cannot set up chain verification"));
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, Clock::to_time_t(signing_time));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);

  // X509_verify_cert builds the path by checking each certificate's signature with its issuer's key, up to an
  // anchor, and checks every validity period against the signing time.
  const bool verified = X509_verify_cert(ctx.get()) == 1;
  if (STACK_OF(X509)* chain = X509_STORE_CTX_get1_chain(ctx.get())) {
    for (int i = 0; i < sk_X509_num(chain); ++i) result.chain.push_back(share(sk_X509_value(chain, i)));
    sk_X509_pop_free(chain, X509_free);
  }
  if (!verified) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    X509* at = X509_STORE_CTX_get_current_cert(ctx.get());
    if (!at) at = signer;
    ERR_clear_error();
    if (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)
      return fail(std::move(result), errors::kExpired,
                  "certificate " + subject_of(at) + " was not valid at the signing time " + format_time(signing_time) +
                      " (valid from " + format_time(to_time_point(X509_get0_notBefore(at))) + " to " +
                      format_time(to_time_point(X509_get0_notAfter(at))) + ")");
    return fail(std::move(result), errors::kUntrusted,
                "the certificate chain of " + subject_of(signer) + " does not lead to a trusted root: " +
                    X509_verify_cert_error_string(error) + " (at " + subject_of(at) + ")");
  }
  result.checks.push_back("certificate chain verified up to the trusted root " + subject_of(result.chain.back().get()));
  result.checks.push_back("every certificate in the chain valid at the signing time " + format_time(signing_time));

  if ((X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
    return fail(std::move(result), errors::kKeyUsage,
                "certificate " + subject_of(signer) + " allows neither digitalSignature nor nonRepudiation");
  result.checks.push_back("key usage allows signing");

  if (result.chain.size() < 2) {
    result.revocation.source = "none (the signer certificate is itself a trusted root)";
    return result;
  }
  X509* issuer = result.chain[1].get();
  switch (policy_.revocation) {
    case RevocationMode::kNone:
      result.revocation.source = "none (not checked, by configuration)";
      return result;
    case RevocationMode::kCrl:
      result.revocation = check_crl(signer, issuer, policy_.crls, Clock::now(), policy_.clock_skew);
      break;
    case RevocationMode::kOcsp:
      result.revocation = check_ocsp(signer, issuer, result.chain, store_.get(), policy_);
      break;
  }
  const auto& r = result.revocation;
  if (r.status == RevocationStatus::kRevoked)
    return fail(std::move(result), errors::kRevoked,
                "certificate " + subject_of(signer) + " (serial " + serial_hex(signer) + ") was revoked at " +
                    format_time(r.revoked_at.value_or(Clock::time_point{})) +
                    (r.revocation_reason.empty() ? "" : " (reason " + r.revocation_reason + ")") + " according to " +
                    r.source);
  if (r.status != RevocationStatus::kGood)
    return fail(std::move(result), errors::kRevocationUnknown,
                "revocation status of " + subject_of(signer) + " could not be established: " + r.detail);
  result.checks.push_back("not revoked according to " + r.source);
  return result;
}

}  // namespace lgsp::signing
