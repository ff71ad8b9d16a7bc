#include "username_token.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/contracts/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lgsp::adapters::soap {
namespace {

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool digits(const std::string& s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

UserStore UserStore::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the users file " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > 16 * 1024 * 1024) throw std::runtime_error(file.string() + ": larger than 16 MiB");
  return parse(s.str(), file.string());
}

UserStore UserStore::parse(const std::string& text, const std::string& where) {
  UserStore store;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    const std::string at = where + ":" + std::to_string(number);
    if (colon == std::string::npos || colon == 0) throw std::runtime_error(at + ": expected name:password");
    const std::string name = line.substr(0, colon);
    std::string password = line.substr(colon + 1);
    if (name.size() > 256) throw std::runtime_error(at + ": a user name longer than 256 bytes");
    if (password.empty()) throw std::runtime_error(at + ": an empty password");
    Entry entry;
    constexpr std::string_view kHashed = "{SHA256}";
    if (password.rfind(kHashed, 0) == 0) {
      entry.sha256_hex = password.substr(kHashed.size());
      for (auto& c : entry.sha256_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (entry.sha256_hex.size() != 64 || entry.sha256_hex.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw std::runtime_error(at + ": {SHA256} must be followed by 64 hex digits");
    } else {
      entry.secret = password;
      entry.sha256_hex = bus::sha256_hex(password);
    }
    if (!store.users_.emplace(name, std::move(entry)).second)
      throw std::runtime_error(at + ": user " + name + " is listed twice");
  }
  return store;
}

const UserStore::Entry* UserStore::find(const std::string& name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_datetime(const std::string& s) {
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s.size() > 40 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || s[10] != 'T' || !digits(s, 11, 2, hour) || s[13] != ':' ||
      !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // No honest Created time is before 1970, and a year the clock cannot hold would overflow it.
  if (year < 1970 || !bus::clock_holds_year(year)) return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t from = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == from) return std::nullopt;
  }
  int offset_minutes = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 14 ||
        om > 59)
      return std::nullopt;
    offset_minutes = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;  // a time without a zone is local to someone: refused
  }
  if (i != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t) - std::chrono::minutes(offset_minutes);
}

std::optional<std::string> password_digest(const std::string& nonce_b64, const std::string& created,
                                           const std::string& password) {
  auto nonce = contracts::base64_decode(nonce_b64);
  if (!nonce) return std::nullopt;
  const std::string input = *nonce + created + password;
  unsigned char sha1[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), sha1);
  return contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(sha1), sizeof sha1));
}

UsernameTokenVerifier::UsernameTokenVerifier(UserStore users, TokenPolicy policy)
    : users_(std::move(users)), policy_(policy) {}

std::size_t UsernameTokenVerifier::remembered_nonces() const {
  std::lock_guard lock(mutex_);
  return nonces_.size();
}

std::optional<std::string> UsernameTokenVerifier::verify(const UsernameTokenFields& token,
                                                         std::chrono::system_clock::time_point now) {
  constexpr const char* kWrong = "unknown user or wrong password";
  if (token.digest && !policy_.allow_digest) return "PasswordDigest is not accepted here";
  if (!token.digest && !policy_.allow_text) return "PasswordText is not accepted here (use PasswordDigest)";
  if (token.digest && (token.nonce.empty() || token.created.empty()))
    return "a PasswordDigest needs a Nonce and a Created";
  if (!token.created.empty()) {
    auto created = parse_utc_datetime(token.created);
    if (!created) return "Created is not an xsd:dateTime with a time zone";
    if (*created > now + policy_.window || *created < now - policy_.window)
      return "Created is more than " + std::to_string(policy_.window.count()) + " s away from the server's time";
  }
  if (!token.nonce.empty()) {
    auto raw = contracts::base64_decode(token.nonce);
    if (!raw || raw->empty() || raw->size() > 128) return "the Nonce is not 1 to 128 bytes in base64";
  }
  const UserStore::Entry* user = users_.find(token.username);
  bool ok = false;
  if (token.digest) {
    if (user && !user->secret.empty()) {
      auto expected = password_digest(token.nonce, token.created, user->secret);
      ok = expected && equal_constant_time(*expected, token.password);
    }
  } else if (user) {
    ok = equal_constant_time(bus::sha256_hex(token.password), user->sha256_hex);
  }
  if (!ok) return kWrong;
  // Spent only once the password is right, so only a real user can fill the cache.
  if (!token.nonce.empty() && !token.created.empty()) {
    std::lock_guard lock(mutex_);
    if (now >= next_sweep_ || nonces_.size() >= policy_.max_nonces) {
      for (auto it = nonces_.begin(); it != nonces_.end();) it = it->second <= now ? nonces_.erase(it) : std::next(it);
      next_sweep_ = now + std::chrono::seconds(1);
    }
    const std::string key = token.username + '\n' + token.nonce;
    auto it = nonces_.find(key);
    if (it != nonces_.end() && it->second > now) return "this Nonce was already used";
    if (nonces_.size() >= policy_.max_nonces) return "too many recent nonces: try again shortly";
    // A nonce must be kept for as long as its Created stays acceptable: up to `window` after Created,
    // which is at most `window` after now.
    nonces_[key] = now + 2 * policy_.window;
  }
  return std::nullopt;
}

}  // namespace lgsp::adapters::soap
