// Per-adapter counters and gauges, and their Prometheus text.
#include "lgsp/adapters/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace lgsp::adapters {

namespace {

bool snake_case(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() < 'a' || name.front() > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Label values are adapter names and kinds ([a-z0-9-]); escaped anyway, as the format says.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

AdapterMetricSet::AdapterMetricSet(std::string adapter, std::string kind)
    : adapter_(std::move(adapter)), kind_(std::move(kind)) {}

bool AdapterMetricSet::room_for(std::string_view name) const {
  return counters_.count(name) || gauges_.count(name) || counters_.size() + gauges_.size() < kMaxNames;
}

void AdapterMetricSet::count(std::string_view name, std::uint64_t by) {
  std::lock_guard lock(mutex_);
  if (!snake_case(name) || !room_for(name)) {
    counters_["metric_names_dropped"] += 1;
    return;
  }
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string(name), 0).first;
  it->second += by;
}

void AdapterMetricSet::gauge(std::string_view name, double value) {
  std::lock_guard lock(mutex_);
  if (!snake_case(name) || !room_for(name)) {
    counters_["metric_names_dropped"] += 1;
    return;
  }
  auto it = gauges_.find(name);
  if (it == gauges_.end()) it = gauges_.emplace(std::string(name), 0.0).first;
  it->second = value;
}

std::map<std::string, std::uint64_t> AdapterMetricSet::counters() const {
  std::lock_guard lock(mutex_);
  return {counters_.begin(), counters_.end()};
}

std::map<std::string, double> AdapterMetricSet::gauges() const {
  std::lock_guard lock(mutex_);
  return {gauges_.begin(), gauges_.end()};
}

std::string render_prometheus(const std::vector<const AdapterMetricSet*>& sets) {
  // Grouped by metric name, as the format wants one # TYPE line before all of a name's samples.
  std::map<std::string, std::vector<std::string>> counters;
  std::map<std::string, std::vector<std::string>> gauges;
  for (const auto* set : sets) {
    const std::string labels = "{adapter=\"" + label(set->adapter()) + "\",kind=\"" + label(set->kind()) + "\"}";
    for (const auto& [name, v] : set->counters())
      counters["lgsp_adapter_" + name + "_total"].push_back(labels + " " + std::to_string(v));
    for (const auto& [name, v] : set->gauges()) gauges["lgsp_adapter_" + name].push_back(labels + " " + number(v));
  }
  std::ostringstream out;
  for (const auto& [name, samples] : counters) {
    out << "# TYPE " << name << " counter\n";
    for (const auto& s : samples) out << name << s << "\n";
  }
  for (const auto& [name, samples] : gauges) {
    // A gauge and a counter could share a base name (gauge "x_total"): the counter keeps the name.
    if (counters.count(name)) continue;
    out << "# TYPE " << name << " gauge\n";
    for (const auto& s : samples) out << name << s << "\n";
  }
  return out.str();
}

}  // namespace lgsp::adapters
