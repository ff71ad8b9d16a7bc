// A test-only adapter kind, "probe", registered with register_adapter_kind_for_tests (never in the lgsp
// program): it lets the runner's listener, health, metrics, dead letters, replay and the node's deliveries be
// tested end to end before and without the real kinds.
//
// Keys: name, kind, client, api_key_*, and its own: service (sent on replay), healthy (bool), fail_start (bool).
// Routes: POST <prefix>/in checks the node's seal (context.deliveries) and records the delivery; GET
// <prefix>/hello answers "hello <name>"; GET <prefix>/throw throws; GET <prefix>/silent never answers; POST
// <prefix>/small echoes a body of at most 8 bytes.
#pragma once

#include "lgsp/adapters/adapter.hpp"
#include "lgsp/bus/http.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace lgsp::adapters::test {

class ProbeAdapter : public Adapter {
 public:
  explicit ProbeAdapter(ConfigTable& table);
  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "probe"; }
  void start(AdapterContext& context) override;
  void stop() override;
  Health health() const override;
  std::string replay(const DeadLetter& letter) override;
  void prepare_replay(AdapterContext& context) override;

  // What arrived at POST <prefix>/in, as received (verified or not).
  std::vector<bus::HttpRequest> received() const;
  std::vector<Delivery> delivered() const;
  bool stopped() const { return stopped_; }
  bool started() const { return started_; }
  AdapterContext* context() const { return context_; }

 private:
  std::string name_;
  std::string service_;
  bool healthy_ = true;
  bool fail_start_ = false;
  AdapterContext* context_ = nullptr;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  std::vector<bus::HttpRequest> received_;
  std::vector<Delivery> delivered_;
};

// Registers the kind "probe" (idempotent).
void register_probe_kind();

}  // namespace lgsp::adapters::test
