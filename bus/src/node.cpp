#include "lgsp/bus/node.hpp"

#include "lgsp/bus/admin_api.hpp"
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/openapi.hpp"
#include "lgsp/bus/pg_store.hpp"
#include "lgsp/bus/sqlite_store.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"

#include <cstdlib>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace lgsp::bus {

namespace {

// The PostgreSQL password: from store.postgresql_password_file (its first line), else
// $LGSP_STORE_POSTGRESQL_PASSWORD; none leaves it to libpq ($PGPASSWORD, ~/.pgpass).
std::string postgresql_password(const StoreConfig& store) {
  if (!store.postgresql_password_file.empty()) {
    const auto& file = store.postgresql_password_file;
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError("store.postgresql_password_file " + file.string(), "cannot be read");
    std::string password(1025, '\0');
    in.read(password.data(), static_cast<std::streamsize>(password.size()));
    password.resize(static_cast<std::size_t>(in.gcount()));
    if (password.size() > 1024) throw ConfigError("store.postgresql_password_file " + file.string(), "is too long");
    if (auto nl = password.find_first_of("\r\n"); nl != std::string::npos) password.resize(nl);
    if (password.empty()) throw ConfigError("store.postgresql_password_file " + file.string(), "is empty");
    return password;
  }
  if (const char* env = std::getenv("LGSP_STORE_POSTGRESQL_PASSWORD"); env && *env) return env;
  return {};
}

}  // namespace

std::unique_ptr<Store> open_embedded_store(const Config& config) {
  if (config.store.backend == StoreBackendKind::postgresql) {
    PgStoreOptions options;
    options.conninfo = config.store.postgresql_url;
    options.password = postgresql_password(config.store);
    options.pool_size = config.store.pool_size;
    options.group_commit_max_rows = config.store.group_commit_max_rows;
    options.group_commit_max_delay = std::chrono::milliseconds(config.store.group_commit_max_delay_ms);
    options.serialize_writers = true;  // several nodes, one message log (docs/bus.md)
    return std::make_unique<PgStore>(options, node_pg_migrations());
  }
  SqliteStoreOptions options;
  options.file = config.store.data_dir / "lgsp.db";
  options.group_commit_max_rows = config.store.group_commit_max_rows;
  options.group_commit_max_delay = std::chrono::milliseconds(config.store.group_commit_max_delay_ms);
  return std::make_unique<SqliteStore>(options, node_migrations());
}

struct Node::Impl {
  Config config;
  StoreFactory factory;
  Router router;
  Router admin_router;
  Metrics metrics;
  // The node's HSM key. The module outlives the sealer (pkcs11-helper: signers before their module).
  std::unique_ptr<signing::TokenModule> token_module;  // touched by the sealer's thread only
  std::unique_ptr<BatchSigner> sealer;
  // Declared before the servers: they are destroyed first, so no request reaches a dead AdminApi.
  std::unique_ptr<AdminApi> admin;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> admin_server;
  std::optional<contracts::Catalogue> catalogue;

  mutable std::mutex mutex;
  std::condition_variable store_settled;
  std::unique_ptr<Store> store;
  std::atomic<Store*> store_ptr{nullptr};
  std::string failure;
  bool settled = false;
  std::thread opener;
  bool stopped = false;

  HttpResponse readiness() {
    Store* s = store_ptr.load();
    nlohmann::json body;
    if (!s) {
      std::lock_guard lock(mutex);
      body = {{"status", "not ready"},
              {"reason", failure.empty() ? "the store is opening (applying migrations)" : "store failed: " + failure}};
      return HttpResponse::json(503, body);
    }
    auto st = s->status();
    body["store"] = {
        {"open", st.open}, {"schema_version", st.schema_version}, {"expected_schema_version", st.expected_version}};
    if (!st.ready()) {
      body["status"] = "not ready";
      body["reason"] = !st.reason.empty() ? st.reason
                       : !st.open         ? "the store is closed"
                                          : "schema version " + std::to_string(st.schema_version) + ", expected " +
                                        std::to_string(st.expected_version);
      return HttpResponse::json(503, body);
    }
    if (!config.signing.enabled) {
      body["signing"] = {{"state", "disabled"}};
    } else {
      std::string why;
      bool ok = sealer && sealer->ready(why);
      body["signing"] = {{"state", ok ? "ready" : "unavailable"}, {"token", config.signing.token}};
      if (!ok) {
        body["signing"]["reason"] = why;
        body["status"] = "not ready";
        body["reason"] = "signing: " + why;
        return HttpResponse::json(503, body);
      }
    }
    body["status"] = "ready";
    return HttpResponse::json(200, body);
  }

