#include "lgsp/onestop/server.hpp"

#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/onestop/api.hpp"
#include "lgsp/onestop/file_links.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"
#include "lgsp/onestop/web_assets.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"
#include "notify_sender.hpp"

#include <openssl/rand.h>
#include <unistd.h>

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

namespace {
// The PostgreSQL password: store.postgresql_password_file (its first line), else
// $LGSP_STORE_POSTGRESQL_PASSWORD, else empty (libpq's own $PGPASSWORD or ~/.pgpass), as the node reads it.
std::string postgresql_password(const OnestopConfig& c) {
  const auto& file = c.postgresql_password_file;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw bus::ConfigError("store.postgresql_password_file " + file.string(), "cannot be read");
    std::string password(1025, '\0');
    in.read(password.data(), static_cast<std::streamsize>(password.size()));
    password.resize(static_cast<std::size_t>(in.gcount()));
    if (password.size() > 1024)
      throw bus::ConfigError("store.postgresql_password_file " + file.string(), "is too long");
    if (auto nl = password.find_first_of("\r\n"); nl != std::string::npos) password.resize(nl);
    if (password.empty()) throw bus::ConfigError("store.postgresql_password_file " + file.string(), "is empty");
    return password;
  }
  if (const char* env = std::getenv("LGSP_STORE_POSTGRESQL_PASSWORD"); env && *env) return env;
  return {};
}

// The store [store] names: SQLite's file under data_dir, or the PostgreSQL database several instances share.
std::unique_ptr<bus::Store> open_store(const OnestopConfig& c) {
  if (c.store_backend != bus::StoreBackendKind::postgresql)
    return open_onestop_store(c.data_dir, c.group_commit_max_rows, c.group_commit_max_delay_ms);
  bus::PgStoreOptions o;
  o.conninfo = c.postgresql_url;
  o.password = postgresql_password(c);
  o.pool_size = c.pool_size;
  o.group_commit_max_rows = c.group_commit_max_rows;
  o.group_commit_max_delay = std::chrono::milliseconds(c.group_commit_max_delay_ms);
  std::filesystem::create_directories(c.data_dir);  // files/ and file-link.key live there on both backends
  return open_onestop_pg_store(o);
}
std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    throw std::runtime_error("no randomness from OpenSSL");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : random) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string read_marker(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string id;
  if (in) std::getline(in, id);
  return id.substr(0, 64);
}

// Several instances on one PostgreSQL database must use one data folder (shared storage): an uploaded file is
// read by whichever instance serves the next request, and a file link made by one is checked by another with
// the same key. The first instance records a random id in the database and in <data_dir>/data-folder.id; an
// instance whose folder holds no id or another id refuses to start (exit 2) rather than lose files.
void check_shared_data_folder(bus::Store& store, const std::filesystem::path& data_dir) {
  const auto marker = data_dir / "data-folder.id";
  std::string mine = read_marker(marker);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::string proposed = mine.empty() ? random_hex(16) : mine;
    std::pair<std::string, bool> recorded;
    store
        .write([&](bus::Transaction& tx) {
          auto r = office_repositories(tx);
          r->exclusive();
          recorded = r->uploads().data_folder_id(proposed);
        })
        .get();
    if (recorded.second || recorded.first == mine) {
      if (mine.empty()) {  // this instance recorded it: the folder gets it (written whole, then renamed)
        auto tmp = marker;
        tmp += ".tmp";
        std::ofstream(tmp, std::ios::trunc) << proposed << "\n";
        std::filesystem::rename(tmp, marker);
      }
      return;
    }
    if (!mine.empty()) break;
    // Another instance recorded its id a moment ago and may not have written its marker yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    mine = read_marker(marker);
  }
  throw bus::ConfigError("store.data_dir", data_dir.string() +
                                               " is not the data folder the other office instances on this database "
                                               "use (data-folder.id " +
                                               (mine.empty() ? std::string("missing") : "differs") +
                                               "): give every instance the same data_dir on shared storage");
}
}  // namespace

struct OfflineOffice::Impl {
  std::unique_ptr<bus::Store> store;
  FileStore files;
  OneStopOffice office;
  Impl(const OnestopConfig& c)
      : store(open_store(c)),
        files(c.data_dir / "files"),
        office((shared_folder_checked(c), *store), files, load_calendar(c), running_agency(c)) {}
  // Before the file-link key is read (running_agency creates it when missing).
  bool shared_folder_checked(const OnestopConfig& c) {
    if (c.store_backend == bus::StoreBackendKind::postgresql) check_shared_data_folder(*store, c.data_dir);
    return true;
  }
};
OfflineOffice::OfflineOffice(const OnestopConfig& config) : impl_(std::make_unique<Impl>(config)) {}
OfflineOffice::~OfflineOffice() = default;
OneStopOffice& OfflineOffice::office() { return impl_->office; }
bus::Store& OfflineOffice::store() { return *impl_->store; }

