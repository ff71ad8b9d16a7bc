// The node's Prometheus metrics (prometheus-cpp core; served by our own listener at /metrics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace prometheus {
class Registry;
}

namespace lgsp::bus {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered HTTP request: counted and timed, labelled by route pattern and status.
  void observe_request(const std::string& route, unsigned status, double seconds);
  // A connection closed at accept, by reason ("per_source_limit").
  void count_connection_refused(const std::string& reason);
  // Store group-commit counters, as read from Store::stats() (monotonic totals).
  void set_store_totals(std::uint64_t commits, std::uint64_t units);

  // One HSM signature over a batch of `size` leaves that took `seconds`; a batch that failed.
  void observe_sign_batch(std::size_t size, double seconds);
  void count_sign_failure();

  // Messages by outcome (accepted, repeated, rejected) and refusal code; delivery attempts by service
  // and resulting state (delivered, delivering = will retry, dead).
  void count_message(const std::string& outcome, const std::string& code);
  void count_delivery(const std::string& service, const std::string& state);
  // An inbound document accepted under a contract's receive profile using a named variant of the standard
  // (labels bounded: contract ids come from the catalogue, variant ids from a fixed list).
  void count_contract_variant(const std::string& contract, const std::string& variant);

  // Undelivered messages per service and the age of the oldest (replaces the previous figures, so a
  // service whose queue emptied shows 0).
  void set_queues(const std::vector<std::tuple<std::string, std::int64_t, double>>& per_service);
  // From a unit that appends to the message log being handed to the store to it being durable.
  void observe_log_append(double seconds);

  // The registry, for other modules to add their own families.
  prometheus::Registry& registry();
  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
