// Maps method + path to a handler. Patterns are literal segments, "{name}" segments, or a final "*".
#pragma once

#include "lgsp/bus/http.hpp"

#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;          // null: see allowed_methods / not found
    std::string route;                         // the pattern, used as a low-cardinality metrics label
    std::vector<std::string> allowed_methods;  // non-empty when the path exists but the method does not
  };

  void add(std::string method, std::string pattern, Handler handler);
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
  };
  std::vector<Route> routes_;
};

}  // namespace lgsp::bus
