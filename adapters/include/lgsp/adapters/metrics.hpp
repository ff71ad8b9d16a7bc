// The runner's AdapterMetrics: one set of counters and gauges per adapter, rendered as Prometheus text at
// GET /metrics. Names are checked and their number bounded, so an adapter cannot grow the page without end.
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters {

class AdapterMetricSet : public AdapterMetrics {
 public:
  // At most this many distinct counter and gauge names per adapter; more are dropped (and counted in
  // the counter "metric_names_dropped").
  static constexpr std::size_t kMaxNames = 64;

  AdapterMetricSet(std::string adapter, std::string kind);
  // A name must be snake_case ([a-z][a-z0-9_]{0,62}); any other is dropped, never an exception.
  void count(std::string_view name, std::uint64_t by = 1) override;
  void gauge(std::string_view name, double value) override;

  const std::string& adapter() const { return adapter_; }
  const std::string& kind() const { return kind_; }
  std::map<std::string, std::uint64_t> counters() const;
  std::map<std::string, double> gauges() const;

 private:
  bool room_for(std::string_view name) const;
  std::string adapter_;
  std::string kind_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> counters_;
  std::map<std::string, double, std::less<>> gauges_;
};

// Prometheus text exposition (version 0.0.4) of every adapter's counters and gauges:
// lgsp_adapter_<name>_total{adapter="…",kind="…"} and lgsp_adapter_<name>{…}, one # TYPE line per name.
std::string render_prometheus(const std::vector<const AdapterMetricSet*>& sets);

}  // namespace lgsp::adapters
