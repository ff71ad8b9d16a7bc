// What the JSON parsers (safe_json.cpp for documents, json_document.cpp for validation) say when a
// document exceeds the parse limits, so that both refuse with the same words (internal).
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace lgsp::contracts::json_limits {

// An empty or oversized document, before any parsing.
inline std::optional<std::string> size_error(std::string_view bytes, const ParseLimits& limits) {
  if (bytes.empty()) return "empty document";
  if (bytes.size() > limits.max_document_bytes)
    return "document is " + std::to_string(bytes.size()) + " bytes, larger than the limit of " +
           std::to_string(limits.max_document_bytes);
  return std::nullopt;
}

inline std::string too_deep(const ParseLimits& limits) {
  return "nesting deeper than the limit of " + std::to_string(limits.max_depth);
}
inline std::string too_many_items(const ParseLimits& limits) {
  return "an array has more than " + std::to_string(limits.max_members) + " items";
}
inline std::string too_many_members(const ParseLimits& limits) {
  return "an object has more than " + std::to_string(limits.max_members) + " members";
}
// `what` is "a key" or "a string".
inline std::string too_long(const char* what, const ParseLimits& limits) {
  return std::string(what) + " is longer than the limit of " + std::to_string(limits.max_text_bytes) + " bytes";
}

// 1-based line and column (in characters) of byte `offset`.
std::pair<int, int> line_column(std::string_view bytes, std::size_t offset);

}  // namespace lgsp::contracts::json_limits
