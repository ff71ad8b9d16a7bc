// The JSON REST API under /onestop/v1/ (docs/onestop.md): role-checked with per-user bearer tokens, plus the
// public lookup, the SMS-style query, result download with a second factor, and the bus inbox (deliveries
// authenticated by the node's seal). Handlers run on a worker pool: they touch the disk and the HSM.
#pragma once

#include "lgsp/bus/router.hpp"
#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/result_signer.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace lgsp::signing {
class TrustStore;
}

namespace lgsp::onestop {

// Counts guesses per key (a dossier code, a client address) in a sliding window. A try is counted when it
// starts (so concurrent tries cannot slip past the limit together) and forgiven when it succeeds.
class AttemptLimiter {
 public:
  AttemptLimiter(unsigned max_failures, std::chrono::seconds window) : max_(max_failures), window_(window) {}
  // Counts a try; false (nothing counted) when the key is already at its limit.
  bool begin(const std::string& key, TimePoint now);
  void succeeded(const std::string& key);

 private:
  unsigned max_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, std::deque<TimePoint>> failures_;
  TimePoint last_sweep_{};
};

class OnestopApi {
 public:
  // `bus_trust` (may be null: then the bus inbox refuses everything) checks the seals of deliveries.
  OnestopApi(OneStopOffice& office, ResultSigner& signer, const OnestopConfig& config,
             std::unique_ptr<signing::TrustStore> bus_trust);
  ~OnestopApi();
  OnestopApi(const OnestopApi&) = delete;
  OnestopApi& operator=(const OnestopApi&) = delete;

  void add_routes(bus::Router& router);
  // Waits for handlers in flight (before the server and the store go away).
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "a=1&b=x%20y" -> {a: "1", b: "x y"}.
std::map<std::string, std::string> parse_query(const std::string& query);

}  // namespace lgsp::onestop
