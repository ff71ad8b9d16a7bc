// The national portal (DVCQG) as OpenCPS talks to it: POST {url}{auth_path} {"username","password"} gives a
// session; every call is POST {url}{integration_path or share_path} {"session","madonvi","service",...} and
// answers {"error_code","message",...}. The client logs in when it has no session and once again when the
// portal says the session expired, and sorts every answer into what the sync job must do with the record.
#pragma once

#include "lgsp/portal/config.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace lgsp::bus {
class OutboundClient;
}

namespace lgsp::portal {

struct PortalAnswer {
  enum class Kind {
    success,      // error_code is a success code
    refused,      // the portal refused the record itself (a refusal code): dead-letter it
    unavailable,  // no answer, 5xx or 429: the portal is down or busy, wait and try again
    malformed,    // an answer that is not what the API says: the record stays pending with the reason
  };
  Kind kind = Kind::unavailable;
  std::string error_code;  // the portal's error_code when it gave one
  std::string reason;      // one bounded line: the portal's message, the transport error, what was wrong
  nlohmann::json body;     // the answer (success: with `result` for share calls)
};

const char* kind_name(PortalAnswer::Kind k);

class DvcqgClient {
 public:
  explicit DvcqgClient(const PortalSettings& settings);
  ~DvcqgClient();
  DvcqgClient(const DvcqgClient&) = delete;
  DvcqgClient& operator=(const DvcqgClient&) = delete;

  // `params` are the service's own fields ("isUpdating", "data", "mahoso", "maTTHC"); session, madonvi and
  // service are added here. Logs in first when needed, and once more on a session code.
  PortalAnswer call(const std::string& service, const nlohmann::json& params, bool share = false);
  // How many times the client logged in (metrics, tests).
  std::uint64_t logins() const { return logins_.load(); }

 private:
  PortalAnswer login();
  PortalAnswer post(const std::string& path, const nlohmann::json& body);
  PortalAnswer classify(const nlohmann::json& body) const;
  PortalSettings settings_;
  std::unique_ptr<bus::OutboundClient> http_;
  std::string session_;
  std::atomic<std::uint64_t> logins_{0};
};

}  // namespace lgsp::portal
