#include "lgsp/agent/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lgsp::agent {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string string_of(const toml::node& node, const std::string& key) {
  if (!node.is_string()) throw ConfigError(key, "must be a string");
  return *node.value<std::string>();
}

std::vector<std::string> strings_of(const toml::node& node, const std::string& key) {
  const toml::array* array = node.as_array();
  if (!array) throw ConfigError(key, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) out.push_back(string_of(item, key));
  return out;
}

// Relative paths in the file are relative to the file, so that a config works from any directory.
fs::path path_of(const toml::node& node, const std::string& key, const fs::path& base) {
  auto text = string_of(node, key);
  if (text.empty()) throw ConfigError(key, "must not be empty");
  fs::path p(text);
  return p.is_absolute() ? p : (base / p).lexically_normal();
}

}  // namespace

std::string parse_origin(const std::string& text, const std::string& key) {
  auto bad = [&](const std::string& why) {
    return ConfigError(key, "'" + text + "' is not an origin (scheme://host[:port]): " + why);
  };
  if (text.size() > 255) throw bad("longer than 255 characters");
  auto sep = text.find("://");
  if (sep == std::string::npos) throw bad("no scheme");
  std::string scheme = lower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") throw bad("the scheme must be http or https");
  std::string rest = text.substr(sep + 3);
  if (rest.empty()) throw bad("no host");
  for (char c : rest)
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == '*' || static_cast<unsigned char>(c) <= 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f)
      throw bad("only scheme, host and port (no path, user, wildcard or non-ASCII: write IDN hosts as xn--)");
  std::string host = rest;
  std::string port;
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      throw bad("the port must be 1..65535");
    port = std::to_string(std::stoul(port));
  }
  if (host.empty()) throw bad("no host");
  // As Web eID does: a page served over plain HTTP can be altered on its way, and its script would then ask
  // for signatures in the office's name. Plain HTTP only for a page on this very PC (development, tests).
  const std::string h = lower(host);
  if (scheme == "http" && h != "localhost" && h != "[::1]" && h.rfind("127.", 0) != 0)
    throw bad("use https (plain http only for a page on loopback)");
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  return scheme + "://" + lower(host) + (port.empty() ? "" : ":" + port);
}

void AgentConfig::apply_file(const fs::path& file) {
  const std::string what = "config " + file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(what, std::string("cannot read file: ") + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  toml::table root;
  try {
    root = toml::parse(buffer.str(), file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream why;
    why << "line " << e.source().begin.line << ", column " << e.source().begin.column << ": " << e.description();
    throw ConfigError(what, why.str());
  }
  const fs::path base = fs::absolute(file).parent_path();
  for (auto&& [key_node, node] : root) {
    const std::string key(key_node.str());
    try {
      if (key == "listen") {
        listen = bus::HostPort::parse(string_of(node, key), key);
      } else if (key == "allow_origin") {
        allow_origins.clear();
        for (const auto& o : strings_of(node, key)) allow_origins.push_back(parse_origin(o, key));
      } else if (key == "pinentry") {
        pinentry = path_of(node, key, base);
      } else if (key == "module") {
        modules.clear();
        const toml::array* array = node.as_array();
        if (!array) throw ConfigError(key, "must be an array of strings");
        for (const auto& item : *array) modules.push_back(path_of(item, key, base));
      } else if (key == "max_batch") {
        auto value = node.value<std::int64_t>();
        if (!node.is_integer() || !value) throw ConfigError(key, "must be an integer");
        if (*value < 1 || *value > 1000) throw ConfigError(key, "must be 1..1000");
        max_batch = static_cast<std::size_t>(*value);
      } else if (key == "pin") {
        throw ConfigError(key, "is never read: the agent asks the PIN through pinentry every time");
      } else {
        throw ConfigError(key, "unknown key (known: listen, allow_origin, pinentry, module, max_batch)");
      }
    } catch (const ConfigError& e) {
      std::string msg = e.what();
      auto sep = msg.find(" : ");
      throw ConfigError(what, "key '" + key + "' " + msg.substr(sep + 3));
    }
  }
}

void AgentConfig::validate() const {
  if (!listen.is_loopback() || listen.host == "localhost")
    throw ConfigError("listen " + listen.to_string(),
                      "the agent listens on a loopback address only (127.0.0.1 or [::1]): it signs with the "
                      "official's token and must never be reachable from the network");
  if (allow_origins.empty())
    throw ConfigError("allow_origin",
                      "no origin is allowed: give the one-stop office's web address "
                      "(--allow-origin https://motcua.example.gov.vn)");
  if (modules.empty()) throw ConfigError("module", "no PKCS#11 module: give the token vendor's module (--module PATH)");
  if (pinentry.empty()) throw ConfigError("pinentry", "no pinentry program (--pinentry PROGRAM)");
  if (max_batch < 1 || max_batch > 1000) throw ConfigError("max_batch", "must be 1..1000");
}

}  // namespace lgsp::agent
