#include "lgsp/bus/config.hpp"

#include "lgsp/bus/pg_store.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <vector>

extern char** environ;

namespace lgsp::bus {
namespace fs = std::filesystem;

std::string HostPort::to_string() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

HostPort HostPort::parse(const std::string& text, const std::string& key) {
  auto bad = [&] { return ConfigError(key, "must be HOST:PORT, got '" + text + "'"); };
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') throw bad();
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) throw bad();
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  // Allow-list the host's characters: a name, an IPv4 address or (bracketed) an IPv6 address with an optional
  // zone. Anything else ("[[x]:1", spaces, '@', '/') is a typo or an attack on whatever reads the value later.
  auto host_char = [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
  };
  if (!std::all_of(host.begin(), host.end(), host_char) || host.size() > 253) throw bad();
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535)
    throw bad();
  return HostPort{host, static_cast<std::uint16_t>(port)};
}

bool HostPort::is_loopback() const {
  if (host == "localhost" || host == "::1") return true;
  return host.rfind("127.", 0) == 0;
}

namespace {

// A value as read from the file or the environment, before it is checked.
struct RawValue {
  std::optional<std::int64_t> integer;
  std::optional<std::string> text;
};

// One configuration key: its name, how to apply a raw value, and where the text for errors comes from.
struct KeySpec {
  std::string name;  // "section.key"
  std::function<void(Config&, const RawValue&, const fs::path& base_dir, const std::string& where)> apply;
};

std::string env_name(const std::string& key) {
  std::string out = "LGSP_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::int64_t need_integer(const RawValue& raw, const std::string& where, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  if (raw.integer) {
    v = *raw.integer;
  } else if (raw.text) {
    const std::string& t = *raw.text;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
      throw ConfigError(where, "must be an integer, got '" + t + "'");
  } else {
    throw ConfigError(where, "must be an integer");
  }
  if (v < min || v > max)
    throw ConfigError(
        where, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(v));
  return v;
}

const std::string& need_text(const RawValue& raw, const std::string& where) {
  if (!raw.text) throw ConfigError(where, "must be a string");
  return *raw.text;
}

fs::path resolve(const std::string& text, const fs::path& base_dir) {
  fs::path p(text);
  if (p.empty() || p.is_absolute()) return p;
  return (base_dir / p).lexically_normal();
}

void check_postgresql_url(const std::string& url, const std::string& where) {
  if (auto problem = postgresql_url_problem(url)) throw ConfigError(where, *problem);
}

KeySpec integer_key(std::string name, std::int64_t min, std::int64_t max,
                    std::function<void(Config&, std::int64_t)> set) {
  return {std::move(name), [min, max, set](Config& c, const RawValue& raw, const fs::path&, const std::string& w) {
            set(c, need_integer(raw, w, min, max));
          }};
}

KeySpec path_key(std::string name, std::function<void(Config&, fs::path)> set) {
  return {std::move(name), [set](Config& c, const RawValue& raw, const fs::path& base, const std::string& w) {
            set(c, resolve(need_text(raw, w), base));
          }};
}

