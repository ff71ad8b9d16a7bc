#include "lgsp/onestop/server.hpp"

#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/onestop/api.hpp"
#include "lgsp/onestop/file_links.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <sstream>
#include <thread>

namespace lgsp::onestop {
using nlohmann::json;

WorkingCalendar load_calendar(const OnestopConfig& config) {
  auto file = config.calendar.empty() ? samples_dir() / "calendar.json" : config.calendar;
  try {
    return WorkingCalendar::load(file.string());
  } catch (const std::exception& e) {
    throw bus::ConfigError("calendar.file " + file.string(), e.what());
  }
}

namespace {
std::string read_api_key(const BusLinkConfig& b) {
  if (!b.api_key_file.empty()) {
    std::ifstream in(b.api_key_file);
    if (!in) throw bus::ConfigError("bus.api_key_file", "cannot read " + b.api_key_file);
    std::string key;
    std::getline(in, key);
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.empty()) throw bus::ConfigError("bus.api_key_file", b.api_key_file + " is empty");
    return key;
  }
  const char* env = std::getenv("LGSP_ONESTOP_BUS_API_KEY");
  if (!env || !*env)
    throw bus::ConfigError("bus.api_key_file",
                           "with bus.url set, give the API key in a file or $LGSP_ONESTOP_BUS_API_KEY");
  return env;
}
}  // namespace

// The agency as the office runs it: public_url from the listen address when unset, the file link key from the
// data folder (created there on first use; the store has created the folder by then).
AgencyConfig running_agency(const OnestopConfig& c) {
  AgencyConfig a = c.effective_agency();
  a.file_links = std::make_shared<const FileLinks>(FileLinks::open(c.data_dir / "file-link.key"));
  return a;
}

struct OfflineOffice::Impl {
  std::unique_ptr<bus::Store> store;
  FileStore files;
  OneStopOffice office;
  Impl(const OnestopConfig& c)
      : store(open_onestop_store(c.data_dir, c.group_commit_max_rows, c.group_commit_max_delay_ms)),
        files(c.data_dir / "files"),
        office(*store, files, load_calendar(c), running_agency(c)) {}
};
OfflineOffice::OfflineOffice(const OnestopConfig& config) : impl_(std::make_unique<Impl>(config)) {}
OfflineOffice::~OfflineOffice() = default;
OneStopOffice& OfflineOffice::office() { return impl_->office; }
bus::Store& OfflineOffice::store() { return *impl_->store; }

struct OnestopServer::Impl {
  OnestopConfig config;
  OfflineOffice opened;  // the store, files and office, as the CLI commands open them
  OneStopOffice& office;
  ResultSigner signer;
  std::unique_ptr<OnestopApi> api;
  bus::Router router;
  std::unique_ptr<bus::HttpServer> server;
  std::unique_ptr<bus::OutboundClient> outbound;
  std::string api_key;
  std::thread sender;
  std::thread sweeper;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;

  explicit Impl(OnestopConfig c)
      : config(std::move(c)), opened(config), office(opened.office()), signer(config.signing) {
    std::unique_ptr<signing::TrustStore> trust;
    if (!config.bus.url.empty()) {
      signing::TrustPolicy policy;
      try {
        policy.anchors = signing::load_pem_certificates(config.bus.trust_roots);
      } catch (const std::exception& e) {
        throw bus::ConfigError("bus.trust_roots", e.what());
      }
      // The node certificates are the province PKI's; revocation of a node is done by removing it from the
      // registry, so the seal check here is the chain and the signature.
      policy.revocation = signing::RevocationMode::kNone;
      trust = std::make_unique<signing::TrustStore>(std::move(policy));
      api_key = read_api_key(config.bus);
      outbound = std::make_unique<bus::OutboundClient>(bus::OutboundTls{config.bus.ca, {}, {}}, 1);
    }
    office.set_bus_connected(!config.bus.url.empty());
    office.set_upload_limits(config.uploads);
    api = std::make_unique<OnestopApi>(office, signer, config, std::move(trust));
    api->add_routes(router);
    router.add("GET", "/healthz", [](bus::HttpRequest&, bus::Reply reply) {
      reply(bus::HttpResponse::json(200, {{"status", "alive"}}));
    });
    router.add("GET", "/readyz", [this](bus::HttpRequest&, bus::Reply reply) {
      auto st = opened.store().status();
      json body = {{"store", {{"open", st.open}, {"schema_version", st.schema_version}}},
                   {"agency", config.agency.code},
                   {"bus", config.bus.url.empty() ? json() : json(config.bus.url)}};
      body["status"] = st.ready() ? "ready" : "not ready";
      if (!st.ready()) body["reason"] = st.reason;
      reply(bus::HttpResponse::json(st.ready() ? 200 : 503, body));
    });
  }