  // The sealer opens the token on its own thread (a slow or absent HSM never delays start-up) and
  // reopens it after a failure; /readyz says why it cannot sign meanwhile.
  void open_sealer() {
    const auto& sc = config.signing;
    std::vector<signing::X509Ptr> extra_cas;
    if (!sc.ca_chain.empty()) extra_cas = signing::load_pem_certificates(sc.ca_chain);
    auto cas = std::make_shared<std::vector<signing::X509Ptr>>(std::move(extra_cas));
    SignerFactory open = [this, cas]() -> std::unique_ptr<signing::Signer> {
      const auto& sc = config.signing;
      if (sc.module.empty())
        throw std::runtime_error("no PKCS#11 module configured (signing.module or $LGSP_PKCS11_MODULE)");
      // Called only while no signer is open (at start and after a failure), so the module can be
      // loaded afresh: PKCS#11 modules such as SoftHSM2 list their slots once per C_Initialize, and a
      // token plugged in (or an HSM come back) after that would stay invisible to the old instance.
      token_module.reset();
      token_module = std::make_unique<signing::TokenModule>(sc.module);
      signing::KeySelector key{sc.token, sc.key_id.empty() ? std::nullopt : std::optional<std::string>(sc.key_id)};
      // The PIN comes from the environment only: a node has no terminal to ask on.
      signing::PinSource pin = [](const std::string&) -> std::optional<std::string> {
        const char* p = std::getenv("LGSP_PIN");
        if (!p) return std::nullopt;
        return std::string(p);
      };
      std::vector<signing::X509Ptr> chain;
      for (const auto& c : *cas) chain.push_back(signing::share(c.get()));
      // A refused PIN is never tried again: a real token locks after a few wrong PINs.
      if (!pin_refused.empty()) throw std::runtime_error(pin_refused + "; set the right $LGSP_PIN and restart");
      try {
        return token_module->open_signer(key, pin, chain);
      } catch (const signing::SigningError& e) {
        const auto& code = e.code();
        if (&code == &signing::errors::kPinIncorrect || &code == &signing::errors::kPinLocked) pin_refused = e.what();
        throw;
      }
    };
    BatchSignerOptions options;
    options.window = std::chrono::milliseconds(sc.batch_window_ms);
    options.urgent_window = std::chrono::microseconds(sc.call_batch_window_us);
    options.max_batch = sc.batch_max;
    options.on_failure = [this] { metrics.count_sign_failure(); };
    sealer = std::make_unique<BatchSigner>(std::move(open), options, [this](const SignedBatch& batch, double seconds) {
      metrics.observe_sign_batch(batch.size, seconds);
      if (on_batch) on_batch(batch);
    });
  }
  std::function<void(const SignedBatch&)> on_batch;
  std::string pin_refused;  // sealer thread only

  std::shared_ptr<RefusalRecorder> refusals;
  void record_reject(unsigned status, const std::string& code, const std::string& remote) {
    // Counted, and sampled into node_event without waiting (group commit batches a burst of these).
    // A TLS failure comes as "tls-handshake: <why>": the reason goes into the event, not the code (the
    // code labels a metric and a sample window, so it stays one of a few).
    if (const auto colon = code.find(':'); colon != std::string::npos)
      return refusals->record(RefusalRecorder::kHttp, code.substr(0, colon), status,
                              {{"remote", remote}, {"reason", code.substr(colon + 1)}});
    refusals->record(RefusalRecorder::kHttp, code, status, {{"remote", remote}});
  }
};

Node::Node(Config config, StoreFactory store_factory) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->factory = std::move(store_factory);
  auto* impl = impl_.get();
  const auto& ec = impl_->config.events;
  RefusalRecorderOptions refusal_options;
  refusal_options.per_code_per_minute = ec.sample_per_code_per_minute;
  refusal_options.per_minute = ec.sample_per_minute;
  refusal_options.max_value_bytes = ec.max_value_bytes;
  refusal_options.max_rows = ec.max_rows;
  refusal_options.max_age = std::chrono::hours(ec.max_age_hours);
  impl_->refusals =
      std::make_shared<RefusalRecorder>([impl] { return impl->store_ptr.load(); }, &impl_->metrics, refusal_options);
  impl_->router.add("GET", "/healthz", [](HttpRequest&, Reply reply) {
    reply(HttpResponse::json(200, {{"status", "alive"}}));
  });
  impl_->router.add("GET", "/readyz", [impl](HttpRequest&, Reply reply) { reply(impl->readiness()); });
  impl_->router.add("GET", "/metrics", [impl](HttpRequest&, Reply reply) {
    if (Store* s = impl->store_ptr.load()) {
      auto st = s->stats();
      impl->metrics.set_store_totals(st.commits, st.units);
    }
    reply(HttpResponse::text(200, impl->metrics.render(), "text/plain; version=0.0.4; charset=utf-8"));
  });
  // The public API's description (docs/openapi.json, built in): no credentials, like /healthz.
  impl_->router.add("GET", "/v1/openapi.json", [](HttpRequest& r, Reply reply) { reply(openapi_answer(r)); });
  impl_->admin = std::make_unique<AdminApi>(
      [impl] { return impl->store_ptr.load(); },
      [impl]() -> const contracts::Catalogue* { return impl->catalogue ? &*impl->catalogue : nullptr; });
  impl_->admin->add_routes(impl_->admin_router);
}

