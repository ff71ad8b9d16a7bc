// The agent's HTTP API on loopback: GET /v1/certificates, POST /v1/sign, answered to allowed origins only.
#pragma once

#include "lgsp/agent/config.hpp"
#include "lgsp/bus/http.hpp"

#include <chrono>
#include <memory>

namespace lgsp::agent {

class AgentServer {
 public:
  explicit AgentServer(AgentConfig config);
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // Binds the listener. Throws ConfigError when it cannot.
  void start();
  bus::HostPort local_endpoint() const;
  // Stops accepting, waits up to `timeout` for requests in flight.
  void stop(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The origin check every request passes first: nothing (go on) when the Origin header is one of `allowed` and
// the Host is a loopback name; otherwise the bare 403 (no body, no CORS headers) that tells a foreign page
// nothing.
std::optional<bus::HttpResponse> check_origin(const bus::HttpRequest& header, const std::vector<std::string>& allowed);

}  // namespace lgsp::agent
