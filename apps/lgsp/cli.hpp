// What every `lgsp` command shares: exit codes, the one-line error format, config loading.
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/store.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lgsp::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed: invalid input, verification failure
inline constexpr int kExitUsage = 2;   // usage or configuration error

// Prints "lgsp: <what> : <why>" on stderr and returns `code`.
int fail(const std::string& what, const std::string& why, int code);
// A configuration error already reads "<what> : <why>"; exit code 2.
int fail_config(const bus::ConfigError& error);

// Who ran a command that changes the node's configuration, for its "admin" record in the message log: the
// account of the process.
std::string local_user();

// The options every store-using command takes, with the defaults of `lgsp serve`.
struct NodeOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  void add_to(CLI::App& command, bool with_listen);
  // Defaults < file < LGSP_* environment < flags. Throws bus::ConfigError.
  bus::Config load() const;
};

// The node's store for a command that works on an existing one (registry, dead letters, log): refused with a
// ConfigError when <data_dir>/lgsp.db does not exist, so a command run from the wrong folder never makes an
// empty store there, unless `create` (the command's --init) says to make one.
std::unique_ptr<bus::Store> open_node_store(const bus::Config& config, bool create);

// A registered command sets `run`; main calls it after parsing.
using Runner = std::function<int()>;
void add_serve_command(CLI::App& app, Runner& run);
// `lgsp contracts list`, `lgsp validate`, `lgsp edxml pack|unpack` (contracts_commands.cpp).
void add_contract_commands(CLI::App& app, Runner& run);
// `lgsp edxml organ|send|status|inbox` under the `lgsp edxml` command (edxml_commands.cpp).
void add_edxml_exchange_commands(CLI::App& edxml, Runner& run);
// `lgsp member|subsystem|service|acl|apikey` (registry_commands.cpp).
void add_registry_commands(CLI::App& app, Runner& run);
// `lgsp token`, `lgsp sign`, `lgsp verify` (signing_commands.cpp).
void add_signing_commands(CLI::App& app, Runner& run);
// `lgsp dlq list|replay`, `lgsp log verify|export` (message_commands.cpp).
void add_message_commands(CLI::App& app, Runner& run);
// `lgsp verify-receipt` (receipt_command.cpp).
void add_receipt_command(CLI::App& app, Runner& run);
// `lgsp onestop serve|procedure|user|report` (onestop_commands.cpp).
void add_onestop_commands(CLI::App& app, Runner& run);
// `lgsp adapter run|check|dlq list|dlq replay` (adapter_commands.cpp).
void add_adapter_commands(CLI::App& app, Runner& run);
// `lgsp agent` (agent_command.cpp).
void add_agent_command(CLI::App& app, Runner& run);
// `lgsp portal sync|import-procedures|status|dlq list|dlq replay` (portal_command.cpp).
void add_portal_commands(CLI::App& app, Runner& run);

}  // namespace lgsp::cli
