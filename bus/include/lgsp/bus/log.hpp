// Structured logging: one JSON object per line, through spdlog.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace lgsp::bus::log {

enum class Level { trace, debug, info, warn, error, critical, off };

// Sends logs to stderr (empty path) or appends to `file`. Safe to call again (tests, reload).
void configure(const std::string& level, const std::filesystem::path& file);

// Logs {"ts":…,"level":…,"event":event, …fields}. Fields whose name looks like a secret
// (pin, password, api_key, secret, token_pin, authorization) are replaced by "***".
void write(Level level, std::string_view event, const nlohmann::json& fields);
void write(Level level, std::string_view event);

inline void info(std::string_view event, const nlohmann::json& fields) { write(Level::info, event, fields); }
inline void warn(std::string_view event, const nlohmann::json& fields) { write(Level::warn, event, fields); }
inline void error(std::string_view event, const nlohmann::json& fields) { write(Level::error, event, fields); }

}  // namespace lgsp::bus::log
