// The adapter runner: adapters.toml read and checked whole, then one listener (GET /healthz, GET /metrics and
// every adapter's routes under /adapters/<name>/), the adapters started in file order and stopped in reverse.
#include "lgsp/adapters/runner.hpp"

#include "lgsp/adapters/errors.hpp"
#include "lgsp/adapters/metrics.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>
#include <set>

namespace lgsp::adapters {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct RunnerSettings {
  bus::HostPort listen{"127.0.0.1", 8090};
  std::string public_url;  // empty: from the bound address
  fs::path state_dir;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  unsigned threads = 2;
  unsigned workers = 4;
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds drain_timeout{10};
  std::int64_t max_dead_letters = 100000;
  bus::TlsConfig tls;
};

struct NodeSettings {
  std::string url;
  fs::path ca;
  fs::path trust_roots;
  fs::path node_certificates;
  fs::path contracts_dir;
  std::chrono::milliseconds timeout{30000};
};

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// MEMBER/SUBSYSTEM as the registry spells a subsystem: printable ASCII without spaces, one '/'.
bool valid_client(const std::string& client) {
  if (client.empty() || client.size() > 200 || std::count(client.begin(), client.end(), '/') != 1) return false;
  if (client.front() == '/' || client.back() == '/') return false;
  for (char c : client)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

RunnerSettings read_runner(ConfigTable& root) {
  RunnerSettings s;
  s.state_dir = root.base_dir() / "var/adapters";
  auto t = root.optional_table("runner");
  if (!t) return s;
  try {
    s.listen = bus::HostPort::parse(t->string("listen", s.listen.to_string()), t->where("listen"));
  } catch (const bus::ConfigError& e) {
    throw AdapterConfigError(t->where("listen"), "must be HOST:PORT");
  }
  s.public_url = t->string("public_url", "");
  if (!s.public_url.empty() && !bus::Url::parse(s.public_url))
    throw AdapterConfigError(t->where("public_url"), "must be an http:// or https:// URL");
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  if (auto p = t->optional_path("state_dir")) s.state_dir = *p;
  s.max_body_bytes =
      static_cast<std::uint64_t>(t->integer("max_body_bytes", 10 * 1024 * 1024, 1024, std::int64_t{1} << 30));
  s.threads = static_cast<unsigned>(t->integer("threads", 2, 1, 64));
  s.workers = static_cast<unsigned>(t->integer("worker_threads", 4, 1, 256));
  s.request_timeout = std::chrono::seconds(t->integer("request_timeout_seconds", 30, 1, 3600));
  s.drain_timeout = std::chrono::seconds(t->integer("drain_timeout_seconds", 10, 0, 3600));
  s.max_dead_letters = t->integer("max_dead_letters", 100000, 1, 100000000);
  if (auto tls = t->optional_table("tls")) {
    if (auto p = tls->optional_path("certificate")) s.tls.certificate = *p;
    if (auto p = tls->optional_path("private_key")) s.tls.private_key = *p;
    if (auto p = tls->optional_path("client_ca")) s.tls.client_ca = *p;
    s.tls.require_client_certificate = tls->boolean("require_client_certificate", false);
    if (s.tls.certificate.empty() != s.tls.private_key.empty())
      throw AdapterConfigError(tls->where(), "certificate and private_key go together");
    if (s.tls.require_client_certificate && s.tls.client_ca.empty())
      throw AdapterConfigError(tls->where("require_client_certificate"), "needs client_ca");
    if (!s.tls.enabled() && !s.tls.client_ca.empty())
      throw AdapterConfigError(tls->where("client_ca"), "needs certificate and private_key");
  }
  if (!s.tls.enabled() && !s.listen.is_loopback())
    throw AdapterConfigError(t->where("listen"),
                             "plain HTTP is allowed only on loopback; set runner.tls.certificate and private_key");
  return s;
}

NodeSettings read_node(ConfigTable& root) {
  NodeSettings n;
  auto t = root.table("node");
  n.url = t.required_string("url");
  auto url = bus::Url::parse(n.url);
  if (!url) throw AdapterConfigError(t.where("url"), "must be an http:// or https:// URL");
  while (!n.url.empty() && n.url.back() == '/') n.url.pop_back();
  // An API key must not cross a network in the clear.
  if (!url->https && !bus::HostPort{url->host, url->port}.is_loopback())
    throw AdapterConfigError(t.where("url"), "plain http:// only to a node on loopback; use https://");
  if (auto p = t.optional_path("ca")) n.ca = *p;
  if (auto p = t.optional_path("trust_roots")) n.trust_roots = *p;
  if (auto p = t.optional_path("node_certificates")) n.node_certificates = *p;
  if (n.trust_roots.empty() != n.node_certificates.empty())
    throw AdapterConfigError(t.where(), "trust_roots and node_certificates go together (both check deliveries)");
  n.contracts_dir = t.optional_path("contracts_dir").value_or(contracts::default_catalogue_dir());
  n.timeout = t.milliseconds("timeout_ms", std::chrono::milliseconds(30000), std::chrono::milliseconds(100),
                             std::chrono::milliseconds(600000));
  return n;
}

std::string known_kinds() {
  std::string list;
  for (const auto& k : adapter_kinds()) list += (list.empty() ? "" : ", ") + k;
  return list.empty() ? "none in this build" : list;
}

// Waits for an adapter handler's answer (most answer before they return).
struct PendingAnswer {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<bus::HttpResponse> answer;
};

}  // namespace

struct Runner::Impl {
  struct Entry {
    std::string name;
    std::string kind;
    std::unique_ptr<NodeClient> node;
    std::unique_ptr<Adapter> adapter;
    std::unique_ptr<AdapterMetricSet> metrics;
    bus::Router routes;  // the adapter's own, read only once it runs
    std::unique_ptr<AdapterContext> context;
    std::atomic<bool> running{false};
    bool started = false;
  };

