// libxml2 helpers the SOAP adapter's modules share: the RAII document handle, names, bounded text, copying
// one element into a document of its own, serializing. Internal to adapters/soap.
#pragma once

#include "soap_envelope.hpp"

#include <libxml/tree.h>

#include <memory>
#include <optional>
#include <string>

namespace lgsp::adapters::soap {

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocFree>;

inline const xmlChar* xml_chars(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
inline const xmlChar* xml_chars(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

QName qname(const xmlNode* element);
// The text content of `node`, at most `max` bytes.
std::string text_of(xmlNode* node, std::size_t max);
// An attribute without a namespace.
std::optional<std::string> plain_attribute(xmlNode* node, const char* name);
// A new element without namespace, the root of `doc` when `parent` is null.
xmlNode* new_element(xmlNode* parent, xmlDoc* doc, const char* name);
// A deep copy of `element` for `doc`, with every namespace in scope at `element` declared on the copy, so that
// QNames in attribute values and text (xsi:type) still resolve.
xmlNode* copy_with_namespaces(xmlNode* element, xmlDoc* doc);
// `element` as a document of its own (without an XML declaration).
std::string element_document(xmlNode* element);
// The whole document, UTF-8, with its XML declaration.
std::string serialize(xmlDoc* doc);

}  // namespace lgsp::adapters::soap
