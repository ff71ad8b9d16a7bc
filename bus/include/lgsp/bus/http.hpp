// Transport-neutral HTTP request/response types, so handlers never see Beast.
#pragma once

#include "lgsp/bus/errors.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;      // names lower-cased
  std::map<std::string, std::string> path_params;  // from "{name}" route segments
  std::string body;
  std::string remote;  // peer address "ip:port"
  // Lower-case hex SHA-256 of the DER client certificate the TLS handshake verified against the
  // configured client CAs; empty on plain HTTP or when the client sent none.
  std::string peer_certificate_sha256;

  std::optional<std::string> header(const std::string& lower_name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static HttpResponse json(unsigned status, const nlohmann::json& body);
  static HttpResponse text(unsigned status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// An RFC 9457 problem+json answer carrying a catalogued error code, in English and Vietnamese.
HttpResponse problem(const ErrorCode& error, const std::string& detail,
                     const nlohmann::json& errors = nlohmann::json::array());

// A handler answers exactly once by calling Reply, from any thread.
using Reply = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&, Reply)>;

}  // namespace lgsp::bus