KeySpec bool_key(std::string name, std::function<void(Config&, bool)> set) {
  return {std::move(name), [set](Config& c, const RawValue& raw, const fs::path&, const std::string& w) {
            const auto& t = need_text(raw, w);
            if (t != "true" && t != "false") throw ConfigError(w, "must be true or false, got '" + t + "'");
            set(c, t == "true");
          }};
}

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"server.listen", [](Config& c, const RawValue& r, const fs::path&,
                           const std::string& w) { c.server.listen = HostPort::parse(need_text(r, w), w); }},
      integer_key("server.threads", 0, 256,
                  [](Config& c, std::int64_t v) { c.server.threads = static_cast<unsigned>(v); }),
      integer_key("server.max_body_bytes", 1, std::int64_t{1} << 32,
                  [](Config& c, std::int64_t v) { c.server.max_body_bytes = static_cast<std::uint64_t>(v); }),
      integer_key("server.max_header_bytes", 1024, 1024 * 1024,
                  [](Config& c, std::int64_t v) { c.server.max_header_bytes = static_cast<std::uint32_t>(v); }),
      integer_key("server.request_timeout_seconds", 1, 3600,
                  [](Config& c, std::int64_t v) { c.server.request_timeout_seconds = static_cast<unsigned>(v); }),
      integer_key("server.drain_timeout_seconds", 0, 3600,
                  [](Config& c, std::int64_t v) { c.server.drain_timeout_seconds = static_cast<unsigned>(v); }),
      integer_key("server.max_connections_per_source", 0, 1000000,
                  [](Config& c, std::int64_t v) { c.server.max_connections_per_source = static_cast<unsigned>(v); }),
      {"admin.listen",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t.empty()) {
           c.admin.listen.reset();
           return;
         }
         c.admin.listen = HostPort::parse(t, w);
       }},
      bool_key("signing.enabled", [](Config& c, bool v) { c.signing.enabled = v; }),
      path_key("signing.module", [](Config& c, fs::path p) { c.signing.module = std::move(p); }),
      {"signing.token",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t.empty()) throw ConfigError(w, "must not be empty");
         c.signing.token = t;
       }},
      {"signing.key_id",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& id = need_text(r, w);
         if (id.size() % 2 != 0 || id.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
           throw ConfigError(w, "must be the key's CKA_ID in hex (an even number of hex digits), got '" + id + "'");
         c.signing.key_id = id;
       }},
      path_key("signing.ca_chain", [](Config& c, fs::path p) { c.signing.ca_chain = std::move(p); }),
      integer_key("signing.batch_window_ms", 0, 1000,
                  [](Config& c, std::int64_t v) { c.signing.batch_window_ms = static_cast<unsigned>(v); }),
      integer_key("signing.call_batch_window_us", 0, 100000,
                  [](Config& c, std::int64_t v) { c.signing.call_batch_window_us = static_cast<unsigned>(v); }),
      integer_key("signing.batch_max", 1, 100000,
                  [](Config& c, std::int64_t v) { c.signing.batch_max = static_cast<unsigned>(v); }),
      {"signing.tsa_url", [](Config& c, const RawValue& r, const fs::path&,
                             const std::string& w) { c.signing.tsa_url = need_text(r, w); }},
      integer_key("signing.timestamp_every_seconds", 1, 86400,
                  [](Config& c, std::int64_t v) { c.signing.timestamp_every_seconds = static_cast<unsigned>(v); }),
      integer_key("signing.head_seal_every_seconds", 1, 86400,
                  [](Config& c, std::int64_t v) { c.signing.head_seal_every_seconds = static_cast<unsigned>(v); }),
      path_key("tls.certificate", [](Config& c, fs::path p) { c.tls.certificate = std::move(p); }),
      path_key("tls.private_key", [](Config& c, fs::path p) { c.tls.private_key = std::move(p); }),
      path_key("tls.client_ca", [](Config& c, fs::path p) { c.tls.client_ca = std::move(p); }),
      path_key("tls.peer_ca", [](Config& c, fs::path p) { c.tls.peer_ca = std::move(p); }),
      bool_key("tls.require_client_certificate", [](Config& c, bool v) { c.tls.require_client_certificate = v; }),
      {"store.data_dir",
       [](Config& c, const RawValue& r, const fs::path& base, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t.empty()) throw ConfigError(w, "must not be empty");
         c.store.data_dir = resolve(t, base);
       }},
      {"store.backend",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t == "sqlite")
           c.store.backend = StoreBackendKind::sqlite;
         else if (t == "postgresql")
           c.store.backend = StoreBackendKind::postgresql;
         else
           throw ConfigError(w, "must be \"sqlite\" or \"postgresql\", got '" + t.substr(0, 64) + "'");
       }},
      {"store.postgresql_url",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         check_postgresql_url(t, w);
         c.store.postgresql_url = t;
       }},
      path_key("store.postgresql_password_file",
               [](Config& c, fs::path p) { c.store.postgresql_password_file = std::move(p); }),
      integer_key("store.pool_size", 1, 256, [](Config& c, std::int64_t v) { c.store.pool_size = static_cast<unsigned>(v); }),
      integer_key("store.group_commit_max_rows", 1, 100000,
                  [](Config& c, std::int64_t v) { c.store.group_commit_max_rows = static_cast<unsigned>(v); }),
      integer_key("store.group_commit_max_delay_ms", 0, 1000,
                  [](Config& c, std::int64_t v) { c.store.group_commit_max_delay_ms = static_cast<unsigned>(v); }),
      integer_key("delivery.max_in_flight", 1, 100000,
                  [](Config& c, std::int64_t v) { c.delivery.max_in_flight = static_cast<unsigned>(v); }),
      integer_key("delivery.poll_interval_ms", 10, 60000,
                  [](Config& c, std::int64_t v) { c.delivery.poll_interval_ms = static_cast<unsigned>(v); }),
      integer_key("delivery.lease_seconds", 1, 86400,
                  [](Config& c, std::int64_t v) { c.delivery.lease_seconds = static_cast<unsigned>(v); }),
      {"node.id",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         // Stored in every claim and shown in logs: short, and only characters that need no quoting.
         if (t.empty() || t.size() > 64 || t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                               "0123456789.-_:") != std::string::npos)
           throw ConfigError(w, "must be 1 to 64 characters of A-Z a-z 0-9 . - _ :");
         c.node.id = t;
       }},
      integer_key("events.sample_per_code_per_minute", 0, 100000,
                  [](Config& c, std::int64_t v) { c.events.sample_per_code_per_minute = static_cast<unsigned>(v); }),
      integer_key("events.sample_per_minute", 0, 1000000,
                  [](Config& c, std::int64_t v) { c.events.sample_per_minute = static_cast<unsigned>(v); }),
      integer_key("events.max_value_bytes", 16, 16384,
                  [](Config& c, std::int64_t v) { c.events.max_value_bytes = static_cast<unsigned>(v); }),
      integer_key("events.max_rows", 1, 100000000,
                  [](Config& c, std::int64_t v) { c.events.max_rows = static_cast<unsigned>(v); }),
      integer_key("events.max_age_hours", 1, 24 * 3660,
                  [](Config& c, std::int64_t v) { c.events.max_age_hours = static_cast<unsigned>(v); }),
      {"log.level",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
         const auto& t = need_text(r, w);
         if (std::find(levels.begin(), levels.end(), t) == levels.end())
           throw ConfigError(w, "must be one of trace, debug, info, warn, error, critical, off, got '" + t + "'");
         c.log.level = t;
       }},
      {"contracts.dir",
       [](Config& c, const RawValue& r, const fs::path& base, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t.empty()) throw ConfigError(w, "must not be empty");
         c.contracts.dir = resolve(t, base);
       }},
      {"edxml.trust",
       [](Config& c, const RawValue& r, const fs::path& base, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t.empty()) throw ConfigError(w, "must not be empty");
         c.edxml.trust = resolve(t, base);
       }},
      {"edxml.revocation",
       [](Config& c, const RawValue& r, const fs::path&, const std::string& w) {
         const auto& t = need_text(r, w);
         if (t != "ocsp" && t != "none") throw ConfigError(w, "must be ocsp or none, got '" + t + "'");
         c.edxml.revocation = t;
       }},
      integer_key("limits.max_document_bytes", 1024, std::int64_t{1} << 32,
                  [](Config& c, std::int64_t v) { c.limits.max_document_bytes = static_cast<std::size_t>(v); }),
      integer_key("limits.max_depth", 4, 10000,
                  [](Config& c, std::int64_t v) { c.limits.max_depth = static_cast<unsigned>(v); }),
      // libxml2 checks the attributes of one element pairwise: 1,024 per element keep a 16 MiB document within
      // seconds of CPU, 100,000 cost half a minute for 1 MB (docs/contracts.md, safe parsing).
      integer_key("limits.max_attributes", 1, 1024,
                  [](Config& c, std::int64_t v) { c.limits.max_attributes = static_cast<unsigned>(v); }),
      integer_key("limits.max_members", 1, 10000000,
                  [](Config& c, std::int64_t v) { c.limits.max_members = static_cast<unsigned>(v); }),
      integer_key("limits.max_text_bytes", 1, std::int64_t{1} << 32,
                  [](Config& c, std::int64_t v) { c.limits.max_text_bytes = static_cast<std::size_t>(v); }),
      {"log.file", [](Config& c, const RawValue& r, const fs::path& base,
                      const std::string& w) { c.log.file = resolve(need_text(r, w), base); }},
  };
  return specs;
}

