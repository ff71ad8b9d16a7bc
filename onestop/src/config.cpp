#include "lgsp/onestop/config.hpp"

#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/pg_store.hpp"

#include <boost/asio/ip/address.hpp>

#include <toml++/toml.h>

#include <functional>
#include <regex>
#include <sstream>
#include <vector>

namespace lgsp::onestop {
namespace fs = std::filesystem;
using bus::ConfigError;

fs::path samples_dir() { return LGSP_ONESTOP_SAMPLES_DIR; }

namespace {

struct Key {
  std::string name;  // "section.key"
  std::function<void(OnestopConfig&, const std::string& value, const fs::path& base)> apply;
};

// Keys whose value is a TOML array of strings (comma-separated in the environment).
bool is_list_key(const std::string& name) { return name == "server.trusted_proxies" || name == "registry.procedures"; }

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    auto comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

unsigned to_unsigned(const std::string& key, const std::string& v, unsigned min, unsigned max) {
  std::size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty() || v[0] == '-' || n < min || n > max)
    throw ConfigError(
        key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + v + "'");
  return static_cast<unsigned>(n);
}

bool to_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw ConfigError(key, "must be true or false, got '" + v.substr(0, 32) + "'");
}

fs::path to_path(const std::string& v, const fs::path& base) {
  if (v.empty()) return {};
  fs::path p(v);
  return p.is_absolute() || base.empty() ? p : base / p;
}

void check_postgresql_url(const std::string& url) {
  if (auto problem = bus::postgresql_url_problem(url)) throw ConfigError("store.postgresql_url", *problem);
}

// A bus service id <member>/<subsystem>/<code>/v<N> (empty: none).
std::string bus_service(const char* key, const std::string& v) {
  static const std::regex service(
      R"(^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9._-]{1,64}/v\d{1,4}$)");
  if (!v.empty() && !std::regex_match(v, service))
    throw ConfigError(key, "'" + v.substr(0, 200) + "' is not a bus service <member>/<subsystem>/<code>/v<N>");
  return v;
}

