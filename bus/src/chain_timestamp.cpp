#include "lgsp/bus/chain_timestamp.hpp"
#include "lgsp/contracts/base64.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/signing/openssl.hpp"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace lgsp::bus {
namespace {

using signing::OpenSslDeleter;
using TsReqPtr = std::unique_ptr<TS_REQ, OpenSslDeleter<TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, OpenSslDeleter<TS_RESP_free>>;
using TsVerifyPtr = std::unique_ptr<TS_VERIFY_CTX, OpenSslDeleter<TS_VERIFY_CTX_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OpenSslDeleter<PKCS7_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string generalized_time(const ASN1_GENERALIZEDTIME* t) {
  if (!t) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                     static_cast<std::size_t>(ASN1_STRING_length(t)));
}

// A verify context checking the imprint (and, with a store, the signature) of a token.
TsVerifyPtr verify_context(const Sha256& imprint, X509_STORE* store) {
  TsVerifyPtr ctx(TS_VERIFY_CTX_new());
  if (!ctx) throw std::runtime_error(openssl_error());
  int flags = TS_VFY_VERSION | TS_VFY_IMPRINT;
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(imprint.size()));
  std::copy(imprint.begin(), imprint.end(), copy);
  TS_VERIFY_CTX_set_imprint(ctx.get(), copy, static_cast<long>(imprint.size()));
  if (store) {
    flags |= TS_VFY_SIGNATURE | TS_VFY_SIGNER;
    X509_STORE_up_ref(store);
    TS_VERIFY_CTX_set_store(ctx.get(), store);
  }
  TS_VERIFY_CTX_set_flags(ctx.get(), flags);
  return ctx;
}

}  // namespace

Sha256 chain_head_imprint(const std::string& head_hash_hex) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < head_hash_hex.size(); i += 2)
    raw.push_back(static_cast<char>(std::stoi(head_hash_hex.substr(i, 2), nullptr, 16)));
  return sha256(raw);
}

std::string request_timestamp(OutboundClient& client, const std::string& url, const Sha256& imprint,
                              std::string& gen_time) {
  TsReqPtr req(TS_REQ_new());
  TS_MSG_IMPRINT* mi = TS_MSG_IMPRINT_new();
  X509_ALGOR* alg = X509_ALGOR_new();
  AsnIntPtr nonce(ASN1_INTEGER_new());
  unsigned char nonce_bytes[8];
  if (!req || !mi || !alg || !nonce || RAND_bytes(nonce_bytes, sizeof nonce_bytes) != 1)
    throw std::runtime_error("cannot build a time-stamp request: " + openssl_error());
  X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  TS_MSG_IMPRINT_set_algo(mi, alg);
  TS_MSG_IMPRINT_set_msg(mi, const_cast<unsigned char*>(imprint.data()), static_cast<int>(imprint.size()));
  TS_REQ_set_version(req.get(), 1);
  TS_REQ_set_msg_imprint(req.get(), mi);
  TS_MSG_IMPRINT_free(mi);
  X509_ALGOR_free(alg);
  BIGNUM* bn = BN_bin2bn(nonce_bytes, sizeof nonce_bytes, nullptr);
  BN_to_ASN1_INTEGER(bn, nonce.get());
  BN_free(bn);
  TS_REQ_set_nonce(req.get(), nonce.get());
  TS_REQ_set_cert_req(req.get(), 1);  // the token carries the TSA certificate: verifiable offline
  unsigned char* der = nullptr;
  int len = i2d_TS_REQ(req.get(), &der);
  if (len <= 0) throw std::runtime_error("cannot encode the time-stamp request: " + openssl_error());
  OutboundRequest out;
  out.url = url;
  out.body.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  out.headers = {{"Content-Type", "application/timestamp-query"}};
  out.timeout = std::chrono::seconds(10);
  auto answer = client.send_sync(std::move(out));
  if (!answer.ok()) throw std::runtime_error("TSA " + url + ": " + answer.error);
  if (answer.status != 200) throw std::runtime_error("TSA " + url + " answered HTTP " + std::to_string(answer.status));
  const auto* p = reinterpret_cast<const unsigned char*>(answer.body.data());
  TsRespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(answer.body.size())));
  if (!resp) throw std::runtime_error("TSA " + url + ": not a time-stamp response");
  // Status granted, same imprint, same nonce (the context is made from our request).
  TsVerifyPtr ctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!ctx) throw std::runtime_error(openssl_error());
  // The TSA's signature is checked where trust is configured (lgsp log verify --trust), not here.
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
  if (TS_RESP_verify_response(ctx.get(), resp.get()) != 1)
    throw std::runtime_error("TSA " + url + ": the response does not match the request: " + openssl_error());
  gen_time = generalized_time(TS_TST_INFO_get_time(TS_RESP_get_tst_info(resp.get())));
  PKCS7* token = TS_RESP_get_token(resp.get());
  unsigned char* tder = nullptr;
  int tlen = i2d_PKCS7(token, &tder);
  if (tlen <= 0) throw std::runtime_error("cannot encode the time-stamp token");
  std::string b64 =
      contracts::base64_encode(std::string_view(reinterpret_cast<char*>(tder), static_cast<std::size_t>(tlen)));
  OPENSSL_free(tder);
  return b64;
}