  fs::path file;
  RunnerSettings settings;
  NodeSettings node;
  std::optional<contracts::Catalogue> catalogue;
  std::unique_ptr<DeliveryVerifier> deliveries;
  std::vector<std::unique_ptr<Entry>> entries;
  std::unique_ptr<DeadLetterStore> store;
  std::atomic<bool> stopping{false};

  // Serving (start() to stop()): declared in the order they are built, destroyed in reverse.
  bus::Router router;
  std::unique_ptr<bus::WorkerRoutes> workers;
  std::unique_ptr<bus::HttpServer> server;
  bool started = false;
  bool stopped = false;

  DeadLetterStore& dead_letters() {
    if (!store) {
      std::error_code ec;
      fs::create_directories(settings.state_dir, ec);
      if (ec)
        throw AdapterConfigError("runner.state_dir",
                                 "cannot create " + settings.state_dir.string() + ": " + ec.message());
      try {
        store =
            std::make_unique<DeadLetterStore>(settings.state_dir / "dead-letters.sqlite", settings.max_dead_letters);
      } catch (const std::exception& e) {
        throw AdapterConfigError("runner.state_dir", std::string("dead letters: ") + e.what());
      }
    }
    return *store;
  }

  std::string public_base_url() const {
    if (!settings.public_url.empty()) return settings.public_url;
    return std::string(settings.tls.enabled() ? "https://" : "http://") + server->local_endpoint().to_string();
  }

  AdapterContext& context_for(Entry& e, const std::string& base_url) {
    const fs::path dir = settings.state_dir / e.name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw AdapterConfigError("adapter '" + e.name + "'", "cannot create " + dir.string() + ": " + ec.message());
    e.context = std::make_unique<AdapterContext>(AdapterContext{*e.node, dead_letters().for_adapter(e.name), *e.metrics,
                                                                *catalogue, *deliveries, e.routes,
                                                                "/adapters/" + e.name, base_url, dir, stopping});
    return *e.context;
  }

