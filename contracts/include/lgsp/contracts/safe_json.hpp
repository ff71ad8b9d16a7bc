// Safe JSON parsing with the same limits as XML (size, depth, members, string length).
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace lgsp::contracts {

// Returns the value, or nullopt with the reason in `errors` (line/column of a syntax error).
std::optional<nlohmann::json> parse_json(std::string_view bytes, const ParseLimits& limits,
                                         std::vector<ValidationError>& errors);
// The same, keeping object members in document order (for files people edit, like edXML headers).
std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view bytes, const ParseLimits& limits,
                                                         std::vector<ValidationError>& errors);

}  // namespace lgsp::contracts
