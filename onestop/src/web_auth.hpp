// What a browser's request carries for the web sign-in (docs/onestop.md, "Web sessions"): the session cookie, the
// CSRF token on every change, passwords hashed with Argon2id, and the sign-in rate limits. The records themselves
// are the office's (web.cpp).
#pragma once

#include "lgsp/bus/http.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/result_guard.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace lgsp::onestop {

inline constexpr const char* kSessionCookie = "lgsp_session";

// GET /me's shape of an account.
nlohmann::json me_json(const Actor& a);

// "0912 345 678", "+84912345678", "84912345678" -> "0912345678"; nullopt when not a Vietnamese mobile number.
std::optional<std::string> normalise_phone(const std::string& text);

class WebAuth {
 public:
  WebAuth(OneStopOffice& office, const WebConfig& config);

  // Argon2id (config's memory and passes, one lane, 16-byte random salt, 32-byte hash) as a PHC string.
  std::string hash_password(const std::string& password) const;
  // Constant time in the password; a malformed hash is a mismatch. Without a hash (no such account), the time of
  // a real check is still spent, so an answer does not tell whether the account exists.
  bool verify_password(const std::optional<std::string>& hash, const std::string& password) const;

  // Opens a session for `username`: the cookie value (shown once) and the stored session.
  std::pair<std::string, WebSession> open(const std::string& username);
  // The session cookie's value in the request, if any.
  static std::optional<std::string> cookie(const bus::HttpRequest& r);
  // The account of the request's session cookie, checked: 401 kUnauthenticated (none, unknown), 401
  // kSessionExpired (idle or too old: the session ends), 403 kCsrf (a change without the session's CSRF token).
  std::pair<Actor, WebSession> session_actor(const bus::HttpRequest& r, bool changes);
  // {"user", "csrf", "expires_at"}.
  nlohmann::json answer(const Actor& a, const WebSession& s) const;
  TimePoint expires_at(const WebSession& s) const;
  std::string set_cookie(const std::string& value) const;
  static std::string clear_cookie();
  static bool changes(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

  std::chrono::seconds idle() const { return idle_; }
  std::chrono::seconds max_age() const { return max_age_; }
  ResultGuard& signin_guard() { return signin_guard_; }
  ResultGuard& signup_guard() { return signup_guard_; }
  const WebConfig& config() const { return config_; }

 private:
  OneStopOffice& office_;
  WebConfig config_;
  std::chrono::seconds idle_, max_age_;
  ResultGuard signin_guard_, signup_guard_;
  std::string dummy_hash_;
};

}  // namespace lgsp::onestop
