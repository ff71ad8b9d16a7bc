// What the rest and db-outbox integration tests share: a real `lgsp serve` node (a child process sealing with
// hsm-sim), a receiver behind it that counts what it gets by LGSP-Message-Id (an in-process listener: the
// service's endpoint, a peer, not a part of the adapter), and `lgsp adapter run` as a child process that a
// test can SIGKILL. One node and one receiver per test program; each test writes its own adapters.toml.
#pragma once

#include "http_client.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace lgsp::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

inline void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// An HTTP listener in this process (a bus Node without signing, used only for its router).
class Listener {
 public:
  explicit Listener(const fs::path& dir, const bus::TlsConfig& tls = {}) {
    bus::Config c;
    c.tls = tls;
    c.server.listen = bus::HostPort{"127.0.0.1", 0};
    c.server.threads = 2;
    c.store.data_dir = dir;
    c.signing.enabled = false;
    tls_ = tls.enabled();
    node_ = std::make_unique<bus::Node>(c);
  }
  bus::Router& router() { return node_->router(); }
  void start() { node_->start(); }
  void stop() { node_->stop(); }
  std::string base() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(node_->endpoint().port);
  }

 private:
  bool tls_ = false;
  std::unique_ptr<bus::Node> node_;
};

// What the receiver got, by message id.
class Receiver {
 public:
  void add(const bus::HttpRequest& r) {
    std::lock_guard lock(mutex_);
    const auto id = r.header("lgsp-message-id").value_or("");
    ++counts_[id];
    bodies_[id] = r.body;
  }
  int count(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(id);
    return it == counts_.end() ? 0 : it->second;
  }
  std::string body(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = bodies_.find(id);
    return it == bodies_.end() ? "" : it->second;
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> counts_;
  std::map<std::string, std::string> bodies_;
};

class BusFixture {
 public:
  // `registry` fills the node's registry before it starts; `runner` is the runner's base URL (for service
  // endpoints that are adapters), `receiver` the receiver's ("…/in" counts).
  using RegistrySetup =
      std::function<void(bus::Registry&, const std::string& runner, const std::string& receiver, const fs::path& dir)>;

  explicit BusFixture(const std::string& name) {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    if (hsm == nullptr) throw std::runtime_error("run with the hsm_sim CTest fixture (LGSP_TEST_HSM_DIR)");
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    runner_port_ = free_port();

    listener_ = std::make_unique<Listener>(dir_ / "receiver");
    listener_->router().add("POST", "/in", [this](bus::HttpRequest& r, bus::Reply reply) {
      receiver_.add(r);
      reply(bus::HttpResponse::json(200, nlohmann::json::object()));
    });
  }

  // Adds routes to the in-process listener (a legacy system's stand-in) before start().
  bus::Router& listener_router() { return listener_->router(); }

  void start(const RegistrySetup& setup) {
    listener_->start();
    {
      bus::Config nc;
      nc.store.data_dir = dir_ / "node";
      auto store = bus::open_embedded_store(nc);
      auto catalogue = contracts::Catalogue::load(LGSP_SOURCE_DIR "/contracts");
      bus::Registry reg(*store, &catalogue);
      setup(reg, runner_base(), listener_->base(), dir_);
    }
    node_port_ = free_port();
    auto env = hsm_sim_env(hsm_);
    env.push_back("LGSP_SIGNING_CA_CHAIN=" + (hsm_ / "pki/issuing-ca.pem").string());
    node_ = std::make_unique<Process>(
        std::vector<std::string>{LGSP_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(node_port_),
                                 "--data-dir", (dir_ / "node").string()},
        dir_ / "serve.log", env);
    if (!wait_until([this] { return get(node_port_, "/readyz").status == 200; }, 30s))
      throw std::runtime_error("the node did not start: " + read_file(dir_ / "serve.log"));
  }

  ~BusFixture() {
    runner_.reset();
    if (node_) {
      node_->signal(SIGTERM);
      node_->wait(15s);
    }
    if (listener_) listener_->stop();
    if (::testing::UnitTest::GetInstance()->failed_test_count() == 0) fs::remove_all(dir_);
  }