  bus::HttpResponse dispatch(Entry& e, bus::HttpRequest& request) {
    if (!e.running.load(std::memory_order_acquire))
      return bus::problem(errors::kAdapterNotReady, "adapter '" + e.name + "' is not running");
    auto match = e.routes.match(request);
    if (!match.handler) {
      if (match.allowed_methods.empty()) return bus::problem(bus::errors::kUnknownRoute, request.path.substr(0, 256));
      auto answer = bus::problem(bus::errors::kMethodNotAllowed,
                                 request.method.substr(0, 16) + " " + request.path.substr(0, 256));
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      answer.headers.emplace_back("Allow", allow);
      return answer;
    }
    // The listener read the body under runner.max_body_bytes; a route's own smaller limit is checked here.
    if (match.max_body_bytes && request.body.size() > match.max_body_bytes)
      return bus::problem(errors::kAdapterTooLarge, "at most " + std::to_string(match.max_body_bytes) + " bytes");
    if (match.checks)
      for (const auto& check : *match.checks)
        if (auto refused = check(request)) return std::move(*refused);
    auto pending = std::make_shared<PendingAnswer>();
    (*match.handler)(request, [pending](bus::HttpResponse answer) {
      std::lock_guard lock(pending->mutex);
      if (pending->answer) return;  // answered once only
      pending->answer = std::move(answer);
      pending->done.notify_all();
    });
    std::unique_lock lock(pending->mutex);
    if (!pending->done.wait_for(lock, settings.request_timeout, [&] { return pending->answer.has_value(); })) {
      bus::log::warn("adapter.route.timeout", {{"adapter", e.name}, {"path", request.path.substr(0, 256)}});
      return bus::problem(errors::kAdapterTimeout, "adapter '" + e.name + "' did not answer in time");
    }
    return std::move(*pending->answer);
  }

  Health health_of(const Entry& e) const {
    if (!e.running.load(std::memory_order_acquire)) return Health{false, "not running", -1};
    try {
      auto h = e.adapter->health();
      if (h.detail.size() > 512) h.detail.resize(512);
      return h;
    } catch (const std::exception& ex) {
      return Health{false, std::string("health() failed: ") + ex.what(), -1};
    }
  }

  bus::HttpResponse healthz() {
    json adapters = json::array();
    bool all_ok = true;
    for (const auto& e : entries) {
      auto h = health_of(*e);
      all_ok = all_ok && h.ok;
      std::int64_t letters = store ? store->count(e->name) : 0;
      adapters.push_back({{"name", e->name},
                          {"kind", e->kind},
                          {"ok", h.ok},
                          {"detail", h.detail},
                          {"backlog", h.backlog},
                          {"dead_letters", letters}});
    }
    return bus::HttpResponse::json(all_ok ? 200 : 503,
                                   {{"status", all_ok ? "ok" : "degraded"}, {"adapters", adapters}});
  }

