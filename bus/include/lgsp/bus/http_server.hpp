// The node's and the office's HTTP/1.1 listener: Boost.Beast, keep-alive, one io_context per thread,
// graceful drain. A request is decided on its header first (framing, route, method, size, the route's
// header checks) and only then is its body read.
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/router.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace lgsp::bus {

struct HttpServerOptions {
  HostPort listen;
  unsigned threads = 1;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::uint32_t max_header_bytes = 16 * 1024;
  std::chrono::seconds request_timeout{30};
  TlsConfig tls;  // certificate empty: plain HTTP
  // Open connections one source address may hold; a connection beyond it is closed as soon as it is
  // accepted. 0: no cap.
  unsigned max_connections_per_source = 256;
  // Runs on every request's header before the route's own checks (see HeaderCheck).
  HeaderCheck header_check;
  // Called for every connection closed at accept, with the reason ("per_source_limit").
  std::function<void(const std::string& reason)> on_connection_refused;
};

// Called once per answered request: route pattern ("unmatched"/"invalid" when none), status, seconds.
using RequestObserver = std::function<void(const std::string& route, unsigned status, double seconds)>;
// Called for requests refused before their handler ran (malformed, too large, refused by a header check),
// so they can be recorded.
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

// Feeds `input` through what one connection of an HttpServer with `options` does (the same parser limits,
// framing checks, header checks and router dispatch), in memory, and returns the bytes it would send: one
// answer per request read, pipelined requests included, until the input ends or an answer closes the
// connection. Handlers must answer before they return; a later answer is not waited for. For fuzzing.
std::string serve_in_memory(const Router& router, const HttpServerOptions& options, std::string_view input,
                            const std::string& remote = "127.0.0.1:1");

}  // namespace lgsp::bus