  // adapters.toml: [runner] and [node] as this fixture runs them, then `adapters` as given.
  fs::path write_config(const std::string& test, const std::string& adapters) {
    const fs::path dir = dir_ / test;
    fs::create_directories(dir);
    const std::string text =
        "[runner]\nlisten = \"127.0.0.1:" + std::to_string(runner_port_) + "\"\nstate_dir = \"" +
        (dir / "state").string() + "\"\n\n[node]\nurl = \"http://127.0.0.1:" + std::to_string(node_port_) +
        "\"\ntrust_roots = \"" + (hsm_ / "pki/root-ca.pem").string() + "\"\nnode_certificates = \"" +
        (hsm_ / "pki/lgsp-node.pem").string() + "\"\ncontracts_dir = \"" LGSP_SOURCE_DIR "/contracts\"\n\n" + adapters;
    write_text(dir / "adapters.toml", text);
    return dir / "adapters.toml";
  }

  void start_runner(const fs::path& config, const std::vector<std::string>& env = {}) {
    runner_ =
        std::make_unique<Process>(std::vector<std::string>{LGSP_BINARY, "adapter", "run", "--config", config.string()},
                                  config.parent_path() / "runner.log", env);
    // Up when every adapter runs (the listener answers before the last adapter has started).
    const auto up = [this] {
      const auto h = get(runner_port_, "/healthz");
      return h.status != 0 && h.body.find("not running") == std::string::npos;
    };
    if (!wait_until([&] { return up() || runner_->wait(0ms) != -1; }, 20s) || !up())
      throw std::runtime_error("the runner did not start: " + read_file(config.parent_path() / "runner.log"));
  }
  // SIGKILL: the runner dies as in a power cut, with whatever it had in hand.
  void kill_runner() {
    runner_->signal(SIGKILL);
    runner_->wait(10s);
    runner_.reset();
  }
  int stop_runner() {
    runner_->signal(SIGTERM);
    const int code = runner_->wait(20s);
    runner_.reset();
    return code;
  }
  bool runner_running() const { return runner_ != nullptr; }

  // Runs `lgsp ARGS...` to completion.
  static RunResult lgsp(const std::vector<std::string>& args) {
    std::vector<std::string> argv{LGSP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  static ClientResponse get(unsigned short port, const std::string& path) {
    try {
      HttpClient c("127.0.0.1", port);
      return c.request("GET", path);
    } catch (const std::exception&) {
      return {};
    }
  }
  ClientResponse runner_request(const std::string& method, const std::string& path, const std::string& body,
                                const std::map<std::string, std::string>& headers = {}) {
    HttpClient c("127.0.0.1", runner_port_);
    auto h = headers;
    if (!body.empty() && !h.count("content-type")) h["content-type"] = "application/json";
    return c.request(method, path, body, h);
  }
  // A member system sending a message through the node's public API.
  ClientResponse send(const std::string& key, const std::string& client, const std::string& service,
                      const std::string& id, const std::string& body) {
    HttpClient c("127.0.0.1", node_port_);
    return c.request("POST", "/v1/messages", body,
                     {{"authorization", "Bearer " + key},
                      {"lgsp-client", client},
                      {"lgsp-service", service},
                      {"lgsp-message-id", id},
                      {"content-type", "application/json"}});
  }
  ClientResponse call(const std::string& key, const std::string& client, const std::string& service,
                      const std::string& body) {
    HttpClient c("127.0.0.1", node_port_);
    return c.request(
        "POST", "/v1/call/" + service, body,
        {{"authorization", "Bearer " + key}, {"lgsp-client", client}, {"content-type", "application/json"}});
  }

  Receiver& receiver() { return receiver_; }
  const fs::path& dir() const { return dir_; }
  const fs::path& hsm() const { return hsm_; }
  std::string receiver_base() const { return listener_->base(); }
  std::string runner_base() const { return "http://127.0.0.1:" + std::to_string(runner_port_); }
  unsigned short runner_port() const { return runner_port_; }
  unsigned short node_port() const { return node_port_; }

 private:
  fs::path hsm_, dir_;
  unsigned short runner_port_ = 0, node_port_ = 0;
  std::unique_ptr<Listener> listener_;
  Receiver receiver_;
  std::unique_ptr<Process> node_;
  std::unique_ptr<Process> runner_;
};

}  // namespace lgsp::test
