// How long an adapter waits before trying again (the node unavailable, a legacy system down): exponential
// from `initial`, capped at `max`, with full jitter so that many adapters restarted together do not retry
// in step. A Retry-After from the node, when longer, wins.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace lgsp::adapters {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(200),
                   std::chrono::milliseconds max = std::chrono::seconds(60));
  // The wait before the next attempt; each call after a failure doubles the ceiling up to `max`. The wait
  // is uniform in [ceiling/2, ceiling], or `retry_after` when that is longer (capped at max).
  std::chrono::milliseconds next(std::optional<std::chrono::seconds> retry_after = std::nullopt);
  // After a success: the next failure waits `initial` again.
  void reset();
  std::uint32_t failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::uint32_t failures_ = 0;
  std::mt19937_64 random_;
};

// Waits `wait` in short steps, returning early (false) as soon as `stopping` is set, so an adapter's retry
// loop never holds up the runner's stop by a long backoff. True when the whole wait passed.
bool sleep_unless_stopping(const std::atomic<bool>& stopping, std::chrono::milliseconds wait);

}  // namespace lgsp::adapters
