// Every refusal the node answers (the message pipeline's, the sync proxy's, the HTTP layer's) goes
// through one recorder: it is always counted (lgsp_refusals_total{kind,code}), and a bounded sample is
// kept in node_event: a few events per code per minute, each value cut short, the oldest deleted past
// a row cap or an age. A flood of refused requests costs a counter increment, never the disk.
#pragma once

#include "lgsp/bus/http.hpp"
#include "lgsp/bus/store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

class Metrics;

struct RefusalRecorderOptions {
  unsigned per_code_per_minute = 20;  // events stored per (kind, code) and minute; the rest are only counted
  unsigned per_minute = 200;          // events stored per minute, all kinds and codes together
  std::size_t max_value_bytes = 256;  // each recorded value (header values, the detail) is cut to this
  std::int64_t max_rows = 50000;      // refusal events kept; beyond it the oldest are deleted
  std::chrono::seconds max_age{std::chrono::hours(24 * 7)};  // older ones are deleted
  std::chrono::seconds prune_every{60};                      // how often (at most) the deletion runs
};

class RefusalRecorder {
 public:
  // The node_event kinds this recorder writes (and prunes; other kinds are left alone).
  static constexpr const char* kHttp = "http.rejected";
  static constexpr const char* kMessage = "message.rejected";
  static constexpr const char* kCall = "call.rejected";
  // A stored event's detail is at most this many bytes (so the store holds at most max_rows times it).
  std::size_t max_event_bytes() const;

  // `store` may answer null (opening or closing: nothing is stored). `metrics` may be null.
  RefusalRecorder(std::function<Store*()> store, Metrics* metrics, RefusalRecorderOptions options = {});
  ~RefusalRecorder();
  RefusalRecorder(const RefusalRecorder&) = delete;
  RefusalRecorder& operator=(const RefusalRecorder&) = delete;

  using Fields = std::vector<std::pair<std::string, std::string>>;
  // Counts the refusal and stores it when the sample has room. Never throws; never waits for the store.
  void record(const std::string& kind, const std::string& code, unsigned status, const Fields& fields);
  // The same for a problem+json answer: its code, status and detail are read from it.
  void record(const std::string& kind, const HttpResponse& refusal, Fields fields);

  // Deletes expired events and those beyond the row cap now (record() also does it every prune_every).
  // Asynchronous, like every store write; `done` (optional) runs when it is durable.
  void prune(std::function<void()> done = {});

  // What record() did since start.
  struct Totals {
    std::uint64_t counted = 0;
    std::uint64_t stored = 0;
  };
  Totals totals() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