namespace {
constexpr std::chrono::seconds kSendTimeout{30};
constexpr std::chrono::seconds kClaimLease{90};

// Host, process and a random part: unique among instances even when a restarted one reuses a process id.
std::string instance_id() {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host).substr(0, 40) + "/" + std::to_string(::getpid()) + "/" + random_hex(6);
}
}  // namespace

struct OnestopServer::Impl {
  OnestopConfig config;
  OfflineOffice opened;  // the store, files and office, as the CLI commands open them
  OneStopOffice& office;
  ResultSigner signer;
  std::unique_ptr<OnestopApi> api;
  std::unique_ptr<WebAssets> web;
  bus::Router router;
  std::unique_ptr<bus::HttpServer> server;
  std::unique_ptr<bus::OutboundClient> outbound;
  std::string api_key;
  // Who this instance is when it claims bus messages (several instances may share one PostgreSQL database).
  std::string sender_id = instance_id();
  std::thread sender;
  std::thread sweeper;
  std::unique_ptr<NotifySender> notifier;
  std::thread notify_thread;
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
    notifier = std::make_unique<NotifySender>(config.notify);
    {
      std::string lookup = config.notify.lookup_url.empty()
                               ? config.effective_agency().public_url + "/tra-cuu?ma={code}"
                               : config.notify.lookup_url;
      office.set_notify_channels(notifier->email_enabled(), notifier->sms_enabled(), lookup);
    }
    api = std::make_unique<OnestopApi>(office, signer, config, std::move(trust), api_key);
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
    // The web pages last: their catch-all routes take only what no API route takes.
    web = std::make_unique<WebAssets>(
        WebAssetsOptions{config.web_assets_dir.empty() ? default_web_dir() : config.web_assets_dir,
                         config.web_agent_url, config.effective_agency().public_url.starts_with("https://")});
    web->add_routes(router);
  }

  void send_due() {
    // Claimed for longer than a send may take (its timeout below), so a claim lapses only when this instance died.
    for (auto& [id, m] : office.claim_bus_messages(32, sender_id, kClaimLease)) {
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
      req.timeout = kSendTimeout;
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

  // The notification outbox (notify_sender.hpp), and every minute the expired web sessions and challenges.
  void run_notifier() {
    auto idle = config.web.session_idle_seconds ? std::chrono::seconds(config.web.session_idle_seconds)
                                                : std::chrono::seconds(config.web.session_idle_minutes * 60);
    auto max_age = std::chrono::seconds(config.web.session_max_hours * 3600);
    auto next_sweep = std::chrono::steady_clock::now();
    auto lease = std::chrono::seconds(config.notify.timeout_seconds * 3 + 30);
    while (!stopping) {
      try {
        if (std::chrono::steady_clock::now() >= next_sweep) {
          office.sweep_web(idle, max_age);
          next_sweep = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        }
        if (notifier->email_enabled() || notifier->sms_enabled()) {
          for (const auto& n : office.claim_notifications(16, sender_id, lease)) {
            if (stopping) break;
            auto error = notifier->send(n);
            office.mark_notification(n.id, !error, error.value_or(""),
                                     std::chrono::seconds(config.notify.retry_seconds),
                                     static_cast<int>(config.notify.max_attempts));
            if (!error)
              bus::log::info("onestop.notify.sent",
                             {{"id", n.id}, {"channel", n.channel}, {"dossier", n.dossier_code}});
            else
              bus::log::warn("onestop.notify.failed",
                             {{"id", n.id}, {"channel", n.channel}, {"dossier", n.dossier_code}, {"error", *error}});
          }
        }
      } catch (const std::exception& e) {
        bus::log::error("onestop.notify", {{"error", e.what()}});
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::milliseconds(config.notify.poll_ms), [this] { return stopping.load(); });
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
  impl_->notify_thread = std::thread([this] { impl_->run_notifier(); });
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
  if (impl_->notify_thread.joinable()) impl_->notify_thread.join();
  if (impl_->server) impl_->server->drain(std::chrono::seconds(5));
  impl_->api->stop();
  impl_->server.reset();
}

}  // namespace lgsp::onestop
