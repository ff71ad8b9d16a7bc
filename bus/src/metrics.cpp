#include "lgsp/bus/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>
#include <set>

namespace lgsp::bus {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests = prometheus::BuildCounter()
                                                          .Name("lgsp_http_requests_total")
                                                          .Help("HTTP requests answered, by route pattern and status")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("lgsp_http_request_duration_seconds")
          .Help("Time from a complete request to its answer being written, by route pattern and status")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& store_commits_family = prometheus::BuildCounter()
                                                                      .Name("lgsp_store_commits_total")
                                                                      .Help("Store transactions committed")
                                                                      .Register(*registry);
  prometheus::Family<prometheus::Counter>& store_units_family =
      prometheus::BuildCounter()
          .Name("lgsp_store_write_units_total")
          .Help("Store write units committed (units / commits = group-commit batch size)")
          .Register(*registry);
  prometheus::Histogram& sign_batch_size =
      prometheus::BuildHistogram()
          .Name("lgsp_sign_batch_size")
          .Help("Leaves (messages, calls) sealed by one HSM signature")
          .Register(*registry)
          .Add({},
               prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192, 16384});
  prometheus::Histogram& sign_seconds = prometheus::BuildHistogram()
                                            .Name("lgsp_sign_seconds")
                                            .Help("Time the HSM took to sign one batch root")
                                            .Register(*registry)
                                            .Add({}, prometheus::Histogram::BucketBoundaries{
                                                         0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1});
  prometheus::Counter& sign_failures = prometheus::BuildCounter()
                                           .Name("lgsp_sign_failures_total")
                                           .Help("Batches the HSM could not sign (their messages were refused)")
                                           .Register(*registry)
                                           .Add({});
  prometheus::Family<prometheus::Counter>& messages =
      prometheus::BuildCounter()
          .Name("lgsp_messages_total")
          .Help("Messages by outcome (accepted, repeated, rejected) and code")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& deliveries =
      prometheus::BuildCounter()
          .Name("lgsp_delivery_attempts_total")
          .Help("Delivery attempts by service and resulting state (delivered, delivering = will retry, dead)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& contract_variants =
      prometheus::BuildCounter()
          .Name("lgsp_contract_variants_total")
          .Help("Inbound documents accepted under the receive profile, by contract and variant of the standard used")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& queue_depth =
      prometheus::BuildGauge()
          .Name("lgsp_queue_depth")
          .Help("Accepted messages not yet delivered or dead, by service")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& queue_oldest = prometheus::BuildGauge()
                                                            .Name("lgsp_queue_oldest_age_seconds")
                                                            .Help("Age of the oldest undelivered message, by service")
                                                            .Register(*registry);
  prometheus::Histogram& log_append =
      prometheus::BuildHistogram()
          .Name("lgsp_log_append_seconds")
          .Help("From a log-appending unit handed to the store to it being durable (group commit included)")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5});
  prometheus::Family<prometheus::Counter>& connections_refused =
      prometheus::BuildCounter()
          .Name("lgsp_http_connections_refused_total")
          .Help("Connections closed as soon as accepted, by reason (per_source_limit)")
          .Register(*registry);
  std::set<std::string> queued_services;
  prometheus::Counter& store_commits = store_commits_family.Add({});
  prometheus::Counter& store_units = store_units_family.Add({});

  // Family::Add takes a lock and hashes labels; cache the children we have seen.
  std::mutex mutex;
  std::map<std::pair<std::string, unsigned>, std::pair<prometheus::Counter*, prometheus::Histogram*>> children;
  std::uint64_t last_commits = 0;
  std::uint64_t last_units = 0;
};

namespace {
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                  0.25,   0.5,   1,      2.5,   5,    10,    30};
  return buckets;
}
}  // namespace

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::count_connection_refused(const std::string& reason) {
  // Family::Add returns the existing child for the same labels (thread-safe).
  impl_->connections_refused.Add({{"reason", reason}}).Increment();
}

void Metrics::observe_request(const std::string& route, unsigned status, double seconds) {
  std::pair<prometheus::Counter*, prometheus::Histogram*> child;
  {
    std::lock_guard lock(impl_->mutex);
    auto key = std::make_pair(route, status);
    auto it = impl_->children.find(key);
    if (it == impl_->children.end()) {
      std::map<std::string, std::string> labels = {{"route", route}, {"status", std::to_string(status)}};
      it = impl_->children
               .emplace(key,
                        std::make_pair(&impl_->requests.Add(labels), &impl_->latency.Add(labels, latency_buckets())))
               .first;
    }
    child = it->second;
  }
  child.first->Increment();
  child.second->Observe(seconds);
}

void Metrics::set_store_totals(std::uint64_t commits, std::uint64_t units) {
  std::lock_guard lock(impl_->mutex);
  if (commits > impl_->last_commits) impl_->store_commits.Increment(static_cast<double>(commits - impl_->last_commits));
  if (units > impl_->last_units) impl_->store_units.Increment(static_cast<double>(units - impl_->last_units));
  impl_->last_commits = std::max(commits, impl_->last_commits);
  impl_->last_units = std::max(units, impl_->last_units);
}

void Metrics::observe_sign_batch(std::size_t size, double seconds) {
  impl_->sign_batch_size.Observe(static_cast<double>(size));
  impl_->sign_seconds.Observe(seconds);
}

void Metrics::count_message(const std::string& outcome, const std::string& code) {
  impl_->messages.Add({{"outcome", outcome}, {"code", code}}).Increment();
}

void Metrics::count_contract_variant(const std::string& contract, const std::string& variant) {
  impl_->contract_variants.Add({{"contract", contract}, {"variant", variant}}).Increment();
}

void Metrics::count_delivery(const std::string& service, const std::string& state) {
  impl_->deliveries.Add({{"service", service}, {"state", state}}).Increment();
}

void Metrics::set_queues(const std::vector<std::tuple<std::string, std::int64_t, double>>& per_service) {
  std::lock_guard lock(impl_->mutex);
  std::set<std::string> now;
  for (const auto& [service, depth, oldest] : per_service) {
    impl_->queue_depth.Add({{"service", service}}).Set(static_cast<double>(depth));
    impl_->queue_oldest.Add({{"service", service}}).Set(oldest);
    now.insert(service);
  }
  for (const auto& service : impl_->queued_services)
    if (!now.count(service)) {
      impl_->queue_depth.Add({{"service", service}}).Set(0);
      impl_->queue_oldest.Add({{"service", service}}).Set(0);
    }
  impl_->queued_services.insert(now.begin(), now.end());
}

void Metrics::observe_log_append(double seconds) { impl_->log_append.Observe(seconds); }

void Metrics::count_sign_failure() { impl_->sign_failures.Increment(); }

prometheus::Registry& Metrics::registry() { return *impl_->registry; }

std::string Metrics::render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->registry->Collect());
}

}  // namespace lgsp::bus
