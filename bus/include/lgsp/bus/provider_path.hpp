// The provider path of a /v1/call request (what follows the service id): decoded once, checked
// segment by segment, and re-encoded, so the URL the node forwards can never leave the path of the
// service's endpoint, however the client spells `..` (raw, %2e, .%2e, %252e, overlong UTF-8,
// backslashes, encoded slashes, `;` parameters, fragments, empty segments, control bytes).
#pragma once

#include "lgsp/bus/errors.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lgsp::bus {

namespace errors {
// Kept beside its only user (like the exchange's LGSP-409-MESSAGE-ID): errors.hpp is included everywhere.
inline constexpr ErrorCode kBadCallPath{"LGSP-400-PATH", 400, "The path after the service is not allowed",
                                        "Đường dẫn sau mã dịch vụ không hợp lệ"};
}  // namespace errors

struct ProviderPath {
  std::vector<std::string> segments;  // decoded; none is empty, "." or "..", none holds '/', '\\' or a control byte
  bool trailing_slash = false;        // "/records/" (kept: some providers tell the two apart)

  // "/records/2024%2F01"-style: each segment percent-encoded again (only unreserved characters and
  // a few sub-delimiters stay as they are); "" for no path.
  std::string encoded() const;
};

// Why a path or query is refused: always errors::kBadCallPath, with a detail saying which rule.
struct PathRefusal {
  std::string detail;
};

// `raw`: the request path after "/v1/call/<service>", as the client sent it ("" or starting with '/').
std::variant<ProviderPath, PathRefusal> parse_provider_path(std::string_view raw);

// The query as sent, when it may be forwarded as it is (no fragment, no control or non-ASCII byte, well
// formed %XX); otherwise why not.
std::variant<std::string, PathRefusal> check_call_query(std::string_view raw);

// The URL the provider is called at: the endpoint's path, then the path's segments, then the
// endpoint's own query (if any) joined with the request's. The result always starts with the
// endpoint's scheme, authority and path.
std::string provider_url(const std::string& endpoint, const ProviderPath& path, const std::string& query);

}  // namespace lgsp::bus
