// What differs between operating systems (platform_linux.cpp; a Windows or macOS port replaces that file).
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace lgsp::agent::platform {

// The user's agent config file when --config is not given ($XDG_CONFIG_HOME/lgsp/agent.toml), if it exists.
std::optional<std::filesystem::path> default_config_file();
// PKCS#11 modules tried when none is configured: those of the usual Vietnamese CA tokens and OpenSC that
// are installed on this machine.
std::vector<std::filesystem::path> default_modules();
// The pinentry program when none is configured.
std::filesystem::path default_pinentry();

}  // namespace lgsp::agent::platform
