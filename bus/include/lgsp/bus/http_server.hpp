// The node's HTTP/1.1 listener: Boost.Beast, keep-alive, one io_context per thread, graceful drain.
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/router.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace lgsp::bus {

struct HttpServerOptions {
  HostPort listen;
  unsigned threads = 1;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::uint32_t max_header_bytes = 16 * 1024;
  std::chrono::seconds request_timeout{30};
  TlsConfig tls;  // certificate empty: plain HTTP
};

// Called once per answered request: route pattern ("unmatched"/"invalid" when none), status, seconds.
using RequestObserver = std::function<void(const std::string& route, unsigned status, double seconds)>;
// Called for requests refused before routing (malformed, too large), so they can be recorded.
using RejectObserver = std::function<void(unsigned status, const std::string& code, const std::string& remote)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router, RequestObserver on_request = {},
             RejectObserver on_reject = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the threads. Throws ConfigError("listen HOST:PORT", reason) if it cannot bind.
  void start();
  // The bound address (the real port when configured with port 0).
  HostPort local_endpoint() const;
  // Stops accepting, lets in-flight requests finish (keep-alive answers carry "Connection: close"),
  // closes idle connections, and after `timeout` closes whatever is left. Returns true if everything
  // finished in time. Idempotent.
  bool drain(std::chrono::milliseconds timeout);
  std::size_t open_connections() const;

  struct Impl;  // opaque; public only so the connection class in the .cpp can name it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
