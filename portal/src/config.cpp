#include "lgsp/portal/config.hpp"

#include "lgsp/adapters/adapter_config.hpp"

namespace lgsp::portal {
using adapters::AdapterConfigError;
using adapters::ConfigTable;
using std::chrono::milliseconds;

namespace {

std::string url_of(ConfigTable& t, const std::string& key) {
  auto url = t.required_string(key);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw AdapterConfigError(t.where(key), "must be an http:// or https:// URL");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string path_of(ConfigTable& t, const std::string& key, const std::string& fallback) {
  auto p = t.string(key, fallback);
  if (p.empty() || p[0] != '/') throw AdapterConfigError(t.where(key), "must start with /");
  return p;
}

std::vector<std::string> codes_of(ConfigTable& t, const std::string& key, std::vector<std::string> fallback) {
  if (!t.has(key)) return fallback;
  auto v = t.strings(key);
  if (v.empty()) throw AdapterConfigError(t.where(key), "must list at least one code");
  return v;
}

}  // namespace

PortalConfig PortalConfig::load(const std::filesystem::path& file) {
  auto root = ConfigTable::parse_file(file);
  PortalConfig c;

  auto office = root.table("office");
  c.office.url = url_of(office, "url");
  c.office.token = office.required_secret("token");
  c.office.unit = office.string("unit", "");

  auto portal = root.table("portal");
  c.portal.url = url_of(portal, "url");
  c.portal.auth_path = path_of(portal, "auth_path", c.portal.auth_path);
  c.portal.integration_path = path_of(portal, "integration_path", c.portal.integration_path);
  c.portal.share_path = path_of(portal, "share_path", c.portal.share_path);
  c.portal.username = portal.required_string("username");
  c.portal.password = portal.required_secret("password");
  c.portal.madonvi = portal.required_string("madonvi");
  c.portal.dstcode = portal.string("dstcode", "");
  c.portal.timeout = portal.milliseconds("timeout_ms", c.portal.timeout, milliseconds(100), milliseconds(600000));
  c.portal.success_codes = codes_of(portal, "success_codes", c.portal.success_codes);
  c.portal.session_codes = codes_of(portal, "session_codes", c.portal.session_codes);
  c.portal.refusal_codes = codes_of(portal, "refusal_codes", c.portal.refusal_codes);

  auto sync = root.table("sync");
  c.sync.state_dir = sync.required_path("state_dir");
  c.sync.batch_size = static_cast<int>(sync.integer("batch_size", c.sync.batch_size, 1, 1000));
  c.sync.poll = sync.milliseconds("poll_ms", c.sync.poll, milliseconds(10), milliseconds(3600000));
  c.sync.backoff_initial =
      sync.milliseconds("backoff_initial_ms", c.sync.backoff_initial, milliseconds(10), milliseconds(600000));
  c.sync.backoff_max = sync.milliseconds("backoff_max_ms", c.sync.backoff_max, milliseconds(10), milliseconds(3600000));
  if (c.sync.backoff_max < c.sync.backoff_initial)
    throw AdapterConfigError(sync.where("backoff_max_ms"), "must not be less than backoff_initial_ms");
  c.sync.dead_letters_max = sync.integer("dead_letters_max", c.sync.dead_letters_max, 1, 10000000);

  if (auto m = root.optional_table("metrics")) {
    auto listen = m->string("listen", "");
    if (!listen.empty()) {
      try {
        c.metrics_listen = bus::HostPort::parse(listen, m->where("listen"));
      } catch (const std::exception&) {
        throw AdapterConfigError(m->where("listen"), "must be HOST:PORT");
      }
    }
  }

  if (auto cat = root.optional_table("catalogue")) {
    if (cat->has("codes")) c.catalogue.codes = cat->string_map("codes");
    if (cat->has("statuses")) c.catalogue.statuses = cat->string_map("statuses");
    for (const auto& [k, v] : c.catalogue.statuses)
      if (v != "import" && v != "skip")
        throw AdapterConfigError(cat->where("statuses") + "." + k, "must be \"import\" or \"skip\"");
    if (cat->has("channels")) c.catalogue.channels = cat->string_map("channels");
    for (const auto& [k, v] : c.catalogue.channels)
      if (v != "1" && v != "2" && v != "3")
        throw AdapterConfigError(cat->where("channels") + "." + k, "must be \"1\", \"2\" or \"3\"");
    c.catalogue.effective_from = cat->string("effective_from", "");
    c.catalogue.level = cat->choice("level", {"commune", "district", "province"}, c.catalogue.level);
  }
  root.finish();
  return c;
}

}  // namespace lgsp::portal