const KeySpec* find_spec(const std::string& name) {
  for (const auto& s : key_specs())
    if (s.name == name) return &s;
  return nullptr;
}

RawValue raw_from_toml(const toml::node& node) {
  RawValue raw;
  if (auto i = node.value<std::int64_t>(); i && node.is_integer()) raw.integer = *i;
  if (node.is_string()) raw.text = *node.value<std::string>();
  if (node.is_boolean()) raw.text = *node.value<bool>() ? "true" : "false";
  return raw;
}

void apply_file(Config& config, const fs::path& file) {
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
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const toml::table* table = section_node.as_table();
    if (!table) {
      throw ConfigError(what, find_spec(section) ? "key '" + section + "' must be inside a section"
                                                 : "unknown key '" + section + "'");
    }
    for (auto&& [key, node] : *table) {
      const std::string name = section + "." + std::string(key.str());
      const KeySpec* spec = find_spec(name);
      if (!spec && name == "signing.pin")
        throw ConfigError(what,
                          "'signing.pin' is not read from a file (it would end up in backups and "
                          "repositories): set LGSP_PIN in the node's environment");
      if (!spec) throw ConfigError(what, "unknown key '" + name + "'");
      try {
        spec->apply(config, raw_from_toml(node), base, name);
      } catch (const ConfigError& e) {
        // Re-anchor "<key> : <why>" under the file: "config F : key 'k' <why>".
        std::string msg = e.what();
        auto sep = msg.find(" : ");
        throw ConfigError(what, "key '" + name + "' " + msg.substr(sep + 3));
      }
    }
  }
}

}  // namespace

