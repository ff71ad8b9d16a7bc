// What a validation says: valid, or a list of errors that each point at the offending place; and, under the
// receive profile, the named variants of the standard the document uses (warnings).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::contracts {

// Which form of a contract a document is checked against.
//   strict:  what we produce, exactly as the standard says (every message we send).
//   receive: strict, plus the variants real producers send (each named, reported as a warning). The default for
//            inbound traffic. A contract without receive variants checks the same under both profiles.
enum class Profile { strict, receive };

// "strict" / "receive".
std::string_view to_string(Profile profile);
// nullopt when neither "strict" nor "receive".
std::optional<Profile> parse_profile(std::string_view text);

struct ValidationError {
  std::string path;  // XML: XPath-like element path; JSON: JSON Pointer ("" = the document)
  int line = 0;      // 0 when unknown (JSON schema errors have only a path)
  int column = 0;    // 0 when unknown
  std::string message;
};

// A variant of the standard the receive profile accepted. `variant` is a stable id (docs/contracts.md lists them
// with their sources), e.g. "edxml.organ-id-system"; the strict profile refuses every document that has one.
struct ValidationWarning {
  std::string variant;  // stable id (see namespace variant below)
  std::string path;     // where, as in ValidationError ("" = the document)
  std::string detail;   // what was seen (bounded, for people)
};

// Stable variant ids.
namespace variant {
inline constexpr const char* kXmlLeadingBytes = "xml.leading-bytes";
inline constexpr const char* kEdxmlOrganIdSystem = "edxml.organ-id-system";
inline constexpr const char* kEdxmlDocumentIdUuid = "edxml.document-id-uuid";
inline constexpr const char* kEdxmlHeaderCodeResponseFor = "edxml.header-code-responsefor";
inline constexpr const char* kEdxmlStatusMessage = "edxml.status-message";
inline constexpr const char* kEdxmlEmptyTraceHeaderList = "edxml.empty-trace-header-list";
inline constexpr const char* kDvcqgEmptyOptionalString = "dvcqg.empty-optional-string";
// Anything else the receive schema allows that strict refuses (detail = strict's first error): so that no document
// the strict profile refuses is ever accepted without a warning.
inline constexpr const char* kReceiveRelaxed = "receive.relaxed";
}  // namespace variant

// At most this many warnings are kept per validation (a hostile document could otherwise produce thousands).
inline constexpr std::size_t kMaxWarnings = 100;

struct ValidationResult {
  std::vector<ValidationError> errors;
  std::vector<ValidationWarning> warnings;  // receive profile only; never set by the strict profile
  // Bytes the receive profile dropped before the document (variant xml.leading-bytes): what was validated, and
  // what a reader of the document must parse, is document.substr(stripped_prefix).
  std::size_t stripped_prefix = 0;
  bool valid() const { return errors.empty(); }
  bool ok() const { return valid(); }
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
// {"variant", "path", "detail"} objects.
nlohmann::json to_json(const std::vector<ValidationWarning>& warnings);
// One error per line: "<path>:<line>:<column>: <message>" (line/column left out when unknown).
std::string to_text(const std::vector<ValidationError>& errors);
// One warning per line: "warning: <variant>: <path>: <detail>".
std::string to_text(const std::vector<ValidationWarning>& warnings);

}  // namespace lgsp::contracts
