#include "lgsp/agent/agent_server.hpp"

#include <algorithm>

namespace lgsp::agent {
namespace {

bus::HttpResponse bare_forbidden() {
  bus::HttpResponse r;
  r.status = 403;
  r.content_type = "text/plain";
  return r;
}

// The Host a browser sends to a loopback listener. Anything else is a DNS-rebinding attempt (a foreign name
// resolved to 127.0.0.1), refused even if its Origin were allowed.
bool loopback_host(const std::string& host) {
  std::string name = host;
  if (!name.empty() && name.front() == '[') {
    auto close = name.find(']');
    if (close == std::string::npos) return false;
    name = name.substr(1, close - 1);
  } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  return name == "127.0.0.1" || name == "localhost" || name == "::1";
}

}  // namespace

std::optional<bus::HttpResponse> check_origin(const bus::HttpRequest& header, const std::vector<std::string>& allowed) {
  auto origin = header.header("origin");
  auto host = header.header("host");
  if (!origin || !host || !loopback_host(*host)) return bare_forbidden();
  // Exact comparison with the configured serialisations: a browser sends the origin in this very form.
  if (std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) return bare_forbidden();
  return std::nullopt;
}

}  // namespace lgsp::agent