Node::~Node() { stop(); }

Router& Node::admin_router() { return impl_->admin_router; }

std::optional<HostPort> Node::admin_endpoint() const {
  if (!impl_->admin_server) return std::nullopt;
  return impl_->admin_server->local_endpoint();
}

Router& Node::router() { return impl_->router; }
Metrics& Node::metrics() { return impl_->metrics; }
std::shared_ptr<RefusalRecorder> Node::refusals() { return impl_->refusals; }
const Config& Node::config() const { return impl_->config; }

void Node::start() {
  impl_->catalogue = contracts::Catalogue::load(impl_->config.contracts.dir);
  const auto& sc = impl_->config.server;
  HttpServerOptions options;
  options.listen = sc.listen;
  options.threads = sc.threads ? sc.threads : std::max(1u, std::thread::hardware_concurrency());
  options.max_body_bytes = sc.max_body_bytes;
  options.max_header_bytes = sc.max_header_bytes;
  options.request_timeout = std::chrono::seconds(sc.request_timeout_seconds);
  options.tls = impl_->config.tls;
  options.max_connections_per_source = sc.max_connections_per_source;
  auto* impl = impl_.get();
  options.on_connection_refused = [impl](const std::string& reason) { impl->metrics.count_connection_refused(reason); };
  impl_->server = std::make_unique<HttpServer>(
      options, impl_->router,
      [impl](const std::string& route, unsigned status, double s) { impl->metrics.observe_request(route, status, s); },
      [impl](unsigned status, const std::string& code, const std::string& remote) {
        impl->record_reject(status, code, remote);
      });
  impl_->server->start();
  // After the listener: a node that cannot bind never touches the HSM.
  if (impl_->config.signing.enabled) impl_->open_sealer();
  if (const auto& admin_listen = impl_->config.admin.listen) {
    HttpServerOptions admin_options = options;
    admin_options.listen = *admin_listen;
    admin_options.threads = 1;
    // With [tls] the admin listener speaks HTTPS too and asks for a client certificate (tls.client_ca), which
    // authenticates only when pinned with `lgsp admin cert add`; a client without one sends an admin token.
    admin_options.tls = impl_->config.tls;
    admin_options.tls.require_client_certificate = false;
    impl_->admin_server = std::make_unique<HttpServer>(admin_options, impl_->admin_router);
    impl_->admin_server->start();
    log::info("admin.listening", {{"address", impl_->admin_server->local_endpoint().to_string()}});
  }
  log::info("server.listening", {{"address", impl_->server->local_endpoint().to_string()},
                                 {"threads", options.threads},
                                 {"data_dir", impl_->config.store.data_dir.string()}});
  impl_->opener = std::thread([impl] {
    std::unique_ptr<Store> store;
    std::string failure;
    try {
      store = impl->factory(impl->config);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    {
      std::lock_guard lock(impl->mutex);
      impl->store = std::move(store);
      impl->failure = failure;
      impl->settled = true;
      impl->store_ptr = impl->store.get();
    }
    impl->store_settled.notify_all();
    if (failure.empty()) {
      auto st = impl->store_ptr.load()->status();
      log::info("store.open", {{"schema_version", st.schema_version}});
      impl->refusals->prune();  // what expired while the node was down
    } else {
      log::error("store.failed", {{"error", failure}});
    }
  });
}

const contracts::Catalogue& Node::catalogue() const { return *impl_->catalogue; }

HostPort Node::endpoint() const {
  return impl_->server ? impl_->server->local_endpoint() : impl_->config.server.listen;
}

bool Node::wait_store(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->store_settled.wait_for(lock, timeout, [&] { return impl_->settled; });
  return impl_->store != nullptr;
}

std::string Node::store_failure() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failure;
}

Store* Node::store() { return impl_->store_ptr.load(); }

Sealer* Node::sealer() { return impl_->sealer.get(); }

void Node::on_signed_batch(std::function<void(const SignedBatch&)> observer) { impl_->on_batch = std::move(observer); }

bool Node::stop() {
  if (impl_->stopped || !impl_->server) return true;
  impl_->stopped = true;
  log::info("server.draining", {{"timeout_seconds", impl_->config.server.drain_timeout_seconds}});
  bool clean = impl_->server->drain(std::chrono::seconds(impl_->config.server.drain_timeout_seconds));
  if (impl_->admin_server) impl_->admin_server->drain(std::chrono::seconds(impl_->config.server.drain_timeout_seconds));
  if (impl_->opener.joinable()) impl_->opener.join();
  impl_->server.reset();
  impl_->admin_server.reset();
  impl_->sealer.reset();  // signs what is queued, then closes the token session
  impl_->store_ptr = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->store.reset();  // flushes pending group commits before closing
  }
  log::info("server.stopped", {{"drained", clean}});
  return clean;
}

}  // namespace lgsp::bus