  bus::HttpResponse metrics() {
    std::vector<const AdapterMetricSet*> sets;
    for (const auto& e : entries) sets.push_back(e->metrics.get());
    std::string text = render_prometheus(sets);
    // The runner's own view of each adapter, under lgsp_adapters_ so no adapter metric can collide.
    std::string up, backlog, letters, dropped;
    for (const auto& e : entries) {
      const std::string labels = "{adapter=\"" + e->name + "\",kind=\"" + e->kind + "\"}";
      auto h = health_of(*e);
      up += "lgsp_adapters_up" + labels + (h.ok ? " 1\n" : " 0\n");
      backlog += "lgsp_adapters_backlog" + labels + " " + std::to_string(h.backlog) + "\n";
      letters += "lgsp_adapters_dead_letters" + labels + " " + std::to_string(store ? store->count(e->name) : 0) + "\n";
      dropped += "lgsp_adapters_dead_letters_dropped_total" + labels + " " +
                 std::to_string(store ? store->dropped(e->name) : 0) + "\n";
    }
    text += "# TYPE lgsp_adapters_up gauge\n" + up + "# TYPE lgsp_adapters_backlog gauge\n" + backlog +
            "# TYPE lgsp_adapters_dead_letters gauge\n" + letters +
            "# TYPE lgsp_adapters_dead_letters_dropped_total counter\n" + dropped;
    return bus::HttpResponse::text(200, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
  }

  void stop_adapters() {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      auto& e = **it;
      e.running.store(false, std::memory_order_release);
      if (!e.started) continue;
      try {
        e.adapter->stop();
      } catch (const std::exception& ex) {
        bus::log::error("adapter.stop_failed", {{"adapter", e.name}, {"error", ex.what()}});
      }
      e.started = false;
      bus::log::info("adapter.stopped", {{"adapter", e.name}});
    }
  }
};

Runner::Runner(const fs::path& config_file) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.file = config_file;
  auto root = ConfigTable::parse_file(config_file);
  m.settings = read_runner(root);
  m.node = read_node(root);
  try {
    m.catalogue = contracts::Catalogue::load(m.node.contracts_dir);
  } catch (const std::exception& e) {
    throw AdapterConfigError("node.contracts_dir", e.what());
  }
  m.deliveries = std::make_unique<DeliveryVerifier>(m.node.trust_roots, m.node.node_certificates);
  std::set<std::string> names;
  auto tables = root.tables("adapter");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    auto& t = tables[i];
    const std::string name = t.required_string("name");
    if (!valid_name(name))
      throw AdapterConfigError(t.where("name"),
                               "must be 1 to 64 of a-z, 0-9 and '-', got '" + name.substr(0, 80) + "'");
    if (!names.insert(name).second)
      throw AdapterConfigError(t.where("name"), "'" + name + "' is used by another adapter");
    t.set_where("adapter '" + name + "'");
    auto entry = std::make_unique<Impl::Entry>();
    entry->name = name;
    entry->kind = t.required_string("kind");
    const AdapterFactory* factory = find_adapter_kind(entry->kind);
    if (!factory)
      throw AdapterConfigError(t.where("kind"),
                               "unknown kind '" + entry->kind.substr(0, 64) + "' (known: " + known_kinds() + ")");
    NodeIdentity id;
    id.node_url = m.node.url;
    id.client = t.required_string("client");
    if (!valid_client(id.client))
      throw AdapterConfigError(t.where("client"),
                               "must be the adapter's subsystem MEMBER/SUBSYSTEM as registered on the node");
    id.api_key = t.optional_secret("api_key").value_or("");
    if (auto p = t.optional_path("certificate")) id.certificate = *p;
    if (auto p = t.optional_path("private_key")) id.private_key = *p;
    if (id.certificate.empty() != id.private_key.empty())
      throw AdapterConfigError(t.where("certificate"), "certificate and private_key go together");
    if (id.api_key.empty() && id.certificate.empty())
      throw AdapterConfigError(
          t.where(), "needs an identity on the node: api_key_file, api_key_env, or certificate and private_key");
    if (!id.certificate.empty() && m.node.url.rfind("https://", 0) != 0)
      throw AdapterConfigError(t.where("certificate"), "a client certificate needs an https:// node.url");
    id.ca = m.node.ca;
    id.timeout = m.node.timeout;
    entry->adapter = (*factory)(t);
    if (!entry->adapter) throw AdapterConfigError(t.where(), "the " + entry->kind + " kind made no adapter");
    if (entry->adapter->name() != name)
      throw AdapterConfigError(t.where("name"), "the adapter calls itself '" + entry->adapter->name() + "'");
    t.finish();
    try {
      entry->node = std::make_unique<NodeClient>(std::move(id));
    } catch (const std::exception& e) {
      throw AdapterConfigError(t.where(), std::string("its node connection: ") + e.what());
    }
    entry->metrics = std::make_unique<AdapterMetricSet>(name, entry->kind);
    m.entries.push_back(std::move(entry));
  }
  root.finish();
}

Runner::~Runner() { stop(); }

