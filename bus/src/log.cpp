#include "lgsp/bus/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <mutex>

namespace lgsp::bus::log {
namespace {

std::mutex logger_mutex;

std::shared_ptr<spdlog::logger>& logger_slot() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("lgsp", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
    return l;
  }();
  return instance;
}

bool is_secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::array<const char*, 6> secrets = {"pin", "password", "api_key", "apikey", "secret", "authorization"};
  return std::any_of(secrets.begin(), secrets.end(), [&](const char* s) { return name.find(s) != std::string::npos; });
}

spdlog::level::level_enum to_spdlog(Level level) {
  return static_cast<spdlog::level::level_enum>(static_cast<int>(level));
}

}  // namespace

void configure(const std::string& level, const std::filesystem::path& file) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (file.empty())
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), false);
  auto l = std::make_shared<spdlog::logger>("lgsp", sink);
  l->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
  l->set_level(spdlog::level::from_str(level));
  l->flush_on(spdlog::level::trace);  // operators tail these files; lines must not sit in a buffer
  std::lock_guard lock(logger_mutex);
  logger_slot() = l;
}

void write(Level level, std::string_view event, const nlohmann::json& fields) {
  std::shared_ptr<spdlog::logger> l;
  {
    std::lock_guard lock(logger_mutex);
    l = logger_slot();
  }
  if (!l->should_log(to_spdlog(level))) return;
  nlohmann::json line = nlohmann::json::object();
  line["event"] = event;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it)
      line[it.key()] = is_secret_name(it.key()) ? nlohmann::json("***") : it.value();
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // The pattern already opens the object; drop our own leading '{'.
  l->log(to_spdlog(level), std::string_view(text).substr(1, text.size() - 2));
}

void write(Level level, std::string_view event) { write(level, event, nlohmann::json::object()); }

}  // namespace lgsp::bus::log
