// `lgsp serve`: run a node until SIGTERM/SIGINT, then drain and exit 0.
#include "cli.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

int serve(const NodeOptions& options) {
  bus::Config config;
  try {
    config = options.load();
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  }
  try {
    bus::log::configure(config.log.level, config.log.file);
  } catch (const std::exception& e) {
    return fail("log file " + config.log.file.string(), e.what(), kExitUsage);
  }

  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  bus::Node node(config);
  std::unique_ptr<bus::NodeServices> services;
  try {
    services = std::make_unique<bus::NodeServices>(node);
    node.start();
    services->start();
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const contracts::ContractError& e) {
    std::cerr << "lgsp: contract " << e.what() << "\n";
    return kExitUsage;
  }
  bus::log::info("contracts.loaded",
                 {{"dir", config.contracts.dir.string()}, {"count", node.catalogue().list().size()}});
  for (;;) {
    timespec tick{0, 200'000'000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      bus::log::info("server.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (!node.wait_store(std::chrono::milliseconds(0)) && !node.store_failure().empty()) {
      std::string why = node.store_failure();
      node.stop();
      return fail("store " + (config.store.data_dir / "lgsp.db").string(), why, kExitFailed);
    }
  }
  services->stop();  // deliveries on the wire record their outcome while the store is still open
  node.stop();
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, Runner& run) {
  auto* command =
      app.add_subcommand("serve", "Run a bus node: /v1/messages, /v1/call, /healthz /readyz /metrics /v1/openapi.json");
  command->footer(
      "With no --config the node runs on the embedded defaults: data in ./var, plain HTTP on 127.0.0.1:8080.\n"
      "LGSP_* environment variables override config keys (LGSP_SERVER_LISTEN for server.listen, ...).\n"
      "SIGTERM or SIGINT: stop accepting, finish requests in flight (server.drain_timeout_seconds), exit 0.\n"
      "The node seals with the HSM token in [signing] (module $LGSP_PKCS11_MODULE, token lgsp-node, PIN\n"
      "$LGSP_PIN); /readyz is 503 while it cannot sign. Plain HTTP only on loopback; [tls] for HTTPS.\n"
      "[store] backend = \"sqlite\" (default: data_dir/lgsp.db) or \"postgresql\": store.postgresql_url is a libpq\n"
      "connection string without the password, which comes from store.postgresql_password_file or\n"
      "$LGSP_STORE_POSTGRESQL_PASSWORD (else $PGPASSWORD, ~/.pgpass); store.pool_size read connections.\n"
      "See docs/bus.md for the wire API; GET /v1/openapi.json describes it (docs/openapi.json).");
  auto options = std::make_shared<NodeOptions>();
  options->add_to(*command, true);
  command->callback([&run, options] { run = [options] { return serve(*options); }; });
}

}  // namespace lgsp::cli
