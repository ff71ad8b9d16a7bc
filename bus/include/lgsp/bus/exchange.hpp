// Asynchronous exchange: POST /v1/messages runs the pipeline (headers -> access -> contract ->
// idempotency -> seal -> persist) and answers 202 with the sealed receipt once the message is durable;
// GET /v1/messages/{id} shows its state to the sender; the deliverer posts accepted messages to their
// service endpoints with retries, backoff and jitter, in order within a conversation, and moves them to
// the dead-letter queue when the service's policy is exhausted.
#pragma once

#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/validation.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::bus {

class Metrics;
class RefusalRecorder;
class RegistryCache;
class SealCertificateCache;

struct ExchangeOptions {
  unsigned max_in_flight = 64;                   // deliveries on the wire at once
  std::chrono::milliseconds poll_interval{200};  // how often due retries are looked for
  // Set on a store several nodes share: due messages are claimed under this node id for `lease` before they
  // go out (MessageRepository::claim_due), so one node at a time delivers each. Empty (SQLite, one node): no
  // claims, the due messages are read.
  std::string claim_as;
  std::chrono::milliseconds lease{60000};
};

class Exchange {
 public:
  struct Dependencies {
    std::function<Store*()> store;  // null while the store is opening
    std::function<const contracts::Catalogue*()> catalogue;
    std::function<Sealer*()> sealer;  // null when signing is disabled
    contracts::ParseLimits limits;
    Metrics* metrics = nullptr;
    std::shared_ptr<RegistryCache> registry_cache;  // shared with the sync proxy; null: no cache
    // What the store's seal_certificate table holds, shared with the call and batch records; null:
    // the exchange keeps its own.
    std::shared_ptr<SealCertificateCache> seal_certificates;
    // Where refusals are counted and sampled (shared with the node and the sync proxy); null: the
    // exchange keeps its own.
    std::shared_ptr<RefusalRecorder> refusals;
  };
  Exchange(Dependencies dependencies, OutboundClient& client, ExchangeOptions options = {});
  ~Exchange();  // stops the deliverer; what is not delivered stays queued in the store
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void add_routes(Router& router);
  // Runs `request` through the same pipeline as POST /v1/messages (the edXML gateway hands each addressee's copy
  // over this way); `request` carries the caller's credentials and the LGSP headers.
  void submit(HttpRequest request, Reply reply);
  // Starts delivering (safe before the store is open: the deliverer waits for it).
  void start_delivery();
  // Stops delivering and waits (bounded) for deliveries on the wire to record their outcome. Call
  // before the store closes; undelivered messages stay queued and go out after a restart.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
