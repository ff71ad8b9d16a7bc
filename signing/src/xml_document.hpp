// Reading and writing the XML documents that are signed or verified: no DTD, no network, no entities.
#pragma once

#include "xmlsec_library.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::signing::xml {

inline constexpr const char* kDsigNs = "http://www.w3.org/2000/09/xmldsig#";

// Parses `bytes` as a standalone document. Refuses a DOCTYPE: entities and default attributes from a DTD
// would make the signed content differ from what a reader sees. Throws SigningError(kMalformed).
xmlsec::DocPtr parse_document(std::string_view bytes, xmlsec::ErrorCapture& errors);

// The document as UTF-8, without reformatting (whitespace is part of what is signed).
std::string serialize(xmlDocPtr doc);

// Every element named `name` in namespace `ns` under (and including) `node`, in document order.
std::vector<xmlNodePtr> find_elements(xmlNodePtr node, const char* name, const char* ns);
// The first child element named `name` in `ns`, or null.
xmlNodePtr child_element(xmlNodePtr parent, const char* name, const char* ns);
// Element children only.
std::vector<xmlNodePtr> child_elements(xmlNodePtr parent);
bool is_element(xmlNodePtr node, const char* name, const char* ns);
// An attribute value, or nullopt.
std::optional<std::string> attribute(xmlNodePtr node, const char* name);
std::string text_content(xmlNodePtr node);

}  // namespace lgsp::signing::xml
