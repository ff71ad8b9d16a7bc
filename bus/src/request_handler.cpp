#include "lgsp/bus/request_handler.hpp"

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/store.hpp"

#include <boost/asio/post.hpp>

#include <memory>

namespace lgsp::bus {
namespace {

using nlohmann::json;

HttpResponse registry_problem(const RegistryError& e) {
  switch (e.kind()) {
    case RegistryError::Kind::not_found:
      return problem(errors::kRegistryNotFound, e.what());
    case RegistryError::Kind::conflict:
      return problem(errors::kRegistryConflict, e.what());
    case RegistryError::Kind::invalid:
      break;
  }
  return problem(errors::kRegistryInvalid, e.what());
}

// The catalogued answers, most specific first.
HttpResponse classify(std::exception_ptr error, const HttpRequest& request, const RouteErrors& errors) {
  const auto& codes = errors.codes;
  const std::string& m = errors.module;
  try {
    std::rethrow_exception(error);
  } catch (const json::parse_error& e) {
    return problem(*codes.not_json, std::string("the body is not JSON: ") + e.what());
  } catch (const json::type_error& e) {
    // A field of the wrong JSON type: the client's mistake, said as such. Logged, because the same
    // exception from the module's own data would be a bug answered as 400.
    log::warn(m + ".wrong_type", {{"path", request.path}, {"error", e.what()}});
    return problem(*codes.wrong_type, std::string("a field has the wrong JSON type: ") + e.what());
  } catch (const json::out_of_range& e) {
    log::warn(m + ".missing_field", {{"path", request.path}, {"error", e.what()}});
    return problem(*codes.missing, std::string("a required field is missing: ") + e.what());
  } catch (const json::exception& e) {
    log::warn(m + ".wrong_type", {{"path", request.path}, {"error", e.what()}});
    return problem(*codes.wrong_type, std::string("the JSON does not have the expected shape: ") + e.what());
  } catch (const RegistryError& e) {
    return registry_problem(e);
  } catch (const StoreError& e) {
    log::error(m + ".store", {{"path", request.path}, {"error", e.what()}});
    return problem(*codes.unavailable, std::string("store: ") + e.what());
  } catch (const std::exception& e) {
    log::error(m + ".internal", {{"path", request.path}, {"error", e.what()}});
    return problem(*codes.internal, e.what());
  } catch (...) {
    log::error(m + ".internal", {{"path", request.path}, {"error", "an exception not derived from std::exception"}});
    return problem(*codes.internal, "internal error");
  }
}

}  // namespace

HttpResponse answer_error(std::exception_ptr error, const HttpRequest& request, const RouteErrors& errors) {
  try {
    if (errors.own) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        if (auto answer = errors.own(e)) return std::move(*answer);
      } catch (...) {
      }
    }
    return classify(error, request, errors);
  } catch (...) {
    // The mapper or the log failed (out of memory, say): still an answer, never an escape.
    HttpResponse r;
    r.status = 500;
    r.content_type = "application/problem+json";
    r.body = R"({"code":"LGSP-500-INTERNAL","status":500,"title":"Internal error"})";
    return r;
  }
}

WorkerRoutes::WorkerRoutes(unsigned threads, RouteErrors errors)
    : errors_(std::move(errors)), pool_(threads ? threads : 1) {}

WorkerRoutes::~WorkerRoutes() { join(); }

void WorkerRoutes::join() { pool_.join(); }

Handler WorkerRoutes::handler(Work work) {
  return [this, work = std::move(work)](HttpRequest& request, Reply reply) {
    // Moved, not copied: the server does not read the request after its handler.
    auto req = std::make_shared<HttpRequest>(std::move(request));
    boost::asio::post(pool_, [this, work, req, reply = std::move(reply)] {
      HttpResponse response;
      try {
        response = work(*req);
      } catch (...) {
        response = answer_error(std::current_exception(), *req, errors_);
      }
      try {
        reply(std::move(response));
      } catch (const std::exception& e) {
        log::error(errors_.module + ".reply_failed", {{"path", req->path}, {"error", e.what()}});
      } catch (...) {
        log::error(errors_.module + ".reply_failed", {{"path", req->path}});
      }
    });
  };
}

}  // namespace lgsp::bus
