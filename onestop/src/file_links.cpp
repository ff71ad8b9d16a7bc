#include "lgsp/onestop/file_links.hpp"

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace lgsp::onestop {
namespace fs = std::filesystem;

namespace {

bool is_hex(const std::string& s, std::size_t size) {
  return s.size() == size &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

const char* kKeyName = "agency.file_link_key";

}  // namespace

FileLinks FileLinks::open(const fs::path& key_file) {
  // Created exclusively with mode 600: two processes opening a new data folder at once keep one key.
  int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string key = bus::random_hex(32) + "\n";
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      fs::remove(key_file);
      throw bus::ConfigError(kKeyName, "cannot write " + key_file.string() + ": " + std::strerror(errno));
    }
  } else if (errno != EEXIST) {
    throw bus::ConfigError(kKeyName, "cannot create " + key_file.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0)
    throw bus::ConfigError(kKeyName, "cannot read " + key_file.string() + ": " + std::strerror(errno));
  if (st.st_mode & 077)
    throw bus::ConfigError(
        kKeyName, key_file.string() + " (the key that signs file links) may be read by other users: chmod 600 it");
  std::ifstream in(key_file);
  std::string key;
  std::getline(in, key);
  if (!is_hex(key, 64)) throw bus::ConfigError(kKeyName, key_file.string() + " does not hold 64 hex digits");
  return FileLinks(key);
}

std::string FileLinks::signature(const std::string& sha256, const std::string& expires) const {
  const std::string message = "lgsp-file-link-v1\n" + sha256 + "\n" + expires;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size))
    throw std::runtime_error("HMAC-SHA256 failed");
  return to_hex(mac, size);
}

std::string FileLinks::url(const std::string& public_url, const std::string& sha256, TimePoint expires) const {
  const std::string e =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count());
  return public_url + "/onestop/v1/public/files/" + sha256 + "?expires=" + e + "&sig=" + signature(sha256, e);
}

FileLinks::Check FileLinks::check(const std::string& sha256, const std::string& expires, const std::string& sig,
                                  TimePoint now) const {
  if (!is_hex(sha256, 64) || !is_hex(sig, 64) || expires.empty() || expires.size() > 12 ||
      !std::all_of(expires.begin(), expires.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Check::kMalformed;
  const std::string expected = signature(sha256, expires);
  if (CRYPTO_memcmp(expected.data(), sig.data(), expected.size()) != 0) return Check::kBadSignature;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (std::stoll(expires) <= seconds) return Check::kExpired;
  return Check::kValid;
}

}  // namespace lgsp::onestop
