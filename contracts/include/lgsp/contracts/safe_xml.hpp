// Safe XML parsing: no DTD (so no external entities and no entity-expansion bombs), no network,
// limits on size, depth, attributes and text. Everything in the project reads XML through here.
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <memory>
#include <string_view>

struct _xmlDoc;

namespace lgsp::contracts {

struct XmlDocDeleter {
  void operator()(_xmlDoc* doc) const;
};
using XmlDocPtr = std::unique_ptr<_xmlDoc, XmlDocDeleter>;

// Initialises libxml2 once per process (thread-safe; call before using libxml2 from threads).
void init_libxml2();

// Returns the document, or null with the reasons in `errors`.
XmlDocPtr parse_xml(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors);

}  // namespace lgsp::contracts
