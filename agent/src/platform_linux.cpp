// Linux (freedesktop) specifics of the agent: the XDG config location, the usual PKCS#11 module paths, the
// pinentry alternative. A Windows or macOS port replaces this file only.
#include "lgsp/agent/platform.hpp"

#include <cstdlib>
#include <system_error>

namespace lgsp::agent::platform {
namespace fs = std::filesystem;

std::optional<fs::path> default_config_file() {
  fs::path dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') {
    dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home == '/') {
    dir = fs::path(home) / ".config";
  } else {
    return std::nullopt;
  }
  auto file = dir / "lgsp" / "agent.toml";
  std::error_code ec;
  if (fs::is_regular_file(file, ec)) return file;
  return std::nullopt;
}

std::vector<fs::path> default_modules() {
  // Vendor modules of the tokens Vietnamese CAs issue (SafeNet/eToken for VNPT-CA and Viettel-CA, BKAV's and
  // VGCA's builds of the same chips), then OpenSC for smart cards and national ID chips it supports.
  static const char* const kCandidates[] = {
      "/usr/lib/libeTPkcs11.so",
      "/usr/lib/libIDPrimePKCS11.so",
      "/usr/lib/x86_64-linux-gnu/libeTPkcs11.so",
      "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
      "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
  };
  std::vector<fs::path> out;
  for (const char* c : kCandidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) out.emplace_back(c);
  }
  return out;
}

// Debian's alternative points at the desktop's pinentry (gnome3, qt) or at pinentry-curses.
fs::path default_pinentry() { return "/usr/bin/pinentry"; }

}  // namespace lgsp::agent::platform
