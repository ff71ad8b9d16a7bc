#include "lgsp/bus/http.hpp"

#include "lgsp/bus/router.hpp"

#include <stdexcept>

namespace lgsp::bus {

std::optional<std::string> HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

HttpResponse HttpResponse::json(unsigned status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::text(unsigned status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

HttpResponse problem(const ErrorCode& error, const std::string& detail, const nlohmann::json& errors) {
  nlohmann::json body = {
      {"type", "urn:lgsp:error:" + std::string(error.code)},
      {"code", error.code},
      {"title", error.title_en},
      {"title_vi", error.title_vi},
      {"status", error.http_status},
      {"detail", detail},
  };
  if (!errors.empty()) body["errors"] = errors;
  HttpResponse r = HttpResponse::json(error.http_status, body);
  r.content_type = "application/problem+json";
  // 503 is "not now" (the store or the token is unavailable, the node is draining): the client is told
  // when to try again rather than left to guess (RFC 9110, 10.2.3).
  if (error.http_status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

namespace {
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool segments_match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::map<std::string, std::string>* params) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (p == "*") {
      if (params) {
        std::string rest;
        for (std::size_t j = i; j < path.size(); ++j) rest += (j > i ? "/" : "") + path[j];
        (*params)["*"] = rest;
      }
      return true;
    }
    if (i >= path.size()) return false;
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      if (params) (*params)[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return pattern.size() == path.size();
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, HeaderCheck check) {
  auto segments = split_path(pattern);
  std::vector<HeaderCheck> checks;
  if (check) checks.push_back(std::move(check));
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler), std::move(checks)});
}

void Router::check_headers(const std::string& pattern, HeaderCheck check) {
  bool found = false;
  for (auto& r : routes_)
    if (r.pattern == pattern) {
      r.checks.push_back(check);
      found = true;
    }
  if (!found) throw std::logic_error("no route " + pattern + " to check the headers of");
}

void Router::limit_body(const std::string& method, const std::string& pattern, std::uint64_t max_bytes) {
  bool found = false;
  for (auto& r : routes_)
    if (r.method == method && r.pattern == pattern) {
      r.max_body_bytes = max_bytes;
      found = true;
    }
  if (!found) throw std::logic_error("no route " + method + " " + pattern + " to limit the body of");
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

Router::Match Router::match(HttpRequest& request) const {
  Match result;
  const auto path = split_path(request.path);
  for (const auto& r : routes_) {
    if (!segments_match(r.segments, path, nullptr)) continue;
    if (r.method == request.method || (request.method == "HEAD" && r.method == "GET")) {
      segments_match(r.segments, path, &request.path_params);
      result.handler = &r.handler;
      result.route = r.pattern;
      result.allowed_methods.clear();
      result.checks = &r.checks;
      result.max_body_bytes = r.max_body_bytes;
      return result;
    }
    result.route = r.pattern;
    result.allowed_methods.push_back(r.method);
  }
  return result;
}

}  // namespace lgsp::bus
