// A one-stop office run for real as `lgsp onestop serve` in its own folder, with users made by the CLI and a
// small JSON client, for the one-stop integration tests.
#pragma once

#include "http_client.hpp"
#include "process.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lgsp::test {

struct JsonAnswer {
  unsigned status = 0;
  nlohmann::json body;
  std::string raw;
  std::map<std::string, std::string> headers;
};

class OfficeProcess {
 public:
  // `extra_config` is appended to the generated TOML (sections [bus], [signing], ...); `store_keys` are the keys
  // of its [store] section (PostgreSQL for two instances on one database).
  OfficeProcess(std::filesystem::path dir, std::string agency, std::string agency_name, std::vector<std::string> env,
                std::string extra_config = "", std::string store_keys = "data_dir = \"data\"\n");
  ~OfficeProcess();

  // CLI, before or while serving: `lgsp onestop ARGS --config <this office's config>`.
  RunResult cli(std::vector<std::string> args) const;
  // Creates a user with the CLI and returns its token.
  std::string add_user(const std::string& username, const std::string& role, const std::string& name,
                       const std::string& title = "", const std::string& customer_code = "");
  void start();  // serve, and wait for /readyz
  void stop();
  void kill();  // SIGKILL: the process dies as in a crash
  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }
  std::string log() const;

  JsonAnswer call(const std::string& method, const std::string& path, const std::string& token = "",
                  const nlohmann::json& body = nullptr);
  // Raw body with a content type (uploads, SMS), and any further headers (a bus delivery's LGSP-*).
  JsonAnswer send(const std::string& method, const std::string& path, const std::string& token, const std::string& body,
                  const std::string& content_type, const std::map<std::string, std::string>& more_headers = {});

 private:
  std::filesystem::path dir_;
  std::string agency_;
  std::vector<std::string> env_;
  unsigned short port_;
  std::unique_ptr<Process> process_;
};

}  // namespace lgsp::test
