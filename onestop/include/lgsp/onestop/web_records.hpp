// What the web sign-in and the notifications keep (docs/onestop.md, "Web sessions" and "Notifications"): typed
// values the WebRepository (repositories.hpp) stores and the office (web.cpp, notify.cpp) works with.
#pragma once

#include "lgsp/onestop/local_time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace lgsp::onestop {

// A signed-in browser: only the SHA-256 of the cookie's value is kept; the CSRF token the page sends back on every
// change is kept as it is (it is no credential on its own).
struct WebSession {
  std::string id_sha256{};
  std::string username{};
  std::string csrf{};
  TimePoint created_at{}, last_seen_at{};
};

// A token sign-in challenge: the digest an official's token signs (origin and nonce bound), used once.
struct WebChallenge {
  std::string id{};
  std::string digest_base64{};
  std::string origin{};
  TimePoint expires_at{};
};

// One message of the notification outbox (an e-mail or an SMS about a dossier).
struct Notification {
  std::int64_t id = 0;
  std::string dossier_code{}, unit{}, kind{}, channel{}, recipient{}, subject{}, body{};
  std::string status{};  // pending, sent, failed (given up after the last retry)
  int attempts = 0;
  std::optional<std::string> last_error{};
  TimePoint created_at{}, next_attempt_at{};
  std::optional<TimePoint> sent_at{};
};

}  // namespace lgsp::onestop
