#include "lgsp/bus/openapi.hpp"

#include <string>

namespace lgsp::bus {

namespace generated {
// cmake/EmbedFile.cmake writes these from docs/openapi.json at build time (bus/CMakeLists.txt).
std::string_view openapi_json();
std::string_view openapi_json_sha256();
}  // namespace generated

namespace {

// If-None-Match is a list of entity tags (RFC 9110 section 13.1.2), compared weakly: W/"x" matches "x".
bool none_match_names(std::string_view header, std::string_view etag) {
  std::size_t at = 0;
  while (at < header.size()) {
    auto comma = header.find(',', at);
    if (comma == std::string_view::npos) comma = header.size();
    auto tag = header.substr(at, comma - at);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    at = comma + 1;
  }
  return false;
}

}  // namespace

std::string_view openapi_document() { return generated::openapi_json(); }

std::string openapi_etag() { return "\"" + std::string(generated::openapi_json_sha256()) + "\""; }

HttpResponse openapi_answer(const HttpRequest& request) {
  const std::string etag = openapi_etag();
  HttpResponse r;
  // The document changes only with the binary: an hour's caching, revalidated by its ETag.
  r.headers = {{"ETag", etag}, {"Cache-Control", "public, max-age=3600"}};
  if (auto inm = request.header("if-none-match"); inm && none_match_names(*inm, etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.content_type = "application/json";
  r.body = std::string(openapi_document());
  return r;
}

}  // namespace lgsp::bus