std::map<std::string, std::string> Config::process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && entry.rfind("LGSP_", 0) == 0) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Config Config::load(const std::optional<fs::path>& file, const std::map<std::string, std::string>& environment) {
  Config config;
  config.store.data_dir = fs::current_path() / "var";
  if (file) {
    apply_file(config, *file);
    config.source_file = fs::absolute(*file).lexically_normal();
  }
  // Only names that map to a key are read: other LGSP_* variables (LGSP_PIN, ...) belong to other parts.
  for (const auto& spec : key_specs()) {
    const std::string name = env_name(spec.name);
    auto it = environment.find(name);
    if (it == environment.end()) continue;
    RawValue raw;
    raw.text = it->second;
    spec.apply(config, raw, fs::current_path(), "environment " + name);
  }
  // hsm-sim's env (and a real deployment's) names the module once for every tool.
  if (config.signing.module.empty()) {
    auto it = environment.find("LGSP_PKCS11_MODULE");
    if (it != environment.end()) config.signing.module = it->second;
  }
  config.validate();
  return config;
}

void Config::validate() const {
  if (server.max_body_bytes < 1) throw ConfigError("config", "server.max_body_bytes must be at least 1");
  if (store.data_dir.empty()) throw ConfigError("config", "store.data_dir must not be empty");
  if (store.backend == StoreBackendKind::postgresql && store.postgresql_url.empty())
    throw ConfigError("config", "store.backend = \"postgresql\" needs store.postgresql_url");
  if (tls.enabled() != !tls.private_key.empty())
    throw ConfigError("config", "tls.certificate and tls.private_key go together");
  if (!tls.enabled() && !tls.client_ca.empty())
    throw ConfigError("config", "tls.client_ca needs tls.certificate and tls.private_key");
  if (tls.require_client_certificate && tls.client_ca.empty())
    throw ConfigError("config", "tls.require_client_certificate needs tls.client_ca");
  if (admin.listen && !admin.listen->is_loopback())
    throw ConfigError("admin.listen " + admin.listen->to_string(),
                      "the admin API is served on loopback only (reach it over SSH or a local proxy)");
  if (!tls.enabled() && !server.listen.is_loopback())
    throw ConfigError("server.listen " + server.listen.to_string(),
                      "plain HTTP is allowed only on loopback; set tls.certificate and tls.private_key");
}

}  // namespace lgsp::bus

namespace lgsp::bus {

std::string Config::node_id() const {
  if (!node.id.empty()) return node.id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  // Two nodes on one host differ by port; on different hosts by name.
  return std::string(host).substr(0, 48) + ":" + std::to_string(server.listen.port);
}

}  // namespace lgsp::bus
