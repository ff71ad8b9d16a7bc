// A legacy system's URL with placeholders filled from the mapped request: "http://host/api/hoso/{maHoSo}".
// Values are percent-encoded (only unreserved characters stay), so a value can never add a path segment,
// a query or another host.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lgsp::adapters::rest {

class UrlTemplate {
 public:
  // Throws std::invalid_argument for an unclosed or empty placeholder, or a placeholder in the scheme or
  // host (the host is fixed by the config).
  static UrlTemplate parse(const std::string& text);
  // The placeholders, each a dotted path in the legacy request ("path" is the call's forwarded sub-path).
  const std::vector<std::string>& names() const { return names_; }
  // The URL, or nullopt with `missing` naming the placeholder that has no scalar value.
  std::optional<std::string> fill(const nlohmann::json& request, const std::string& path, std::string& missing) const;

 private:
  std::vector<std::string> parts_;  // literal, placeholder, literal, ...: odd indexes are placeholders
  std::vector<std::string> names_;
};

std::string percent_encode(const std::string& text);

}  // namespace lgsp::adapters::rest