  void send_due() {
    for (auto& [id, m] : office.due_bus_messages(32)) {
      if (stopping) return;
      bus::OutboundRequest req;
      req.method = "POST";
      req.url = config.bus.url + "/v1/messages";
      req.headers = {{"Authorization", "Bearer " + api_key},
                     {"LGSP-Client", config.bus_client()},
                     {"LGSP-Service", m.service},
                     {"LGSP-Message-Id", m.message_id},
                     {"LGSP-Conversation-Id", m.conversation_id},
                     {"Content-Type", "application/json"}};
      req.body = m.payload.dump();
      req.timeout = std::chrono::seconds(30);
      auto resp = outbound->send_sync(std::move(req));
      bool ok = resp.ok() && (resp.status == 202 || resp.status == 200);
      std::string error;
      if (!resp.ok())
        error = resp.error;
      else if (!ok)
        error = "HTTP " + std::to_string(resp.status) + ": " + resp.body.substr(0, 500);
      office.mark_bus_message(id, ok, error, std::chrono::seconds(config.bus.retry_seconds));
      if (ok)
        bus::log::info("onestop.bus.sent", {{"message_id", m.message_id}, {"service", m.service}});
      else
        bus::log::warn("onestop.bus.refused", {{"message_id", m.message_id}, {"service", m.service}, {"error", error}});
    }
  }

  // Uploaded files no dossier or e-profile uses expire (uploads.unused_max_age_seconds), every sweep_seconds.
  void run_sweeper() {
    while (!stopping) {
      try {
        office.sweep_unused_files(std::chrono::seconds(config.uploads.unused_max_age_seconds));
      } catch (const std::exception& e) {
        bus::log::error("onestop.files.sweep", {{"error", e.what()}});
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::seconds(config.uploads.sweep_seconds), [this] { return stopping.load(); });
    }
  }

  void run_sender() {
    while (!stopping) {
      try {
        send_due();
      } catch (const std::exception& e) {
        bus::log::error("onestop.bus.sender", {{"error", e.what()}});
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping.load(); });
    }
  }
};

OnestopServer::OnestopServer(OnestopConfig config) {
  config.validate();
  impl_ = std::make_unique<Impl>(std::move(config));
}

OnestopServer::~OnestopServer() { stop(); }

void OnestopServer::start() {
  bus::HttpServerOptions o;
  o.listen = impl_->config.listen;
  o.threads = impl_->config.threads;
  o.max_body_bytes = impl_->config.max_body_bytes;
  o.max_connections_per_source = impl_->config.max_connections_per_source;
  impl_->server = std::make_unique<bus::HttpServer>(o, impl_->router);
  impl_->server->start();
  if (impl_->outbound) impl_->sender = std::thread([this] { impl_->run_sender(); });
  impl_->sweeper = std::thread([this] { impl_->run_sweeper(); });
  bus::log::info("onestop.started", {{"listen", impl_->server->local_endpoint().to_string()},
                                     {"agency", impl_->config.agency.code},
                                     {"bus", impl_->config.bus.url}});
}

bus::HostPort OnestopServer::endpoint() const { return impl_->server->local_endpoint(); }
OneStopOffice& OnestopServer::office() { return impl_->office; }

void OnestopServer::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->wake.notify_all();
  if (impl_->sender.joinable()) impl_->sender.join();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
  if (impl_->server) impl_->server->drain(std::chrono::seconds(5));
  impl_->api->stop();
  impl_->server.reset();
}

}  // namespace lgsp::onestop
