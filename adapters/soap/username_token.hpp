// WS-Security UsernameToken (OASIS Username Token Profile 1.0) for legacy clients that have no client
// certificate: PasswordText, and PasswordDigest = Base64(SHA-1(nonce + created + password)) with Created
// within a window of now and each nonce accepted once within that window (a bounded cache).
#pragma once

#include "soap_envelope.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace lgsp::adapters::soap {

// The users file, never the config text: one `name:password` per line (the password as a secret: needed for
// PasswordDigest), or `name:{SHA256}<hex of SHA-256(password)>` (PasswordText only: a digest cannot be checked
// against a hash). Empty lines and lines starting with '#' are skipped.
class UserStore {
 public:
  // Throws std::runtime_error naming the file and line.
  static UserStore load(const std::filesystem::path& file);
  static UserStore parse(const std::string& text, const std::string& where);
  std::size_t size() const { return users_.size(); }

  struct Entry {
    std::string secret;      // empty when only the hash is known
    std::string sha256_hex;  // lower-case hex of SHA-256(password)
  };
  const Entry* find(const std::string& name) const;

 private:
  std::map<std::string, Entry> users_;
};

struct TokenPolicy {
  std::chrono::seconds window{300};  // |now - Created| at most this; nonces remembered this long
  bool allow_text = true;
  bool allow_digest = true;
  std::size_t max_nonces = 100000;  // nonces remembered at once; when full, digests are refused until some expire
};

class UsernameTokenVerifier {
 public:
  UsernameTokenVerifier(UserStore users, TokenPolicy policy);
  // nullopt: accepted (then the nonce is spent). Otherwise why not, for the fault's detail: it never says
  // whether the user exists. Thread-safe.
  std::optional<std::string> verify(const UsernameTokenFields& token, std::chrono::system_clock::time_point now);
  std::size_t remembered_nonces() const;

 private:
  UserStore users_;
  TokenPolicy policy_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::system_clock::time_point> nonces_;  // nonce -> forget after
  std::chrono::system_clock::time_point next_sweep_{};
};

// xsd:dateTime in UTC ("2026-12-04T20:00:00Z", fractions and a +hh:mm offset accepted); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_utc_datetime(const std::string& text);
// Base64(SHA-1(nonce + created + password)), the nonce given base64-encoded; nullopt when it is not base64.
std::optional<std::string> password_digest(const std::string& nonce_b64, const std::string& created,
                                           const std::string& password);

}  // namespace lgsp::adapters::soap
