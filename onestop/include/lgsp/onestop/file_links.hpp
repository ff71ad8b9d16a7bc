// Expiring signed links to dossier files, for readers that have no account: the national portal fetching the
// documents of the records in the portal outbox, another agency fetching the documents of a step sent to it.
// A link is <public_url>/onestop/v1/public/files/<sha256>?expires=<unix seconds>&sig=<hex>, where sig is
// HMAC-SHA256 over ("lgsp-file-link-v1", sha256, expires) with the office's own key, kept in its data folder.
#pragma once

#include "lgsp/onestop/local_time.hpp"

#include <filesystem>
#include <string>

namespace lgsp::onestop {

class FileLinks {
 public:
  // Reads the key from `key_file`, creating it on first use (32 random bytes as hex, mode 600). Throws
  // bus::ConfigError when it cannot be read or created, is malformed, or other users may read it.
  static FileLinks open(const std::filesystem::path& key_file);
  // A key given directly (tests).
  explicit FileLinks(std::string key) : key_(std::move(key)) {}

  // The link to `sha256` valid until `expires` (whole seconds).
  std::string url(const std::string& public_url, const std::string& sha256, TimePoint expires) const;

  enum class Check { kValid, kMalformed, kBadSignature, kExpired };
  // Checks a link's parts: the signature first (compared in constant time), then the expiry against `now`.
  Check check(const std::string& sha256, const std::string& expires, const std::string& sig, TimePoint now) const;

 private:
  std::string signature(const std::string& sha256, const std::string& expires) const;
  std::string key_;
};

}  // namespace lgsp::onestop