const std::vector<Key>& keys() {
  static const std::vector<Key> k = {
      {"server.listen", [](auto& c, auto& v, auto&) { c.listen = bus::HostPort::parse(v, "server.listen"); }},
      {"server.threads", [](auto& c, auto& v, auto&) { c.threads = to_unsigned("server.threads", v, 1, 64); }},
      {"server.workers", [](auto& c, auto& v, auto&) { c.workers = to_unsigned("server.workers", v, 1, 256); }},
      {"server.max_body_bytes",
       [](auto& c, auto& v, auto&) {
         c.max_body_bytes = to_unsigned("server.max_body_bytes", v, 1024, 1024u * 1024 * 1024);
       }},
      {"server.trusted_proxies",
       [](auto& c, auto& v, auto&) {
         c.trusted_proxies.clear();
         for (const auto& a : split_list(v)) {
           boost::system::error_code ec;
           auto ip = boost::asio::ip::make_address(a, ec);
           if (ec)
             throw ConfigError("server.trusted_proxies",
                               "'" + a + "' is not an IP address (give each proxy's address)");
           c.trusted_proxies.push_back(ip.to_string());
         }
       }},
      {"server.max_connections_per_source",
       [](auto& c, auto& v, auto&) {
         c.max_connections_per_source = to_unsigned("server.max_connections_per_source", v, 0, 1000000);
       }},
      {"store.data_dir", [](auto& c, auto& v, auto& b) { c.data_dir = to_path(v, b); }},
      {"store.group_commit_max_rows",
       [](auto& c, auto& v, auto&) {
         c.group_commit_max_rows = to_unsigned("store.group_commit_max_rows", v, 1, 100000);
       }},
      {"store.group_commit_max_delay_ms",
       [](auto& c, auto& v, auto&) {
         c.group_commit_max_delay_ms = to_unsigned("store.group_commit_max_delay_ms", v, 0, 1000);
       }},
      {"store.backend",
       [](auto& c, auto& v, auto&) {
         if (v == "sqlite")
           c.store_backend = bus::StoreBackendKind::sqlite;
         else if (v == "postgresql")
           c.store_backend = bus::StoreBackendKind::postgresql;
         else
           throw ConfigError("store.backend", "must be \"sqlite\" or \"postgresql\", got '" + v.substr(0, 64) + "'");
       }},
      {"store.postgresql_url",
       [](auto& c, auto& v, auto&) {
         check_postgresql_url(v);
         c.postgresql_url = v;
       }},
      {"store.postgresql_password_file", [](auto& c, auto& v, auto& b) { c.postgresql_password_file = to_path(v, b); }},
      {"store.pool_size", [](auto& c, auto& v, auto&) { c.pool_size = to_unsigned("store.pool_size", v, 1, 256); }},
      {"calendar.file", [](auto& c, auto& v, auto& b) { c.calendar = to_path(v, b); }},
      {"forms.font_dir", [](auto& c, auto& v, auto& b) { c.font_dir = to_path(v, b); }},
      {"web.assets_dir", [](auto& c, auto& v, auto& b) { c.web_assets_dir = to_path(v, b); }},
      {"web.agent_url",
       [](auto& c, auto& v, auto&) {
         auto url = bus::Url::parse(v);
         if (!v.empty() && (!url || v.find_first_of(" ;,'\"") != std::string::npos))
           throw ConfigError("web.agent_url", "'" + v.substr(0, 100) + "' is not an http:// or https:// origin");
         c.web_agent_url = v;
       }},
      {"agency.code", [](auto& c, auto& v, auto&) { c.agency.code = v; }},
      {"agency.name", [](auto& c, auto& v, auto&) { c.agency.name = v; }},
      {"agency.parent_name", [](auto& c, auto& v, auto&) { c.agency.parent_name = v; }},
      {"agency.place", [](auto& c, auto& v, auto&) { c.agency.place = v; }},
      {"agency.dossier_code_pattern", [](auto& c, auto& v, auto&) { c.agency.dossier_code_pattern = v; }},
      {"agency.public_url", [](auto& c, auto& v, auto&) { c.agency.public_url = v; }},
      {"agency.file_link_days",
       [](auto& c, auto& v, auto&) { c.agency.file_link_days = to_unsigned("agency.file_link_days", v, 1, 366); }},
      {"bus.url", [](auto& c, auto& v, auto&) { c.bus.url = v; }},
      {"bus.client", [](auto& c, auto& v, auto&) { c.bus.client = v; }},
      {"bus.api_key_file", [](auto& c, auto& v, auto& b) { c.bus.api_key_file = to_path(v, b).string(); }},
      {"bus.ca", [](auto& c, auto& v, auto& b) { c.bus.ca = to_path(v, b); }},
      {"bus.trust_roots", [](auto& c, auto& v, auto& b) { c.bus.trust_roots = to_path(v, b); }},
      {"bus.node_certificates", [](auto& c, auto& v, auto& b) { c.bus.node_certificates = to_path(v, b); }},
      {"bus.retry_seconds",
       [](auto& c, auto& v, auto&) { c.bus.retry_seconds = to_unsigned("bus.retry_seconds", v, 1, 3600); }},
      {"signing.module", [](auto& c, auto& v, auto& b) { c.signing.module = to_path(v, b); }},
      {"signing.seal_token", [](auto& c, auto& v, auto&) { c.signing.seal_token = v; }},
      {"signing.ca_chain", [](auto& c, auto& v, auto& b) { c.signing.ca_chain = to_path(v, b); }},
      {"signing.trust_roots", [](auto& c, auto& v, auto& b) { c.signing.trust_roots = to_path(v, b); }},
      {"signing.revocation",
       [](auto& c, auto& v, auto&) {
         if (v != "ocsp" && v != "crl" && v != "none")
           throw ConfigError("signing.revocation", "must be ocsp, crl or none, got '" + v + "'");
         c.signing.revocation = v;
       }},
      {"signing.crl", [](auto& c, auto& v, auto& b) { c.signing.crl = to_path(v, b); }},
      {"signing.ocsp_url", [](auto& c, auto& v, auto&) { c.signing.ocsp_url = v; }},
      {"signing.prepare_minutes",
       [](auto& c, auto& v, auto&) { c.signing.prepare_minutes = to_unsigned("signing.prepare_minutes", v, 1, 1440); }},
      {"signing.max_prepared",
       [](auto& c, auto& v, auto&) { c.signing.max_prepared = to_unsigned("signing.max_prepared", v, 1, 10000); }},
      {"registry.service", [](auto& c, auto& v, auto&) { c.registry.service = bus_service("registry.service", v); }},
      {"registry.document_service",
       [](auto& c, auto& v, auto&) { c.registry.document_service = bus_service("registry.document_service", v); }},
      {"registry.procedures",
       [](auto& c, auto& v, auto&) {
         static const std::regex procedure(R"(^[0-9A-Za-z.-]{1,32}$)");
         c.registry.procedures.clear();
         for (const auto& p : split_list(v)) {
           if (!std::regex_match(p, procedure))
             throw ConfigError("registry.procedures", "'" + p.substr(0, 64) + "' is not a procedure code");
           c.registry.procedures.push_back(p);
         }
       }},
      {"registry.seal_certificates", [](auto& c, auto& v, auto& b) { c.registry.seal_certificates = to_path(v, b); }},
      {"registry.timeout_seconds",
       [](auto& c, auto& v, auto&) {
         c.registry.timeout_seconds = to_unsigned("registry.timeout_seconds", v, 1, 600);
       }},
      {"lookup.max_failures",
       [](auto& c, auto& v, auto&) { c.lookup.max_failures = to_unsigned("lookup.max_failures", v, 1, 1000); }},
      {"lookup.window_seconds",
       [](auto& c, auto& v, auto&) { c.lookup.window_seconds = to_unsigned("lookup.window_seconds", v, 1, 86400); }},
      {"lookup.dossier_max_failures",
       [](auto& c, auto& v,
          auto&) { c.lookup.dossier_max_failures = to_unsigned("lookup.dossier_max_failures", v, 1, 1000000); }},
      {"lookup.dossier_window_seconds",
       [](auto& c, auto& v,
          auto&) { c.lookup.dossier_window_seconds = to_unsigned("lookup.dossier_window_seconds", v, 1, 30 * 86400); }},
      {"uploads.max_bytes",
       [](auto& c, auto& v, auto&) { c.uploads.max_bytes = to_unsigned("uploads.max_bytes", v, 1, 4294967295u); }},
      {"uploads.max_files",
       [](auto& c, auto& v, auto&) { c.uploads.max_files = to_unsigned("uploads.max_files", v, 1, 1000000); }},
      {"uploads.window_seconds",
       [](auto& c, auto& v,
          auto&) { c.uploads.window_seconds = to_unsigned("uploads.window_seconds", v, 1, 30 * 86400); }},
      {"uploads.unused_max_age_seconds",
       [](auto& c, auto& v,
          auto&) { c.uploads.unused_max_age_seconds = to_unsigned("uploads.unused_max_age_seconds", v, 1, 365 * 86400); }},
      {"uploads.sweep_seconds",
       [](auto& c, auto& v, auto&) { c.uploads.sweep_seconds = to_unsigned("uploads.sweep_seconds", v, 1, 86400); }},
      {"web.origin", [](auto& c, auto& v, auto&) { c.web.origin = v; }},
      {"web.session_idle_minutes",
       [](auto& c, auto& v, auto&) { c.web.session_idle_minutes = to_unsigned("web.session_idle_minutes", v, 1, 1440); }},
      {"web.session_idle_seconds",
       [](auto& c, auto& v, auto&) { c.web.session_idle_seconds = to_unsigned("web.session_idle_seconds", v, 0, 86400); }},
      {"web.session_max_hours",
       [](auto& c, auto& v, auto&) { c.web.session_max_hours = to_unsigned("web.session_max_hours", v, 1, 720); }},
      {"web.max_sessions_per_account",
       [](auto& c, auto& v, auto&) {
         c.web.max_sessions_per_account = to_unsigned("web.max_sessions_per_account", v, 1, 100);
       }},
      {"web.challenge_seconds",
       [](auto& c, auto& v, auto&) { c.web.challenge_seconds = to_unsigned("web.challenge_seconds", v, 1, 3600); }},
      {"web.official_password_sign_in",
       [](auto& c, auto& v, auto&) { c.web.official_password_sign_in = to_bool("web.official_password_sign_in", v); }},
      {"web.signin_max_failures",
       [](auto& c, auto& v, auto&) { c.web.signin_max_failures = to_unsigned("web.signin_max_failures", v, 1, 1000); }},
      {"web.signin_window_seconds",
       [](auto& c, auto& v, auto&) {
         c.web.signin_window_seconds = to_unsigned("web.signin_window_seconds", v, 1, 86400);
       }},
      {"web.account_max_failures",
       [](auto& c, auto& v, auto&) { c.web.account_max_failures = to_unsigned("web.account_max_failures", v, 1, 1000); }},
      {"web.signups_per_source",
       [](auto& c, auto& v, auto&) { c.web.signups_per_source = to_unsigned("web.signups_per_source", v, 1, 100000); }},
      {"web.argon2_memory_kib",
       [](auto& c, auto& v, auto&) { c.web.argon2_memory_kib = to_unsigned("web.argon2_memory_kib", v, 8192, 1048576); }},
      {"web.argon2_iterations",
       [](auto& c, auto& v, auto&) { c.web.argon2_iterations = to_unsigned("web.argon2_iterations", v, 1, 20); }},
      {"notify.smtp_host", [](auto& c, auto& v, auto&) { c.notify.smtp_host = v; }},
      {"notify.smtp_port",
       [](auto& c, auto& v, auto&) { c.notify.smtp_port = to_unsigned("notify.smtp_port", v, 1, 65535); }},
      {"notify.smtp_from", [](auto& c, auto& v, auto&) { c.notify.smtp_from = v; }},
      {"notify.smtp_starttls",
       [](auto& c, auto& v, auto&) {
         if (v != "required" && v != "optional" && v != "none")
           throw ConfigError("notify.smtp_starttls", "must be required, optional or none, got '" + v.substr(0, 32) + "'");
         c.notify.smtp_starttls = v;
       }},
      {"notify.smtp_ca", [](auto& c, auto& v, auto& b) { c.notify.smtp_ca = to_path(v, b); }},
      {"notify.smtp_username", [](auto& c, auto& v, auto&) { c.notify.smtp_username = v; }},
      {"notify.smtp_password_file", [](auto& c, auto& v, auto& b) { c.notify.smtp_password_file = to_path(v, b); }},
      {"notify.sms_url", [](auto& c, auto& v, auto&) { c.notify.sms_url = v; }},
      {"notify.sms_api_key_file", [](auto& c, auto& v, auto& b) { c.notify.sms_api_key_file = to_path(v, b); }},
      {"notify.lookup_url", [](auto& c, auto& v, auto&) { c.notify.lookup_url = v; }},
      {"notify.retry_seconds",
       [](auto& c, auto& v, auto&) { c.notify.retry_seconds = to_unsigned("notify.retry_seconds", v, 1, 86400); }},
      {"notify.max_attempts",
       [](auto& c, auto& v, auto&) { c.notify.max_attempts = to_unsigned("notify.max_attempts", v, 1, 1000); }},
      {"notify.timeout_seconds",
       [](auto& c, auto& v, auto&) { c.notify.timeout_seconds = to_unsigned("notify.timeout_seconds", v, 1, 300); }},
      {"notify.poll_ms", [](auto& c, auto& v, auto&) { c.notify.poll_ms = to_unsigned("notify.poll_ms", v, 10, 60000); }},
  };
  return k;
}