void Runner::start() {
  auto& m = *impl_;
  if (m.started) throw std::logic_error("Runner::start called twice");
  m.started = true;
  m.dead_letters();
  bus::RouteErrors route_errors;
  route_errors.module = "adapters";
  m.workers = std::make_unique<bus::WorkerRoutes>(m.settings.workers, route_errors);
  m.router.add("GET", "/healthz", m.workers->handler([&m](bus::HttpRequest&) { return m.healthz(); }));
  m.router.add("GET", "/metrics", m.workers->handler([&m](bus::HttpRequest&) { return m.metrics(); }));
  for (auto& entry : m.entries) {
    Impl::Entry* e = entry.get();
    for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"})
      m.router.add(method, "/adapters/" + e->name + "/*",
                   m.workers->handler([&m, e](bus::HttpRequest& r) { return m.dispatch(*e, r); }));
  }
  bus::HttpServerOptions options;
  options.listen = m.settings.listen;
  options.threads = m.settings.threads;
  options.max_body_bytes = m.settings.max_body_bytes;
  options.request_timeout = m.settings.request_timeout;
  options.tls = m.settings.tls;
  m.server = std::make_unique<bus::HttpServer>(options, m.router);
  try {
    m.server->start();
  } catch (const std::exception& e) {
    throw AdapterConfigError("runner.listen", e.what());
  }
  const std::string base = m.public_base_url();
  bus::log::info("adapters.listening", {{"address", listen_address()}, {"adapters", m.entries.size()}});
  for (auto& entry : m.entries) {
    auto& e = *entry;
    try {
      e.adapter->start(m.context_for(e, base));
      e.started = true;
      e.running.store(true, std::memory_order_release);
      bus::log::info("adapter.started", {{"adapter", e.name}, {"kind", e.kind}});
    } catch (const std::exception& ex) {
      bus::log::error("adapter.start_failed", {{"adapter", e.name}, {"error", ex.what()}});
      // Whatever start() did before it threw is the adapter's to undo.
      e.started = true;
      stop();
      const std::string what = ex.what();
      if (what.rfind("adapter '" + e.name + "'", 0) == 0) throw AdapterConfigError("runner", what);
      throw AdapterConfigError("adapter '" + e.name + "'", what);
    }
  }
}

void Runner::stop() {
  auto& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.stopping.store(true);
  for (auto& e : m.entries) e->running.store(false, std::memory_order_release);
  if (m.server) m.server->drain(std::chrono::duration_cast<std::chrono::milliseconds>(m.settings.drain_timeout));
  if (m.workers) m.workers->join();
  m.stop_adapters();
}

std::string Runner::listen_address() const {
  return impl_->server ? impl_->server->local_endpoint().to_string() : impl_->settings.listen.to_string();
}

DeadLetterStore& Runner::dead_letters() { return impl_->dead_letters(); }

Adapter* Runner::find(const std::string& name) {
  for (auto& e : impl_->entries)
    if (e->name == name) return e->adapter.get();
  return nullptr;
}

std::vector<std::string> Runner::adapter_names() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->entries) out.push_back(e->name);
  return out;
}

const fs::path& Runner::state_dir() const { return impl_->settings.state_dir; }

bool Runner::has_dead_letter_store() const {
  std::error_code ec;
  return impl_->store || fs::exists(impl_->settings.state_dir / "dead-letters.sqlite", ec);
}

Runner::ReplayOutcome Runner::replay(std::int64_t id) {
  auto& m = *impl_;
  if (m.started) throw std::logic_error("Runner::replay is for a runner that was not started");
  ReplayOutcome out;
  out.id = id;
  auto letter = m.dead_letters().get(id);
  if (!letter) {
    out.reason = "no dead letter " + std::to_string(id);
    return out;
  }
  out.adapter = letter->adapter;
  Impl::Entry* entry = nullptr;
  for (auto& e : m.entries)
    if (e->name == letter->adapter) entry = e.get();
  if (!entry) {
    out.reason = "its adapter '" + letter->adapter + "' is not in " + m.file.string();
    m.dead_letters().for_adapter(letter->adapter).failed_again(id, out.reason);
    return out;
  }
  auto& letters = m.dead_letters().for_adapter(entry->name);
  std::string why;
  try {
    if (!entry->context) entry->adapter->prepare_replay(m.context_for(*entry, m.settings.public_url));
    why = entry->adapter->replay(*letter);
  } catch (const std::exception& e) {
    why = e.what();
    // Made again from the config next time: what threw may have left the adapter half prepared.
    entry->context.reset();
  }
  if (why.empty()) {
    letters.remove(id);
    out.replayed = true;
  } else {
    letters.failed_again(id, why);
    out.reason = why;
  }
  return out;
}

}  // namespace lgsp::adapters
