// libFuzzer target: raw bytes through the HTTP request path of the node and the office (the same parser
// limits, RFC 9112 framing checks, header checks and router dispatch as a connection), in memory.
#include "fuzz_target.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/router.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace lgsp::bus;

// A node-like router: open routes, a route with a header check (as /v1/messages), a wildcard route (as
// /v1/call), and a route with its own small body limit (as the office's public routes).
const Router& router() {
  static const Router r = [] {
    Router router;
    router.add("GET", "/healthz", [](HttpRequest&, Reply reply) { reply(HttpResponse::json(200, {{"ok", true}})); });
    auto echo = [](HttpRequest& req, Reply reply) {
      reply(HttpResponse::json(200, {{"method", req.method}, {"size", req.body.size()}, {"params", req.path_params}}));
    };
    auto bearer = [](const HttpRequest& header) -> std::optional<HttpResponse> {
      if (header.header("authorization") == std::optional<std::string>("Bearer fuzz-key")) return std::nullopt;
      return problem(errors::kUnauthenticated, "send 'Authorization: Bearer <API key>'");
    };
    router.add("POST", "/v1/messages", echo, bearer);
    router.add("GET", "/v1/messages/{id}", echo, bearer);
    for (const char* method : {"GET", "POST", "PUT", "DELETE"}) router.add(method, "/v1/call/*", echo);
    router.check_headers("/v1/call/*", bearer);
    router.add("POST", "/onestop/v1/sms", echo);
    router.limit_body("POST", "/onestop/v1/sms", 256);
    return router;
  }();
  return r;
}

HttpServerOptions options() {
  HttpServerOptions o;
  o.max_body_bytes = 4096;
  o.max_header_bytes = 2048;
  return o;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  static const HttpServerOptions o = options();
  serve_in_memory(router(), o, lgsp::fuzz::as_text(data, size));
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(http_request);
