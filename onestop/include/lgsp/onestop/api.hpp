// The JSON REST API under /onestop/v1/ (docs/onestop.md): role-checked with per-user bearer tokens, plus the
// public lookup, the SMS-style query, result download with a second factor, and the bus inbox (deliveries
// authenticated by the node's seal). Handlers run on a worker pool: they touch the disk and the HSM.
#pragma once

#include "lgsp/bus/router.hpp"
#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/result_signer.hpp"

#include <map>
#include <memory>
#include <string>

namespace lgsp::signing {
class TrustStore;
}

namespace lgsp::onestop {

class OnestopApi {
 public:
  // `bus_trust` (may be null: then the bus inbox refuses everything) checks the seals of deliveries; `bus_api_key`
  // is the office's key at its node (calls to the civil-status registry, [registry]).
  OnestopApi(OneStopOffice& office, ResultSigner& signer, const OnestopConfig& config,
             std::unique_ptr<signing::TrustStore> bus_trust, std::string bus_api_key = {});
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
