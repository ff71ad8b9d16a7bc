// edXML packages (QCVN 102:2016/BTTTT): build and read them, with explicit "edXML:" prefixes on every
// element (receivers in the field reject unprefixed children even when namespace-equivalent).
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::contracts::edxml {

inline constexpr const char* kNamespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
inline constexpr const char* kPrefix = "edXML";

class EdxmlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Attachment {
  std::string content_id;    // "cid:..."
  std::string name;          // AttachmentName
  std::string content_type;  // media type
  std::string description;
  std::string data;  // the bytes
};

// The header as JSON, one key per element, in document order:
//   {"MessageHeader": {"From": {...}, "To": [{...}], "DocumentId": "...", ...},
//    "TraceHeaderList": {"TraceHeader": [{"OrganId": "...", "Timestamp": "yyyy/MM/dd HH:mm:ss"}],
//                        "Bussiness": {"BussinessDocType": "0", ...}}}
// Repeated elements are arrays; "@name" keys are attributes; leaves are strings.
struct Package {
  nlohmann::ordered_json header;
  std::vector<Attachment> attachments;
};

// Builds the XML. MessageHeader children are written in the schema's order whatever the JSON order.
// Throws EdxmlError when the header is not shaped as above.
std::string pack(const Package& package);

// Reads a package and checks every attachment against its manifest entry (listed, same name and
// type, decodable base64) and every manifest entry against an attachment. Throws EdxmlError.
// Profile::receive (inbound packages) first drops stray bytes before the XML declaration (variant
// xml.leading-bytes) and accepts an empty TraceHeaderList and a status message (no body); the package should have
// been validated with the same profile first.
Package unpack(std::string_view xml, const ParseLimits& limits, Profile profile = Profile::strict);

// Appends a TraceHeader for one hop (before Bussiness), as each node that forwards a package must.
void add_trace_header(nlohmann::ordered_json& header, const std::string& organ_id,
                      std::chrono::system_clock::time_point at);

// "yyyy/MM/dd HH:mm:ss" in Vietnam time (UTC+7, no daylight saving).
std::string timestamp(std::chrono::system_clock::time_point at);

// Media type from a file name's extension (application/octet-stream when unknown).
std::string media_type_for(const std::filesystem::path& file);

}  // namespace lgsp::contracts::edxml
