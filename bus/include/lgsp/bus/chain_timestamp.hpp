// RFC 3161 time stamps of the message log's chain head: the node asks a time-stamping authority to
// stamp the SHA-256 of the latest record's hash and appends the token as a `timestamp` record. A
// stamped head proves that every record up to it existed at that time: later rewriting the history
// would need the TSA's key too.
#pragma once

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/store.hpp"

#include <openssl/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace lgsp::bus {

// Asks the TSA at `url` to stamp `imprint` (a SHA-256), checks the answer (granted, same imprint, our
// nonce) and returns the token as base64 DER; `gen_time` gets the TSA's time. Throws
// std::runtime_error with the reason.
std::string request_timestamp(OutboundClient& client, const std::string& url, const Sha256& imprint,
                              std::string& gen_time);

// Checks a token against `imprint`; with `store`, also the TSA's signature and certificate chain.
// Returns the reason it fails, or an empty string.
std::string verify_timestamp(const std::string& token_base64, const Sha256& imprint, X509_STORE* store);

// The imprint stamped for a chain head: SHA-256 over the head record's 32-byte hash.
Sha256 chain_head_imprint(const std::string& head_hash_hex);

class ChainTimestamper {
 public:
  ChainTimestamper(std::function<Store*()> store, OutboundClient& client, std::string url, std::chrono::seconds every);
  ~ChainTimestamper();
  ChainTimestamper(const ChainTimestamper&) = delete;
  ChainTimestamper& operator=(const ChainTimestamper&) = delete;

  void start();
  void stop();
  // Stamps the current head if it moved since the last stamp. False with `why` when it could not.
  bool stamp_now(std::string& why);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
