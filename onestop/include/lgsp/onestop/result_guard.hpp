// Who is asking, and whether they may guess again: the source of a request (X-Forwarded-For believed only from
// configured proxies) and the limits on second-factor guesses at the result download. See docs/onestop.md,
// "Result download": limits are per source, so a stranger can never lock the applicant out.
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/local_time.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace lgsp::onestop {

// The address a request comes from. `peer` is the TCP peer ("ip:port", "[v6]:port"). Only when the peer is one
// of `trusted_proxies` is X-Forwarded-For read, right to left: the first address that is not a trusted proxy is
// the client (entries further left are the client's own claims). An entry that is not an IP address ends the
// walk at the hop that added it. Without trusted proxies the header is ignored.
std::string client_address(const std::string& peer, const std::optional<std::string>& forwarded_for,
                           const std::set<std::string>& trusted_proxies);

// What one source is counted as: an IPv4 address, or the /64 of an IPv6 address (one subscriber's prefix).
std::string source_key(const std::string& address);

// Counts wrong second factors in sliding windows: per source, per dossier, and per (source, dossier).
// - a source past lookup.max_failures in lookup.window_seconds gets 429 for everything;
// - a dossier past lookup.dossier_max_failures in lookup.dossier_window_seconds is under attack: each source
//   then has kTriesPerSourceUnderAttack wrong tries on it per dossier window;
// - the right answer from a source that is not limited always succeeds.
// A try is counted when it starts (concurrent tries cannot slip past a limit together) and forgiven if right.
class ResultGuard {
 public:
  static constexpr unsigned kTriesPerSourceUnderAttack = 3;

  explicit ResultGuard(const LookupConfig& config);
  struct Try {
    std::string source, dossier;
    bool paired = false;  // counted for (source, dossier) too: the dossier was under attack
  };
  // Counts a try; nullopt (nothing counted) when this source may not try this dossier now.
  std::optional<Try> begin(const std::string& source, const std::string& dossier, TimePoint now);
  void succeeded(const Try& t);
  // Wrong tries counted on a dossier within its window, up to a little past dossier_max_failures (for tests).
  std::size_t dossier_failures(const std::string& dossier, TimePoint now);

 private:
  using Window = std::deque<TimePoint>;
  static std::size_t live(Window& w, std::chrono::seconds span, TimePoint now);
  void sweep(TimePoint now);

  LookupConfig config_;
  std::mutex mutex_;
  std::map<std::string, Window> by_source_, by_dossier_, by_pair_;
  TimePoint last_sweep_{};
};

}  // namespace lgsp::onestop
