// RFC 3161 time-stamp client for PAdES-B-T: OpenSSL's TS request/response and HTTP code over a connection we open
// ourselves (as the OCSP client does), answer size and time bounded.
#include "lgsp/signing/certificate.hpp"
#include "pades_internal.hpp"
#include "tcp_connect.hpp"

#include <openssl/http.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

namespace lgsp::signing::pades_detail {
namespace {

using TsReqPtr = std::unique_ptr<TS_REQ, OpenSslDeleter<TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, OpenSslDeleter<TS_RESP_free>>;
using TsVerifyPtr = std::unique_ptr<TS_VERIFY_CTX, OpenSslDeleter<TS_VERIFY_CTX_free>>;
using TsImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, OpenSslDeleter<TS_MSG_IMPRINT_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, OpenSslDeleter<X509_ALGOR_free>>;
using IntPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
inline void close_http(OSSL_HTTP_REQ_CTX* c) { OSSL_HTTP_close(c, 1); }
using HttpPtr = std::unique_ptr<OSSL_HTTP_REQ_CTX, OpenSslDeleter<close_http>>;

struct OpenSslString {
  char* p = nullptr;
  ~OpenSslString() { OPENSSL_free(p); }
};

constexpr std::size_t kMaxAnswer = 64 * 1024;

[[noreturn]] void fail(const std::string& url, const std::string& what) {
  throw SigningError(errors::kTimestamp, with_openssl_errors("TSA " + url + ": " + what));
}

TsReqPtr make_request(const Sha256Digest& imprint) {
  TsReqPtr req(TS_REQ_new());
  TsImprintPtr mi(TS_MSG_IMPRINT_new());
  AlgorPtr alg(X509_ALGOR_new());
  unsigned char nonce_bytes[8];
  if (!req || !mi || !alg || RAND_bytes(nonce_bytes, sizeof nonce_bytes) != 1) return nullptr;
  X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  BnPtr bn(BN_bin2bn(nonce_bytes, sizeof nonce_bytes, nullptr));
  IntPtr nonce(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!nonce || TS_MSG_IMPRINT_set_algo(mi.get(), alg.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), const_cast<unsigned char*>(imprint.data()), static_cast<int>(imprint.size())) !=
          1 ||
      TS_REQ_set_version(req.get(), 1) != 1 || TS_REQ_set_msg_imprint(req.get(), mi.get()) != 1 ||
      TS_REQ_set_nonce(req.get(), nonce.get()) != 1 ||
      TS_REQ_set_cert_req(req.get(), 1) != 1)  // the token carries the TSA certificate: verifiable offline
    return nullptr;
  return req;
}

}  // namespace

std::vector<unsigned char> request_timestamp(const std::string& url, const Sha256Digest& imprint,
                                             std::chrono::seconds timeout) {
  OpenSslString host, port, path;
  int tls = 0;
  if (OSSL_HTTP_parse_url(url.c_str(), &tls, nullptr, &host.p, &port.p, nullptr, &path.p, nullptr, nullptr) != 1)
    fail(url, "bad URL");
  if (tls) fail(url, "https is not supported for the TSA (time-stamp tokens are signed; use http)");
  TsReqPtr req = make_request(imprint);
  if (!req) fail(url, "cannot build the time-stamp request");
  unsigned char* der = nullptr;
  int len = i2d_TS_REQ(req.get(), &der);
  if (len <= 0) fail(url, "cannot encode the time-stamp request");
  std::vector<unsigned char> request(der, der + len);
  OPENSSL_free(der);
  BioPtr body(BIO_new_mem_buf(request.data(), len));

  BioPtr connection;
  try {
    connection.reset(BIO_new_socket(tcp_connect(host.p, port.p, timeout), BIO_CLOSE));
  } catch (const std::exception& e) {
    fail(url, std::string("unreachable: ") + e.what());
  }
  // OSSL_HTTP_open with our connected BIO only sets up the request context (Host header from host:port).
  HttpPtr http(OSSL_HTTP_open(host.p, port.p, nullptr, nullptr, 0, connection.get(), connection.get(), nullptr, nullptr,
                              0, static_cast<int>(timeout.count())));
  if (!http) fail(url, "cannot set up the HTTP request");
  if (OSSL_HTTP_set1_request(http.get(), path.p, nullptr, "application/timestamp-query", body.get(),
                             "application/timestamp-reply", 1, kMaxAnswer, static_cast<int>(timeout.count()), 0) != 1)
    fail(url, "cannot send the request");
  BIO* answer = OSSL_HTTP_exchange(http.get(), nullptr);  // owned by `http`
  if (!answer) fail(url, "no answer");
  TsRespPtr resp(d2i_TS_RESP_bio(answer, nullptr));
  if (!resp) fail(url, "the answer is not a time-stamp response");
  // Granted, our imprint, our nonce. The TSA's signature and certificate are checked by verifiers.
  TsVerifyPtr ctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!ctx) fail(url, "cannot check the response");
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
  if (TS_RESP_verify_response(ctx.get(), resp.get()) != 1) fail(url, "the response does not match the request");
  PKCS7* token = TS_RESP_get_token(resp.get());
  int tlen = token ? i2d_PKCS7(token, nullptr) : 0;
  if (tlen <= 0) fail(url, "the response carries no time-stamp token");
  std::vector<unsigned char> out(static_cast<std::size_t>(tlen));
  unsigned char* p = out.data();
  i2d_PKCS7(token, &p);
  return out;
}

}  // namespace lgsp::signing::pades_detail
