// Maps method + path to a handler. Patterns are literal segments, "{name}" segments, or a final "*".
#pragma once

#include "lgsp/bus/http.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

// Decides on a request's header alone, before any of its body is read (request.body is empty): an answer
// refuses the request, and the server closes the connection instead of reading an announced body. Runs on
// an I/O thread, so it may only do in-memory or page-cache work (an API-key or session lookup).
using HeaderCheck = std::function<std::optional<HttpResponse>(const HttpRequest& header)>;

class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;                  // null: see allowed_methods / not found
    std::string route;                                 // the pattern, used as a low-cardinality metrics label
    std::vector<std::string> allowed_methods;          // non-empty when the path exists but the method does not
    const std::vector<HeaderCheck>* checks = nullptr;  // with handler: run in order on the header
    std::uint64_t max_body_bytes = 0;                  // with handler: the route's own limit, 0 = the server's
  };

  void add(std::string method, std::string pattern, Handler handler, HeaderCheck check = {});
  // Adds `check` to every route added so far under `pattern` (all its methods), after the checks it has.
  // Throws std::logic_error when no route has that pattern (a typo would leave the route unguarded).
  void check_headers(const std::string& pattern, HeaderCheck check);
  // A body limit below the server's for the route `method` `pattern`; a request announcing more is refused
  // with 413 before its body is read (a chunked one when it grows past it). Throws std::logic_error when
  // there is no such route.
  void limit_body(const std::string& method, const std::string& pattern, std::uint64_t max_bytes);
  // Fills request.path_params on a match.
  Match match(HttpRequest& request) const;
  // (method, pattern) of every route in the order added, so a test can reach every route there is.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    std::vector<HeaderCheck> checks;
    std::uint64_t max_body_bytes = 0;
  };
  std::vector<Route> routes_;
};

}  // namespace lgsp::bus
