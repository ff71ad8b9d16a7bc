#include "web_auth.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/onestop/passwords.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace lgsp::onestop {
using nlohmann::json;

json me_json(const Actor& a) {
  return {{"username", a.username},     {"name", a.name}, {"title", a.title},
          {"role", to_string(a.role)},  {"unit", a.unit}, {"customer_code", a.customer_code},
          {"scope", to_string(a.scope)}};
}

std::optional<std::string> normalise_phone(const std::string& text) {
  if (text.size() > 32) return std::nullopt;
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c == '+' && i == 0)
      continue;
    else if (c != ' ' && c != '.' && c != '-')
      return std::nullopt;
  }
  if (text.rfind("+84", 0) == 0 || (digits.size() == 11 && digits.rfind("84", 0) == 0)) {
    if (digits.rfind("84", 0) != 0) return std::nullopt;
    digits = "0" + digits.substr(2);
  } else if (!text.empty() && text[0] == '+') {
    return std::nullopt;
  }
  // Vietnamese mobile numbers: 0 then 3, 5, 7, 8 or 9, ten digits in all.
  if (digits.size() != 10 || digits[0] != '0' || std::string("35789").find(digits[1]) == std::string::npos)
    return std::nullopt;
  return digits;
}

namespace {
LookupConfig signin_limits(const WebConfig& c) {
  LookupConfig l;
  l.max_failures = c.signin_max_failures;
  l.window_seconds = c.signin_window_seconds;
  l.dossier_max_failures = c.account_max_failures;
  l.dossier_window_seconds = c.signin_window_seconds;
  return l;
}
LookupConfig signup_limits(const WebConfig& c) {
  LookupConfig l;
  l.max_failures = c.signups_per_source;
  l.window_seconds = c.signin_window_seconds;
  l.dossier_max_failures = 1000000;
  l.dossier_window_seconds = c.signin_window_seconds;
  return l;
}
std::string random_token(std::size_t bytes) { return bus::random_hex(bytes); }
}  // namespace

WebAuth::WebAuth(OneStopOffice& office, const WebConfig& config)
    : office_(office),
      config_(config),
      idle_(config.session_idle_seconds ? std::chrono::seconds(config.session_idle_seconds)
                                        : std::chrono::seconds(config.session_idle_minutes * 60)),
      max_age_(std::chrono::hours(config.session_max_hours)),
      signin_guard_(signin_limits(config)),
      signup_guard_(signup_limits(config)) {
  dummy_hash_ = hash_password(random_token(16));
}

std::string hash_password(const std::string& password, const WebConfig& config) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no randomness for a password salt");
  std::size_t length =
      argon2_encodedlen(config.argon2_iterations, config.argon2_memory_kib, 1, sizeof salt, 32, Argon2_id);
  std::string encoded(length, '\0');
  int rc = argon2id_hash_encoded(config.argon2_iterations, config.argon2_memory_kib, 1, password.data(),
                                 password.size(), salt, sizeof salt, 32, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  if (auto nul = encoded.find('\0'); nul != std::string::npos) encoded.resize(nul);
  return encoded;
}

bool password_matches(const std::string& hash, const std::string& password) {
  return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;  // constant-time compare
}

std::string password_problem(const std::string& password) {
  std::size_t chars = 0;
  for (unsigned char ch : password)
    if ((ch & 0xC0) != 0x80) ++chars;
  if (chars < 8 || chars > 128 || password.size() > 512) return "a password has 8 to 128 characters";
  return {};
}

std::string WebAuth::hash_password(const std::string& password) const {
  return onestop::hash_password(password, config_);
}

bool WebAuth::verify_password(const std::optional<std::string>& hash, const std::string& password) const {
  bool ok = password_matches(hash ? *hash : dummy_hash_, password);
  return ok && hash.has_value();
}

std::pair<std::string, WebSession> WebAuth::open(const std::string& username) {
  std::string value = random_token(32);  // 256 bits
  WebSession s;
  s.id_sha256 = bus::sha256_hex(value);
  s.username = username;
  s.csrf = random_token(32);
  s.created_at = s.last_seen_at = office_.now();
  office_.open_session(s, static_cast<int>(config_.max_sessions_per_account));
  return {value, s};
}

std::optional<std::string> WebAuth::cookie(const bus::HttpRequest& r) {
  auto header = r.header("cookie");
  if (!header) return std::nullopt;
  const std::string& h = *header;
  std::size_t at = 0;
  while (at < h.size()) {
    auto semi = h.find(';', at);
    if (semi == std::string::npos) semi = h.size();
    std::string_view part(h.data() + at, semi - at);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == kSessionCookie) {
      auto v = part.substr(eq + 1);
      if (v.size() == 64) return std::string(v);
      return std::string();  // present but malformed: an unknown session
    }
    at = semi + 1;
  }
  return std::nullopt;
}

TimePoint WebAuth::expires_at(const WebSession& s) const {
  return std::min(s.last_seen_at + idle_, s.created_at + max_age_);
}

std::pair<Actor, WebSession> WebAuth::session_actor(const bus::HttpRequest& r, bool changes_something) {
  auto value = cookie(r);
  if (!value) throw OnestopError(errors::kUnauthenticated, "sign in, or send Authorization: Bearer <token>");
  auto s = value->empty() ? std::nullopt : office_.web_session(bus::sha256_hex(*value));
  if (!s) throw OnestopError(errors::kUnauthenticated, "the session is not known (signed out?): sign in again");
  TimePoint t = office_.now();
  if (t >= expires_at(*s)) {
    office_.end_session(s->id_sha256);
    throw OnestopError(errors::kSessionExpired, "the session has expired: sign in again");
  }
  auto a = office_.actor_of(s->username);
  if (!a) {
    office_.end_session(s->id_sha256);
    throw OnestopError(errors::kUnauthenticated, "the account of this session is gone");
  }
  if (changes_something) {
    auto sent = r.header("x-csrf-token").value_or("");
    if (sent.size() != s->csrf.size() || CRYPTO_memcmp(sent.data(), s->csrf.data(), sent.size()) != 0)
      throw OnestopError(errors::kCsrf, sent.empty() ? "send the session's X-CSRF-Token with every change"
                                                     : "X-CSRF-Token is not this session's");
  }
  // Seen now: written at most every quarter of the idle limit (and every 15 s at most), not on every request.
  auto every = std::min<std::chrono::seconds>(idle_ / 4, std::chrono::seconds(15));
  if (t - s->last_seen_at >= every) {
    office_.touch_session(s->id_sha256);
    s->last_seen_at = t;
  }
  return {*a, *s};
}

json WebAuth::answer(const Actor& a, const WebSession& s) const {
  return {{"user", me_json(a)}, {"csrf", s.csrf}, {"expires_at", format_local_rfc3339(expires_at(s))}};
}

std::string WebAuth::set_cookie(const std::string& value) const {
  return std::string(kSessionCookie) + "=" + value +
         "; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age_.count());
}

std::string WebAuth::clear_cookie() {
  return std::string(kSessionCookie) + "=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0";
}

}  // namespace lgsp::onestop
