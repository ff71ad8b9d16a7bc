// The node's OpenAPI description (docs/openapi.json), compiled into the binary so the node needs no file at run
// time, and the answer of GET /v1/openapi.json.
#pragma once

#include "lgsp/bus/http.hpp"

#include <string_view>

namespace lgsp::bus {

// The bytes of docs/openapi.json as they were when the node was built.
std::string_view openapi_document();
// Its strong validator: the quoted hex SHA-256 of those bytes.
std::string openapi_etag();
// 200 with the document, or 304 when `If-None-Match` names its ETag (or is "*"). Cacheable; needs no credentials.
HttpResponse openapi_answer(const HttpRequest& request);

}  // namespace lgsp::bus
