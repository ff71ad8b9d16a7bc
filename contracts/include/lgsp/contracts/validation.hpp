// What a validation says: valid, or a list of errors that each point at the offending place.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace lgsp::contracts {

struct ValidationError {
  std::string path;  // XML: XPath-like element path; JSON: JSON Pointer ("" = the document)
  int line = 0;      // 0 when unknown (JSON schema errors have only a path)
  int column = 0;    // 0 when unknown
  std::string message;
};

struct ValidationResult {
  std::vector<ValidationError> errors;
  bool valid() const { return errors.empty(); }
};

// Limits applied to every XML and JSON document the project reads, before and while parsing.
struct ParseLimits {
  std::size_t max_document_bytes = 16 * 1024 * 1024;
  unsigned max_depth = 64;                        // element / object+array nesting
  unsigned max_attributes = 64;                   // per XML element; members per JSON object: max_members
  unsigned max_members = 10000;                   // per JSON object / array
  std::size_t max_text_bytes = 12 * 1024 * 1024;  // one text node, attribute value or JSON string
  // XML only, checked by the pre-scan before libxml2 parses (see safe_xml.hpp): libxml2 interns every name in a
  // dictionary whose cost grows faster than linearly with the number of distinct names.
  unsigned max_distinct_names = 10000;  // element, attribute, prefix, PI target names and namespace URIs
  std::size_t max_name_bytes = 1024;    // one element or attribute name
};

// {"path", "line", "column", "message"} objects, for --json output and problem+json bodies.
nlohmann::json to_json(const std::vector<ValidationError>& errors);
// One error per line: "<path>:<line>:<column>: <message>" (line/column left out when unknown).
std::string to_text(const std::vector<ValidationError>& errors);

}  // namespace lgsp::contracts
