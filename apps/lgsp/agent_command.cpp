// `lgsp agent`: the signing agent on an official's PC. Runs until SIGTERM/SIGINT.
#include "cli.hpp"
#include "lgsp/agent/agent_server.hpp"
#include "lgsp/agent/config.hpp"
#include "lgsp/agent/platform.hpp"
#include "lgsp/bus/log.hpp"

#include <pthread.h>
#include <signal.h>

#include <iostream>

namespace lgsp::cli {
namespace {

struct AgentOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::vector<std::string> allow_origins;
  std::optional<std::string> pinentry;
  std::vector<std::string> modules;
  std::optional<std::size_t> max_batch;
};

// Defaults < the file (--config, or the user's default one) < flags; a flag that is given replaces the file's
// value for that key (lists included).
agent::AgentConfig load(const AgentOptions& o) {
  agent::AgentConfig config;
  config.pinentry = agent::platform::default_pinentry();
  config.modules = agent::platform::default_modules();
  std::optional<std::filesystem::path> file;
  if (o.config_file)
    file = *o.config_file;
  else
    file = agent::platform::default_config_file();
  if (file) config.apply_file(*file);
  if (o.listen) config.listen = bus::HostPort::parse(*o.listen, "--listen");
  if (!o.allow_origins.empty()) {
    config.allow_origins.clear();
    for (const auto& a : o.allow_origins) config.allow_origins.push_back(agent::parse_origin(a, "--allow-origin"));
  }
  if (o.pinentry) config.pinentry = *o.pinentry;
  if (!o.modules.empty()) config.modules.assign(o.modules.begin(), o.modules.end());
  if (o.max_batch) config.max_batch = *o.max_batch;
  config.validate();
  return config;
}

int run_agent(const AgentOptions& options) {
  agent::AgentConfig config;
  try {
    config = load(options);
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  }
  bus::log::configure("info", {});
  // A pinentry that dies while we write to it must not take the agent with it.
  signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  agent::AgentServer server(config);
  try {
    server.start();
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  }
  std::vector<std::string> modules;
  for (const auto& m : config.modules) modules.push_back(m.string());
  bus::log::info("agent.started", {{"listen", server.local_endpoint().to_string()},
                                   {"origins", config.allow_origins},
                                   {"modules", modules},
                                   {"dialog_program", config.pinentry.string()},
                                   {"max_batch", config.max_batch}});
  int sig = 0;
  sigwait(&signals, &sig);
  bus::log::info("agent.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop(std::chrono::milliseconds(2000));
  return kExitOk;
}

}  // namespace

void add_agent_command(CLI::App& app, Runner& run) {
  auto options = std::make_shared<AgentOptions>();
  auto* command = app.add_subcommand(
      "agent", "Run the signing agent on an official's PC: web pages of allowed origins sign with the USB token");
  command
      ->add_option("--config", options->config_file,
                   "Config file (TOML; keys listen, allow_origin, pinentry, module, max_batch) "
                   "[$XDG_CONFIG_HOME/lgsp/agent.toml if present]")
      ->type_name("FILE");
  command->add_option("--listen", options->listen, "Loopback address to listen on [127.0.0.1:8731]")
      ->type_name("127.0.0.1:PORT");
  command
      ->add_option("--allow-origin", options->allow_origins,
                   "Web origin allowed to use the agent, exactly scheme://host[:port] (repeatable; required)")
      ->type_name("ORIGIN");
  command
      ->add_option("--pinentry", options->pinentry,
                   "pinentry program that asks the PIN (Assuan protocol) [/usr/bin/pinentry]")
      ->type_name("PROGRAM");
  command
      ->add_option("--module", options->modules,
                   "PKCS#11 module of the token vendor (repeatable) [installed OpenSC/SafeNet modules]")
      ->type_name("PATH");
  command->add_option("--max-batch", options->max_batch, "Most documents signed with one PIN entry [200]")
      ->type_name("N");
  command->footer(
      "API (docs/agent.md): GET /v1/certificates, POST /v1/sign {certificate, items:[{digest, title}]}.\n"
      "Only requests whose Origin is an allowed origin are answered (others: a bare 403). The agent asks the\n"
      "PIN itself through pinentry, showing the requesting origin and the documents; the page never sees it.\n"
      "Listens on loopback only. SIGTERM or SIGINT: stop.");
  command->callback([&run, options] { run = [options] { return run_agent(*options); }; });
}

}  // namespace lgsp::cli
