// A bus node: the listener, the store, the built-in routes (/healthz, /readyz, /metrics).
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/refusal_recorder.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace lgsp::bus {

struct SignedBatch;

using StoreFactory = std::function<std::unique_ptr<Store>(const Config&)>;

// The store the config names, with the node's migrations: the embedded default, SQLite at
// <data_dir>/lgsp.db, or PostgreSQL at store.postgresql_url (store.backend).
std::unique_ptr<Store> open_embedded_store(const Config& config);

class Node {
 public:
  explicit Node(Config config, StoreFactory store_factory = open_embedded_store);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Add routes before start().
  Router& router();
  // Routes of the admin listener (admin.listen); the registry routes are already there.
  Router& admin_router();
  Metrics& metrics();
  // Where every refusal is counted and sampled into node_event (shared with the exchange and the proxy).
  std::shared_ptr<RefusalRecorder> refusals();
  const Config& config() const;

  // Loads the contract catalogue (throws contracts::ContractError naming the broken file), binds the
  // listener (throws ConfigError if it cannot) and opens the store in the background,
  // so /healthz answers at once and /readyz says 503 until the migrations are applied.
  void start();
  HostPort endpoint() const;
  // The admin listener's bound address; nullopt when admin.listen is not configured.
  std::optional<HostPort> admin_endpoint() const;
  // Valid after start().
  const contracts::Catalogue& catalogue() const;

  // Waits until the store is open (true) or has failed (false; see store_failure()).
  bool wait_store(std::chrono::milliseconds timeout = std::chrono::hours(24));
  std::string store_failure() const;
  // Null until the store is open.
  Store* store();

  // The node's seal (batched HSM signatures). Null when signing.enabled is false; otherwise present from
  // start() on, and ready() says whether the HSM can sign now.
  Sealer* sealer();
  // Called after each signed batch (before its seals are handed out), e.g. to log it. Set before start().
  void on_signed_batch(std::function<void(const SignedBatch&)> observer);

  // Graceful stop: drain in-flight requests up to server.drain_timeout_seconds. Returns true if
  // every request finished in time.
  bool stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
