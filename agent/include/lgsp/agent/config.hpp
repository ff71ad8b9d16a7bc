// The agent's settings: defaults (platform.hpp) < the TOML file < command-line flags.
#pragma once

#include "lgsp/bus/config.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::agent {

using bus::ConfigError;

struct AgentConfig {
  bus::HostPort listen{"127.0.0.1", 8731};
  // Exact "scheme://host[:port]" values, as a browser sends them in Origin.
  std::vector<std::string> allow_origins;
  std::filesystem::path pinentry;
  std::vector<std::filesystem::path> modules;
  std::size_t max_batch = 200;

  // Reads FILE's keys (listen, allow_origin, pinentry, module, max_batch) over `this`. Unknown keys, tables and
  // wrong types are refused with a ConfigError naming the key.
  void apply_file(const std::filesystem::path& file);
  // Refuses a non-loopback listener, a malformed origin, no module, a max_batch out of 1..1000.
  void validate() const;
};

// "scheme://host[:port]" normalised the way a browser serialises an origin (lower-case scheme and host, no
// default port, no path); throws ConfigError naming `key` when `text` is not one.
std::string parse_origin(const std::string& text, const std::string& key);

}  // namespace lgsp::agent
