// The synchronous proxy, /v1/call/<member>/<subsystem>/<code>/v<N>/<path>: authenticate, authorize and
// validate the request, forward it to the provider with the service's deadline, validate the answer
// against the response contract, and seal request and response together so the answer proves which
// request it answers.
#pragma once

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::bus {

class Metrics;
class RefusalRecorder;
class RegistryCache;

// What the node signs for one proxied call.
struct CallSeal {
  std::string call_id;  // LGSP-Message-Id of the request, or one the node made up
  std::string client;
  std::string service;
  std::string at;  // RFC 3339 UTC, when the answer was sealed
  std::string request_sha256;
  std::string response_sha256;
  unsigned status = 0;  // the provider's HTTP status

  // Length-prefixed fields under their own domain tag, so a call seal can never pass for a receipt.
  Sha256 leaf() const;
  nlohmann::json to_json() const;
  // Throws nlohmann::json::exception naming the missing or mistyped field.
  static CallSeal from_json(const nlohmann::json& j);
};

class CallProxy {
 public:
  struct Dependencies {
    std::function<Store*()> store;  // null while the store is opening
    std::function<const contracts::Catalogue*()> catalogue;
    std::function<Sealer*()> sealer;  // null when signing is disabled or the HSM is not open
    contracts::ParseLimits limits;
    std::shared_ptr<RegistryCache> registry_cache;  // null: no cache
    // Called once per sealed call (the message log records it), with its seal.
    std::function<void(const CallSeal&, const Seal& seal)> on_sealed;
    Metrics* metrics = nullptr;  // may be null
    // Where refusals are counted and sampled (shared with the node and the exchange); null: its own.
    std::shared_ptr<RefusalRecorder> refusals;
  };
  CallProxy(Dependencies dependencies, OutboundClient& client);

  void add_routes(Router& router);

  struct Impl;  // opaque; public only so the proxy's own stages (call_proxy.cpp) can name it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
