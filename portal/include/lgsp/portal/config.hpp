// portal.toml: where the office and the portal are, the credentials (from files or the environment only),
// the job's state folder, batch size, backoff and metrics listener, and the catalogue mapping tables.
// Unknown keys are refused with their path, like the node's config.
#pragma once

#include "lgsp/bus/config.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::portal {

struct OfficeSettings {
  std::string url;    // "http://127.0.0.1:8081" (the office's /onestop/v1 is appended)
  std::string token;  // an admin's bearer token (token_file / token_env)
  std::string unit;   // a province-scope account's unit filter; empty: the account's own unit
};

struct PortalSettings {
  std::string url;  // the DVCQG adapter URL (adapter_url in OpenCPS)
  std::string auth_path = "/api/auth";
  std::string integration_path = "/api/integration";
  std::string share_path = "/api/share";
  std::string username;
  std::string password;  // password_file / password_env
  std::string madonvi;   // the agency code the portal knows the office by
  std::string dstcode;   // the `dstcode` header (destination code); empty: not sent
  std::chrono::milliseconds timeout{30000};
  // error_code values: success, session expired or invalid (log in again), and refusals of the record
  // itself (dead-lettered). Any other code is not what the API says: the record stays pending.
  std::vector<std::string> success_codes{"0", "00"};
  std::vector<std::string> session_codes{"401", "-1"};
  std::vector<std::string> refusal_codes{"01", "02", "03", "04", "05"};
};

struct SyncSettings {
  std::filesystem::path state_dir;
  int batch_size = 100;
  std::chrono::milliseconds poll{2000};  // wait when the outbox is empty
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  std::int64_t dead_letters_max = 10000;
};

struct CatalogueSettings {
  // National procedure code (MATTHC) -> the office's code; absent: the same code.
  std::map<std::string, std::string> codes;
  // National TRANGTHAI -> "import" or "skip" (a procedure no longer in force is not imported).
  std::map<std::string, std::string> statuses{{"1", "import"}, {"0", "skip"}};
  // National KENH -> office channel number (1 in person, 2 online, 3 postal).
  std::map<std::string, std::string> channels{{"1", "1"}, {"2", "2"}, {"3", "3"}};
  std::string effective_from;     // YYYY-MM-DD; empty: today
  std::string level = "commune";  // the office procedure level (commune, district, province)
};

struct PortalConfig {
  OfficeSettings office;
  PortalSettings portal;
  SyncSettings sync;
  CatalogueSettings catalogue;
  std::optional<bus::HostPort> metrics_listen;

  // Throws adapters::AdapterConfigError ("<path>: <why>") for any unknown key, missing or invalid value.
  static PortalConfig load(const std::filesystem::path& file);
};

}  // namespace lgsp::portal
