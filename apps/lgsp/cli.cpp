#include "cli.hpp"

#include "lgsp/bus/node.hpp"

#include <iostream>

namespace lgsp::cli {

int fail(const std::string& what, const std::string& why, int code) {
  std::cerr << "lgsp: " << what << " : " << why << "\n";
  return code;
}

int fail_config(const bus::ConfigError& error) {
  std::cerr << "lgsp: " << error.what() << "\n";
  return kExitUsage;
}

void NodeOptions::add_to(CLI::App& command, bool with_listen) {
  command.add_option("--config", config_file, "Config file (TOML); see deploy/config/lgsp.example.toml")
      ->type_name("FILE");
  if (with_listen)
    command.add_option("--listen", listen, "Address to listen on (overrides server.listen) [127.0.0.1:8080]")
        ->type_name("HOST:PORT");
  command.add_option("--data-dir", data_dir, "Data directory (overrides store.data_dir) [./var]")->type_name("DIR");
}

bus::Config NodeOptions::load() const {
  std::optional<std::filesystem::path> file;
  if (config_file) file = *config_file;
  auto config = bus::Config::load(file, bus::Config::process_environment());
  if (listen) config.server.listen = bus::HostPort::parse(*listen, "--listen");
  if (data_dir) {
    if (data_dir->empty()) throw bus::ConfigError("--data-dir", "must not be empty");
    config.store.data_dir = std::filesystem::absolute(*data_dir).lexically_normal();
  }
  config.validate();
  return config;
}

std::unique_ptr<bus::Store> open_node_store(const bus::Config& config, bool create) {
  // A shared database is the operator's to create; its schema is made (or checked) on opening.
  if (config.store.backend == bus::StoreBackendKind::postgresql) return bus::open_embedded_store(config);
  const auto file = config.store.data_dir / "lgsp.db";
  std::error_code ec;
  if (!create && !std::filesystem::exists(file, ec))
    throw bus::ConfigError("store " + file.string(),
                           "does not exist; run from the node's folder or give --config or --data-dir "
                           "(--init creates a new, empty store)");
  return bus::open_embedded_store(config);
}

}  // namespace lgsp::cli
