// OCSP client: OpenSSL's own request/response and HTTP code (OSSL_HTTP_REQ_CTX) over a plain HTTP connection we
// open ourselves. OpenSSL 3.0's own connect retries a refused connection until its timeout and then says only
// "connect timeout"; our connect fails at once with the real reason ("Connection refused").
#include "lgsp/signing/certificate.hpp"
#include "revocation.hpp"
#include "tcp_connect.hpp"

#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

namespace lgsp::signing {
namespace {

struct OpenSslString {
  char* p = nullptr;
  ~OpenSslString() { OPENSSL_free(p); }
};

std::optional<std::string> responder_url(X509* cert, const TrustPolicy& policy) {
  if (policy.ocsp_url) return policy.ocsp_url;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
  std::optional<std::string> url;
  if (urls && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
  X509_email_free(urls);
  return url;
}

RevocationResult unknown(RevocationResult r, std::string detail) {
  r.status = RevocationStatus::kUnknown;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

RevocationResult check_ocsp(X509* cert, X509* issuer, const std::vector<X509Ptr>& chain, X509_STORE* store,
                            const TrustPolicy& policy) {
  RevocationResult result;
  auto url = responder_url(cert, policy);
  if (!url) return unknown(result, "the certificate names no OCSP responder (AIA) and none is configured");
  result.source = "OCSP " + *url;

  OpenSslString host, port, path;
  int tls = 0;
  if (OSSL_HTTP_parse_url(url->c_str(), &tls, nullptr, &host.p, &port.p, nullptr, &path.p, nullptr, nullptr) != 1)
    return unknown(result, with_openssl_errors("bad OCSP responder URL '" + *url + "'"));
  if (tls) return unknown(result, "OCSP over https is not supported (responders use plain http)");

  OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, cert, issuer);  // SHA-1 CertID: what every responder indexes by
  OcspCertIdPtr wanted(id ? OCSP_CERTID_dup(id) : nullptr);
  if (!request || !id || !wanted || !OCSP_request_add0_id(request.get(), id) ||
      OCSP_request_add1_nonce(request.get(), nullptr, -1) != 1)
    return unknown(result, with_openssl_errors("cannot build the OCSP request"));

  BioPtr connection;
  try {
    connection.reset(BIO_new_socket(tcp_connect(host.p, port.p, policy.ocsp_timeout), BIO_CLOSE));
  } catch (const std::exception& e) {
    return unknown(result, "OCSP responder " + *url + " unreachable: " + e.what());
  }
  // POST <path> with a Host header, the response body read into memory within the timeout.
  std::unique_ptr<OSSL_HTTP_REQ_CTX, OpenSslDeleter<OSSL_HTTP_REQ_CTX_free>> http(
      OSSL_HTTP_REQ_CTX_new(connection.get(), connection.get(), 0));
  std::string host_header = std::string(host.p) + ":" + port.p;
  BIO* answer = nullptr;
  if (http && OSSL_HTTP_REQ_CTX_set_request_line(http.get(), 1, nullptr, nullptr, path.p) == 1 &&
      OSSL_HTTP_REQ_CTX_add1_header(http.get(), "Host", host_header.c_str()) == 1 &&
      OSSL_HTTP_REQ_CTX_set_expected(http.get(), "application/ocsp-response", 1,
                                     static_cast<int>(policy.ocsp_timeout.count()), 0) == 1 &&
      OSSL_HTTP_REQ_CTX_set1_req(http.get(), "application/ocsp-request", ASN1_ITEM_rptr(OCSP_REQUEST),
                                 reinterpret_cast<const ASN1_VALUE*>(request.get())) == 1)
    answer = OSSL_HTTP_REQ_CTX_exchange(http.get());  // owned by `http`
  if (!answer) return unknown(result, with_openssl_errors("OCSP responder " + *url + " did not answer"));
  OcspResponsePtr response(d2i_OCSP_RESPONSE_bio(answer, nullptr));
  if (!response) return unknown(result, with_openssl_errors("OCSP responder " + *url + " sent no valid response"));
  if (int len = i2d_OCSP_RESPONSE(response.get(), nullptr); len > 0) {
    result.ocsp_response.resize(static_cast<std::size_t>(len));
    unsigned char* out = result.ocsp_response.data();
    i2d_OCSP_RESPONSE(response.get(), &out);
  }
  int status = OCSP_response_status(response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return unknown(result, std::string("OCSP responder answered '") + OCSP_response_status_str(status) + "'");
  OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return unknown(result, "OCSP response without a basic response");
  if (OCSP_check_nonce(request.get(), basic.get()) == 0)
    return unknown(result, "OCSP response nonce does not match the request (replayed response?)");
  auto others = to_stack(chain);
  if (OCSP_basic_verify(basic.get(), others.get(), store, 0) != 1)
    return unknown(result, with_openssl_errors("OCSP response not signed by the issuer or a responder it authorised"));

  int cert_status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), wanted.get(), &cert_status, &reason, &revoked_at, &this_update,
                            &next_update) != 1)
    return unknown(result, "the OCSP response does not cover this certificate");
  if (OCSP_check_validity(this_update, next_update, static_cast<long>(policy.clock_skew.count()), -1) != 1)
    return unknown(result, with_openssl_errors("the OCSP response is not current"));
  result.produced_at = to_time_point(this_update);
  switch (cert_status) {
    case V_OCSP_CERTSTATUS_GOOD:
      result.status = RevocationStatus::kGood;
      return result;
    case V_OCSP_CERTSTATUS_REVOKED:
      result.status = RevocationStatus::kRevoked;
      result.revoked_at = to_time_point(revoked_at);
      result.revocation_reason = crl_reason_name(reason);
      return result;
    default:
      return unknown(result, "the OCSP responder does not know this certificate");
  }
}

}  // namespace lgsp::signing
