#include "xml_document.hpp"

#include "lgsp/contracts/safe_xml.hpp"
#include "lgsp/signing/errors.hpp"

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include <cstring>

namespace lgsp::signing::xml {

xmlsec::DocPtr parse_document(std::string_view bytes, xmlsec::ErrorCapture& errors) {
  if (bytes.empty()) throw SigningError(errors::kMalformed, "the document is empty");
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
    throw SigningError(errors::kMalformed, "the document is too large");
  // The structural limits every reader of untrusted XML applies, before libxml2 parses (100,000 attributes on one
  // element would otherwise cost libxml2 half a minute). Deeper nesting than messages is allowed: libxml2's own
  // cap.
  contracts::ParseLimits limits;
  limits.max_document_bytes = static_cast<std::size_t>(INT32_MAX);
  limits.max_depth = 256;
  if (auto refusal = contracts::prescan_xml(bytes, limits)) {
    if (refusal->message.rfind("a DOCTYPE", 0) == 0)
      throw SigningError(errors::kMalformed, "DOCTYPE declarations are not accepted in signed documents");
    throw SigningError(errors::kMalformed, refusal->message + " (line " + std::to_string(refusal->line) + ", column " +
                                               std::to_string(refusal->column) + ")");
  }
  std::unique_ptr<xmlParserCtxt, xmlsec::Deleter<xmlFreeParserCtxt>> parser(xmlNewParserCtxt());
  if (!parser) throw SigningError(errors::kInternal, "cannot create an XML parser");
  // No XML_PARSE_NOENT / DTDLOAD / DTDATTR: nothing is fetched or substituted; NONET forbids network access.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlsec::DocPtr doc(
      xmlCtxtReadMemory(parser.get(), bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, options));
  if (!doc || !parser->wellFormed)
    throw SigningError(errors::kMalformed, xmlsec::with_errors(errors, "not well-formed XML"));
  if (doc->intSubset || doc->extSubset)
    throw SigningError(errors::kMalformed, "DOCTYPE declarations are not accepted in signed documents");
  if (!xmlDocGetRootElement(doc.get())) throw SigningError(errors::kMalformed, "the document has no root element");
  return doc;
}

std::string serialize(xmlDocPtr doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 0);
  xmlsec::XmlCharPtr owned(mem);
  if (!mem) throw SigningError(errors::kInternal, "cannot serialise the signed document");
  return std::string(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
}

bool is_element(xmlNodePtr node, const char* name, const char* ns) {
  return node && node->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0 &&
         node->ns && node->ns->href && std::strcmp(reinterpret_cast<const char*>(node->ns->href), ns) == 0;
}

std::vector<xmlNodePtr> find_elements(xmlNodePtr node, const char* name, const char* ns) {
  std::vector<xmlNodePtr> out;
  // Iterative walk: a hostile document may nest deeply.
  for (xmlNodePtr cur = node; cur;) {
    if (is_element(cur, name, ns)) out.push_back(cur);
    if (cur->type == XML_ELEMENT_NODE && cur->children) {
      cur = cur->children;
      continue;
    }
    while (cur && cur != node && !cur->next) cur = cur->parent;
    if (!cur || cur == node) break;
    cur = cur->next;
  }
  return out;
}

std::vector<xmlNodePtr> child_elements(xmlNodePtr parent) {
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

xmlNodePtr child_element(xmlNodePtr parent, const char* name, const char* ns) {
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (is_element(c, name, ns)) return c;
  return nullptr;
}

std::optional<std::string> attribute(xmlNodePtr node, const char* name) {
  xmlAttrPtr attr = xmlHasProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!attr) return std::nullopt;
  xmlsec::XmlCharPtr value(xmlNodeListGetString(node->doc, attr->children, 1));
  return value ? std::string(reinterpret_cast<const char*>(value.get())) : std::string();
}

std::string text_content(xmlNodePtr node) {
  xmlsec::XmlCharPtr text(xmlNodeGetContent(node));
  return text ? std::string(reinterpret_cast<const char*>(text.get())) : std::string();
}

}  // namespace lgsp::signing::xml
