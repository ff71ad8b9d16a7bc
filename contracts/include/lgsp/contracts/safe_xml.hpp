// Safe XML parsing: no DTD (so no external entities and no entity-expansion bombs), no network,
// limits on size, depth, attributes and text. Everything in the project reads XML through here.
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <memory>
#include <optional>
#include <string_view>

struct _xmlDoc;

namespace lgsp::contracts {

struct XmlDocDeleter {
  void operator()(_xmlDoc* doc) const;
};
using XmlDocPtr = std::unique_ptr<_xmlDoc, XmlDocDeleter>;

// Initialises libxml2 once per process (thread-safe; call before using libxml2 from threads).
void init_libxml2();

// One linear pass over the raw bytes, in memory bounded by the limits (not by the document), that refuses what
// would make libxml2 work harder than linearly or what a DTD-less document cannot hold, before libxml2 sees it:
// more than `max_attributes` attributes (namespace declarations included) on one element (libxml2 checks
// attribute uniqueness pairwise), more than `max_distinct_names` distinct names (its name dictionary), a name
// longer than `max_name_bytes`, nesting deeper than `max_depth`, a DOCTYPE, an entity other than the five
// predefined ones, NUL bytes and encodings that are not ASCII-compatible (UTF-16/32, EBCDIC), and markup this
// scanner cannot read (refused rather than handed on: libxml2 must never tokenise differently from it).
// Returns the first refusal, or nullopt. parse_xml runs it first; other readers of untrusted XML call it too.
std::optional<ValidationError> prescan_xml(std::string_view bytes, const ParseLimits& limits);

// Returns the document, or null with the reasons in `errors`.
XmlDocPtr parse_xml(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors);

}  // namespace lgsp::contracts
