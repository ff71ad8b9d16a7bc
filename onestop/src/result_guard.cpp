#include "lgsp/onestop/result_guard.hpp"

#include <boost/asio/ip/address.hpp>

namespace lgsp::onestop {
namespace {

// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1"; anything else as given.
std::string host_of(const std::string& peer) {
  if (!peer.empty() && peer.front() == '[') {
    auto close = peer.find(']');
    return close == std::string::npos ? peer : peer.substr(1, close - 1);
  }
  auto colon = peer.rfind(':');
  if (colon != std::string::npos && peer.find(':') == colon) return peer.substr(0, colon);
  return peer;
}

std::optional<std::string> normalized(std::string text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.erase(0, 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6()).to_string();
  return ip.to_string();
}

}  // namespace

std::string client_address(const std::string& peer, const std::optional<std::string>& forwarded_for,
                           const std::set<std::string>& trusted_proxies) {
  std::string hop = normalized(host_of(peer)).value_or(host_of(peer));
  if (!trusted_proxies.count(hop) || !forwarded_for) return hop;
  const std::string& xff = *forwarded_for;
  std::size_t end = xff.size();
  while (true) {
    auto comma = end == 0 ? std::string::npos : xff.rfind(',', end - 1);
    std::size_t start = comma == std::string::npos ? 0 : comma + 1;
    auto entry = normalized(xff.substr(start, end - start));
    if (!entry) return hop;  // garbage: the hop that passed it on is the last address we can vouch for
    hop = *entry;
    if (!trusted_proxies.count(hop) || comma == std::string::npos) return hop;
    end = comma;
  }
}

std::string source_key(const std::string& address) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address, ec);
  if (ec || !ip.is_v6()) return address;
  auto bytes = ip.to_v6().to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

ResultGuard::ResultGuard(const LookupConfig& config) : config_(config) {}

std::size_t ResultGuard::live(Window& w, std::chrono::seconds span, TimePoint now) {
  while (!w.empty() && w.front() + span <= now) w.pop_front();
  return w.size();
}

void ResultGuard::sweep(TimePoint now) {
  // Keys whose tries have all expired are dropped now and then, so random codes cannot grow the maps for ever.
  auto longest = std::chrono::seconds(std::max(config_.window_seconds, config_.dossier_window_seconds));
  if (now - last_sweep_ < std::chrono::seconds(config_.window_seconds)) return;
  for (auto* m : {&by_source_, &by_dossier_, &by_pair_})
    for (auto it = m->begin(); it != m->end();) it = live(it->second, longest, now) == 0 ? m->erase(it) : std::next(it);
  last_sweep_ = now;
}

std::optional<ResultGuard::Try> ResultGuard::begin(const std::string& source, const std::string& dossier,
                                                   TimePoint now) {
  std::lock_guard lock(mutex_);
  sweep(now);
  const auto window = std::chrono::seconds(config_.window_seconds);
  const auto dossier_window = std::chrono::seconds(config_.dossier_window_seconds);
  Try t;
  t.source = source;
  t.dossier = dossier;
  std::string pair = source + "\n" + dossier;
  auto& s = by_source_[source];
  if (live(s, window, now) >= config_.max_failures) return std::nullopt;
  auto& d = by_dossier_[dossier];
  // Memory stays bounded: a window keeps no more tries than the limit it is compared with (the oldest kept
  // still tells whether that many fell within the window), and (source, dossier) pairs are counted only on a
  // dossier under attack.
  bool under_attack = live(d, dossier_window, now) >= config_.dossier_max_failures;
  if (under_attack) {
    auto& p = by_pair_[pair];
    if (live(p, dossier_window, now) >= kTriesPerSourceUnderAttack) return std::nullopt;
    p.push_back(now);
    t.paired = true;
  }
  s.push_back(now);
  d.push_back(now);
  while (d.size() > config_.dossier_max_failures + kTriesPerSourceUnderAttack) d.pop_front();
  return t;
}

void ResultGuard::succeeded(const Try& t) {
  std::lock_guard lock(mutex_);
  auto forgive = [](std::map<std::string, Window>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) return;
    if (!it->second.empty()) it->second.pop_back();
    if (it->second.empty()) m.erase(it);
  };
  forgive(by_source_, t.source);
  forgive(by_dossier_, t.dossier);
  if (t.paired) forgive(by_pair_, t.source + "\n" + t.dossier);
}

std::size_t ResultGuard::dossier_failures(const std::string& dossier, TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = by_dossier_.find(dossier);
  return it == by_dossier_.end() ? 0 : live(it->second, std::chrono::seconds(config_.dossier_window_seconds), now);
}

}  // namespace lgsp::onestop