std::string verify_timestamp(const std::string& token_base64, const Sha256& imprint, X509_STORE* store) {
  auto der = contracts::base64_decode(token_base64);
  if (!der) return "the time-stamp token is not base64";
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  Pkcs7Ptr token(d2i_PKCS7(nullptr, &p, static_cast<long>(der->size())));
  if (!token) return "the time-stamp token cannot be read";
  try {
    auto ctx = verify_context(imprint, store);
    if (TS_RESP_verify_token(ctx.get(), token.get()) != 1)
      return "the time-stamp token does not verify: " + openssl_error();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

struct ChainTimestamper::Impl {
  std::function<Store*()> store;
  OutboundClient& client;
  std::string url;
  std::chrono::seconds every;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
  std::int64_t last_stamped = 0;
  Impl(std::function<Store*()> s, OutboundClient& c, std::string u, std::chrono::seconds e)
      : store(std::move(s)), client(c), url(std::move(u)), every(e) {}
};

ChainTimestamper::ChainTimestamper(std::function<Store*()> store, OutboundClient& client, std::string url,
                                   std::chrono::seconds every)
    : impl_(std::make_unique<Impl>(std::move(store), client, std::move(url), every)) {}

ChainTimestamper::~ChainTimestamper() { stop(); }

void ChainTimestamper::start() {
  impl_->thread = std::thread([this] {
    std::unique_lock lock(impl_->mutex);
    while (!impl_->stopping) {
      impl_->wake.wait_for(lock, impl_->every);
      if (impl_->stopping) break;
      lock.unlock();
      std::string why;
      if (!stamp_now(why) && !why.empty()) log::warn("log.timestamp_failed", {{"tsa", impl_->url}, {"error", why}});
      lock.lock();
    }
  });
}

void ChainTimestamper::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool ChainTimestamper::stamp_now(std::string& why) {
  Store* store = impl_->store();
  if (!store) {
    why = "the store is not open";
    return false;
  }
  std::int64_t seq = 0;
  std::string hash;
  store->read([&](Transaction& tx) {
    if (auto last = repositories(tx).log.last_not_timestamp(tx)) {
      seq = last->seq;
      hash = std::move(last->hash);
    }
  });
  if (seq == 0 || seq == impl_->last_stamped) return false;  // nothing new to stamp
  try {
    std::string gen_time;
    auto token = request_timestamp(impl_->client, impl_->url, chain_head_imprint(hash), gen_time);
    nlohmann::json body = {
        {"head_seq", seq}, {"head_hash", hash}, {"tsa", impl_->url}, {"gen_time", gen_time}, {"token", token}};
    store->write([body, seq](Transaction& tx) { MessageLog::append(tx, "timestamp", std::to_string(seq), body); })
        .get();
    impl_->last_stamped = seq;
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

}  // namespace lgsp::bus
