// What a router needs from an edXML package or status reply (QCVN 102:2016), read in one parse: who sends it,
// to whom, which document it is or answers, and whether it carries an XML-DSig signature. It does not validate:
// validate against edxml@v1 / edxml-status@v1 first.
#pragma once

#include "lgsp/contracts/edxml.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lgsp::contracts::edxml {

struct Summary {
  enum class Kind { document, status };
  Kind kind = Kind::document;
  bool status_root = false;            // an edXML:Status document (else edXML:edXML, a status when it has StatusCode)
  std::string document_id;             // the package's DocumentId, or ResponseFor/DocumentId of a status
  std::string from_organ;              // From/OrganId
  std::vector<std::string> to_organs;  // document: each To/OrganId, in order, without repeats
  std::string subject;                 // document: Subject, cut to 256 bytes at a character boundary
  bool is_signed = false;              // a ds:Signature element in the edXMLHeader (document) or the root (status)
  // status only
  std::string response_to_organ;  // ResponseFor/OrganId: the organ that sent the document
  std::string status_code;        // StatusCode ("01" ... "16")
  std::string description;        // Description, cut to 1024 bytes at a character boundary
  std::string timestamp;          // Timestamp ("yyyy/MM/dd HH:mm:ss")
};

// A status reply is an edXML:Status document, or an edXML:edXML package whose MessageHeader holds a StatusCode (no
// attachments; MessageHeader/ResponseFor names the document, else its To is the organ answered). Stray bytes before
// the first '<' (at most 64: a BOM, blank lines) are skipped, as the receive profile does. Throws EdxmlError for
// anything else or when a field above is missing.
Summary summarize(std::string_view xml, const ParseLimits& limits);

}  // namespace lgsp::contracts::edxml
