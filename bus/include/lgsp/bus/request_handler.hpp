// The one request-handler wrapper for routes whose work runs on a worker pool (the admin API, the one-stop
// office): whatever the work throws becomes a problem+json answer, so no exception ever leaves a worker
// (one that did would reach std::terminate and end the process).
#pragma once

#include "lgsp/bus/errors.hpp"
#include "lgsp/bus/http.hpp"

#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <string>

namespace lgsp::bus {

// The codes a module answers with for what any route can meet. A module with its own catalogue (the
// office) names its own codes here, so its answers keep them.
struct RouteCodes {
  const ErrorCode* not_json = &errors::kJsonSyntax;   // the body is not JSON
  const ErrorCode* wrong_type = &errors::kJsonType;   // a value of the wrong JSON type
  const ErrorCode* missing = &errors::kJsonField;     // a required member or index is absent
  const ErrorCode* unavailable = &errors::kNotReady;  // the store failed
  const ErrorCode* internal = &errors::kInternal;     // anything else: a bug, answered 500 and logged
};

struct RouteErrors {
  std::string module;  // names log events: "<module>.internal", "<module>.wrong_type", ...
  RouteCodes codes;
  // The module's own error types, tried first: an answer, or nullopt for "not one of mine".
  std::function<std::optional<HttpResponse>(const std::exception&)> own;
};

// The answer for `error` on `request`; never throws. Logs what is not the client's doing.
HttpResponse answer_error(std::exception_ptr error, const HttpRequest& request, const RouteErrors& errors);

// Runs handlers on a pool of worker threads, each answer (or the answer for its exception) replied exactly once.
class WorkerRoutes {
 public:
  using Work = std::function<HttpResponse(HttpRequest&)>;

  WorkerRoutes(unsigned threads, RouteErrors errors);
  ~WorkerRoutes();  // waits for work in flight
  WorkerRoutes(const WorkerRoutes&) = delete;
  WorkerRoutes& operator=(const WorkerRoutes&) = delete;

  // A route handler that moves the request (an upload may be 32 MiB) to a worker and runs `work` there.
  Handler handler(Work work);
  // Waits for work in flight; no new work may be handed in after this.
  void join();

 private:
  RouteErrors errors_;
  boost::asio::thread_pool pool_;
};

}  // namespace lgsp::bus
