// The one-stop office as the sync job sees it: the national-portal outbox (GET /onestop/v1/outbox, oldest
// first, after an id) and the procedures catalogue (POST /onestop/v1/procedures), with an admin's token.
#pragma once

#include "lgsp/portal/config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::bus {
class OutboundClient;
}

namespace lgsp::portal {

struct OutboxRecord {
  std::int64_t id = 0;
  std::string at;  // RFC 3339, the office's local time
  std::string dossier_code, service;
  nlohmann::json record;  // {"service", "isUpdating"?, "data": [...]} as the portal takes it
};

// The office could not be read (down, refused the token, answered something else): the job waits.
class OfficeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OfficeClient {
 public:
  explicit OfficeClient(const OfficeSettings& settings);
  ~OfficeClient();
  OfficeClient(const OfficeClient&) = delete;
  OfficeClient& operator=(const OfficeClient&) = delete;

  std::vector<OutboxRecord> outbox(std::int64_t after_id, int limit);
  // POST /procedures {"procedures": [...]}; returns the office's import summary.
  nlohmann::json import_procedures(const nlohmann::json& catalogue);
  // GET /procedures: the latest version of each procedure the office has.
  std::vector<nlohmann::json> procedures();

 private:
  nlohmann::json request(const std::string& method, const std::string& path, const std::string& body);
  OfficeSettings settings_;
  std::unique_ptr<bus::OutboundClient> http_;
};

}  // namespace lgsp::portal
