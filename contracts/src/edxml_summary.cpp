#include "lgsp/contracts/edxml_summary.hpp"

#include "lgsp/contracts/safe_xml.hpp"

#include <libxml/tree.h>

#include <algorithm>

namespace lgsp::contracts::edxml {
namespace {

constexpr const char* kDsig = "http://www.w3.org/2000/09/xmldsig#";

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

bool is_in(const xmlNode* n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, X(ns)) && xmlStrEqual(n->name, X(local));
}

const xmlNode* child(const xmlNode* parent, const char* local, const char* ns = kNamespace) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
    if (is_in(c, ns, local)) return c;
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (!n) return "";
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  return out;
}

// Cut to at most `max` bytes without splitting a UTF-8 sequence (the input is UTF-8: libxml2 decoded it).
std::string bounded(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

std::string required(const xmlNode* n, const std::string& what) {
  std::string t = text_of(n);
  if (!n || t.empty()) throw EdxmlError(what + " is missing");
  return t;
}

}  // namespace

Summary summarize(std::string_view xml, const ParseLimits& limits) {
  if (const auto lt = xml.find('<'); lt != std::string_view::npos && lt <= 64) xml.remove_prefix(lt);
  std::vector<ValidationError> errors;
  auto doc = parse_xml(xml, limits, errors);
  if (!doc) throw EdxmlError(errors.empty() ? "not well-formed XML" : errors.front().message);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  Summary out;
  if (is_in(root, kNamespace, "Status")) {
    out.kind = Summary::Kind::status;
    out.status_root = true;
    const xmlNode* response_for = child(root, "ResponseFor");
    out.document_id = required(child(response_for, "DocumentId"), "ResponseFor/DocumentId");
    out.response_to_organ = required(child(response_for, "OrganId"), "ResponseFor/OrganId");
    out.from_organ = required(child(child(root, "From"), "OrganId"), "From/OrganId");
    out.status_code = required(child(root, "StatusCode"), "StatusCode");
    out.description = bounded(text_of(child(root, "Description")), 1024);
    out.timestamp = text_of(child(root, "Timestamp"));
    out.is_signed = child(root, "Signature", kDsig) != nullptr;
    return out;
  }
  if (!is_in(root, kNamespace, "edXML"))
    throw EdxmlError("the root element is neither edXML nor Status in namespace " + std::string(kNamespace));
  const xmlNode* header = child(child(root, "edXMLEnvelope"), "edXMLHeader");
  const xmlNode* message = child(header, "MessageHeader");
  if (!message) throw EdxmlError("edXMLEnvelope/edXMLHeader/MessageHeader is missing");
  out.from_organ = required(child(child(message, "From"), "OrganId"), "MessageHeader/From/OrganId");
  out.is_signed = child(header, "Signature", kDsig) != nullptr || child(root, "Signature", kDsig) != nullptr;
  if (const xmlNode* code = child(message, "StatusCode")) {
    // A status reply in package form.
    out.kind = Summary::Kind::status;
    out.status_code = required(code, "MessageHeader/StatusCode");
    out.description = bounded(text_of(child(message, "Description")), 1024);
    const xmlNode* response_for = child(message, "ResponseFor");
    out.document_id = required(child(response_for, "DocumentId"), "MessageHeader/ResponseFor/DocumentId");
    out.response_to_organ = text_of(child(response_for, "OrganId"));
    if (out.response_to_organ.empty())
      out.response_to_organ = required(child(child(message, "To"), "OrganId"), "MessageHeader/To/OrganId");
    const xmlNode* trace = child(child(header, "TraceHeaderList"), "TraceHeader");
    out.timestamp = text_of(child(trace, "Timestamp"));
    return out;
  }
  out.document_id = required(child(message, "DocumentId"), "MessageHeader/DocumentId");
  for (const xmlNode* c = message->children; c; c = c->next) {
    if (!is_in(c, kNamespace, "To")) continue;
    std::string organ = required(child(c, "OrganId"), "MessageHeader/To/OrganId");
    if (std::find(out.to_organs.begin(), out.to_organs.end(), organ) == out.to_organs.end())
      out.to_organs.push_back(std::move(organ));
  }
  if (out.to_organs.empty()) throw EdxmlError("MessageHeader names no addressee (To)");
  out.subject = bounded(text_of(child(message, "Subject")), 256);
  return out;
}

}  // namespace lgsp::contracts::edxml
