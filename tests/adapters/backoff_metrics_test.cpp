// The retry helper and the adapters' Prometheus text.
#include "lgsp/adapters/backoff.hpp"
#include "lgsp/adapters/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;
using lgsp::adapters::AdapterMetricSet;
using lgsp::adapters::Backoff;

namespace {

TEST(Backoff, doubles_with_jitter_up_to_the_cap) {
  Backoff b(100ms, 1000ms);
  std::int64_t ceiling = 100;
  for (int i = 0; i < 8; ++i) {
    auto wait = b.next().count();
    EXPECT_GE(wait, ceiling / 2) << i;
    EXPECT_LE(wait, ceiling) << i;
    ceiling = std::min<std::int64_t>(ceiling * 2, 1000);
  }
  EXPECT_EQ(b.failures(), 8u);
}

TEST(Backoff, starts_again_after_a_reset) {
  Backoff b(100ms, 10s);
  for (int i = 0; i < 6; ++i) b.next();
  b.reset();
  EXPECT_LE(b.next().count(), 100);
}

TEST(Backoff, a_longer_retry_after_wins_but_not_past_the_cap) {
  Backoff b(100ms, 5s);
  EXPECT_EQ(b.next(std::chrono::seconds(3)), 3000ms);
  EXPECT_EQ(b.next(std::chrono::seconds(60)), 5000ms);
}

TEST(Backoff, a_sleep_ends_early_when_the_runner_stops) {
  std::atomic<bool> stopping{false};
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(lgsp::adapters::sleep_unless_stopping(stopping, 60ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stopping = true;
  });
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lgsp::adapters::sleep_unless_stopping(stopping, 30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  stopper.join();
}

TEST(AdapterMetrics, renders_counters_and_gauges_with_the_adapter_and_kind) {
  AdapterMetricSet a("hotich-export", "filedrop");
  AdapterMetricSet b("soap-in", "soap");
  a.count("sent");
  a.count("sent", 2);
  b.count("sent");
  a.gauge("backlog", 4);
  auto text = lgsp::adapters::render_prometheus({&a, &b});
  EXPECT_NE(text.find("# TYPE lgsp_adapter_sent_total counter\n"
                      "lgsp_adapter_sent_total{adapter=\"hotich-export\",kind=\"filedrop\"} 3\n"
                      "lgsp_adapter_sent_total{adapter=\"soap-in\",kind=\"soap\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "# TYPE lgsp_adapter_backlog gauge\nlgsp_adapter_backlog{adapter=\"hotich-export\",kind=\"filedrop\"} 4\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("# TYPE lgsp_adapter_sent_total"), text.rfind("# TYPE lgsp_adapter_sent_total"))
      << "one TYPE line per name";
}

TEST(AdapterMetrics, drops_bad_names_and_bounds_how_many_there_are) {
  AdapterMetricSet a("a", "k");
  a.count("Bad-Name");
  a.count("x{evil=\"1\"}");
  a.gauge("", 1);
  for (int i = 0; i < 200; ++i) a.count("name_" + std::to_string(i));
  auto counters = a.counters();
  EXPECT_EQ(counters.count("Bad-Name"), 0u);
  EXPECT_LE(counters.size() + a.gauges().size(), AdapterMetricSet::kMaxNames + 1);
  EXPECT_GE(counters.at("metric_names_dropped"), 3u + 200u - AdapterMetricSet::kMaxNames);
  auto text = lgsp::adapters::render_prometheus({&a});
  EXPECT_EQ(text.find("evil"), std::string::npos);
}

}  // namespace
