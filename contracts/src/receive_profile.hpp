// The receive profile's checks (internal): what the receive schemas cannot say, and the named variants
// (validation.hpp, namespace variant) a document uses. docs/contracts.md lists every variant and its source.
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

struct _xmlDoc;

namespace lgsp::contracts::receive {

// Stray bytes the receive profile drops before an XML document: a byte order mark, whitespace or other bytes a
// producer left before the XML declaration. More than this is not a stray prefix but a different document.
inline constexpr std::size_t kMaxLeadingBytes = 1024;

// Appends a warning unless kMaxWarnings are already kept; `detail` is cut to 200 bytes.
void warn(ValidationResult& result, const char* variant, std::string path, std::string detail);

// How many bytes to drop before `document` (0: none, with no warning). Adds the xml.leading-bytes warning when it
// drops some; nullopt with an error when the document does not start with markup within kMaxLeadingBytes.
std::optional<std::size_t> leading_bytes(std::string_view document, ValidationResult& result);

// Checks an edXML package or status reply that the receive schema (contracts/edxml/v1/receive.xsd) accepted:
// which children a document header and a status header need, that a status message carries no attachments, and
// the variants it uses (warnings). `status_contract`: true for edxml-status (a bare Status root or an edXML status
// message), false for edxml (an edXML document package or status message).
void inspect_edxml(const _xmlDoc* doc, bool status_contract, ValidationResult& result);

// Is "" refused by this (resolved) property schema: an enum or const without "", a pattern "" does not match,
// a minLength of at least 1, or a format.
bool refuses_empty_string(const nlohmann::json& property_schema);

// Removes, in place, every member whose value is "" where `schema` declares the member optional and refuses ""
// (refuses_empty_string), with a dvcqg.empty-optional-string warning per member. Follows "properties", "items" and
// local "$ref"s (#/definitions/...). Returns how many members it removed.
std::size_t drop_empty_optional_strings(const nlohmann::json& root_schema, nlohmann::json& document,
                                        ValidationResult& result);

}  // namespace lgsp::contracts::receive