const Key* find_key(const std::string& name) {
  for (const auto& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

std::string env_name(const std::string& key) {
  std::string out = "LGSP_ONESTOP_";
  for (char ch : key) out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

OnestopConfig OnestopConfig::load(const std::optional<fs::path>& file,
                                  const std::map<std::string, std::string>& environment) {
  OnestopConfig c;
  if (const char* m = std::getenv("LGSP_PKCS11_MODULE")) c.signing.module = m;
  if (file) {
    c.source_file = *file;
    toml::table root;
    try {
      root = toml::parse_file(file->string());
    } catch (const toml::parse_error& e) {
      std::ostringstream why;
      why << e.description() << " (line " << e.source().begin.line << ")";
      throw ConfigError(file->string(), why.str());
    }
    fs::path base = fs::absolute(*file).parent_path();
    for (auto&& [section, node] : root) {
      const toml::table* table = node.as_table();
      if (!table) throw ConfigError(std::string(section.str()), "must be a [section]");
      for (auto&& [key, value] : *table) {
        std::string name = std::string(section.str()) + "." + std::string(key.str());
        const Key* spec = find_key(name);
        if (!spec) throw ConfigError(name, "unknown key in " + file->string());
        std::string text;
        if (is_list_key(name)) {
          const toml::array* items = value.as_array();
          if (!items) throw ConfigError(name, "must be an array of strings, e.g. [\"127.0.0.1\"]");
          for (auto&& item : *items) {
            auto s = item.value<std::string>();
            if (!s || s->find(',') != std::string::npos) throw ConfigError(name, "must be an array of strings");
            text += (text.empty() ? "" : ",") + *s;
          }
        } else if (auto s = value.value<std::string>())
          text = *s;
        else if (auto i = value.value<std::int64_t>())
          text = std::to_string(*i);
        else if (auto flag = value.as_boolean())
          text = flag->get() ? "true" : "false";
        else
          throw ConfigError(name, "must be a string or a whole number");
        spec->apply(c, text, base);
      }
    }
  }
  for (const auto& k : keys()) {
    auto it = environment.find(env_name(k.name));
    if (it != environment.end()) k.apply(c, it->second, fs::current_path());
  }
  return c;
}

AgencyConfig OnestopConfig::effective_agency() const {
  AgencyConfig a = agency;
  if (a.public_url.empty()) a.public_url = "http://" + listen.to_string();
  while (!a.public_url.empty() && a.public_url.back() == '/') a.public_url.pop_back();
  return a;
}

void OnestopConfig::validate() const {
  static const std::regex agency_code(R"(^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$)");
  if (!std::regex_match(agency.code, agency_code))
    throw ConfigError("agency.code", "'" + agency.code + "' is not an agency code NNN.NN.NN.XNN");
  if (!listen.is_loopback())
    throw ConfigError("server.listen", "the one-stop API speaks plain HTTP: listen on loopback (" + listen.to_string() +
                                           " is not) and put a TLS proxy in front");
  if (!bus.url.empty() && bus.trust_roots.empty())
    throw ConfigError("bus.trust_roots", "required with bus.url: deliveries are accepted only with a valid seal");
  if (!bus.url.empty() && bus.node_certificates.empty())
    throw ConfigError("bus.node_certificates",
                      "required with bus.url: the certificate of the node whose seals deliveries must carry");
  if (!agency.public_url.empty() && bus::Url::parse(agency.public_url) == std::nullopt)
    throw ConfigError("agency.public_url", "'" + agency.public_url + "' is not an http:// or https:// URL");
  if (!bus.url.empty() && bus::Url::parse(bus.url) == std::nullopt)
    throw ConfigError("bus.url", "'" + bus.url + "' is not an http:// or https:// URL");
  if (!registry.service.empty() && bus.url.empty())
    throw ConfigError("registry.service", "needs bus.url: extracts are asked for over the office's node");
  if (!registry.service.empty() && registry.document_service.empty())
    throw ConfigError("registry.document_service",
                      "required with registry.service: where the signed extract documents are fetched");
  if (!registry.service.empty() && registry.seal_certificates.empty())
    throw ConfigError("registry.seal_certificates",
                      "required with registry.service: the registry's seal certificate an extract must be signed by");
  if (!web.origin.empty() && bus::Url::parse(web.origin) == std::nullopt)
    throw ConfigError("web.origin", "'" + web.origin + "' is not an http:// or https:// origin");
  if (!notify.sms_url.empty() && bus::Url::parse(notify.sms_url) == std::nullopt)
    throw ConfigError("notify.sms_url", "'" + notify.sms_url + "' is not an http:// or https:// URL");
  if (!notify.smtp_host.empty() && notify.smtp_from.empty())
    throw ConfigError("notify.smtp_from", "required with notify.smtp_host");
  if (store_backend == bus::StoreBackendKind::postgresql && postgresql_url.empty())
    throw ConfigError("store.backend", "\"postgresql\" needs store.postgresql_url");
}

}  // namespace lgsp::onestop
