#include "lgsp/adapters/backoff.hpp"

#include <algorithm>
#include <thread>

namespace lgsp::adapters {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      random_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next(std::optional<std::chrono::seconds> retry_after) {
  // initial * 2^failures, without overflowing.
  std::int64_t ceiling = initial_.count();
  for (std::uint32_t i = 0; i < failures_ && ceiling < max_.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<std::int64_t>(max_.count()));
  if (failures_ < 64) ++failures_;
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  std::chrono::milliseconds wait(pick(random_));
  if (retry_after) wait = std::max(wait, std::min<std::chrono::milliseconds>(*retry_after, max_));
  return wait;
}

void Backoff::reset() { failures_ = 0; }

bool sleep_unless_stopping(const std::atomic<bool>& stopping, std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kStep(50);
  const auto until = std::chrono::steady_clock::now() + wait;
  while (!stopping.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kStep, until - now));
  }
  return false;
}

}  // namespace lgsp::adapters
