#include "lgsp/contracts/safe_xml.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include <mutex>

namespace lgsp::contracts {

void XmlDocDeleter::operator()(_xmlDoc* doc) const { xmlFreeDoc(doc); }

void init_libxml2() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

namespace {

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A DOCTYPE is where XXE and entity bombs live; e-government documents never need one, so the
// parser is stopped the moment one starts, before any entity can be declared or fetched.
void refuse_dtd(void* user, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxt*>(user);
  ctxt->_private = reinterpret_cast<void*>(1);
  xmlStopParser(ctxt);
}

std::string node_path(xmlNode* node) {
  xmlChar* p = xmlGetNodePath(node);
  std::string out = p ? reinterpret_cast<const char*>(p) : "";
  xmlFree(p);
  return out;
}

// Walks the tree once, checking the limits that the parser itself does not enforce.
bool within_limits(xmlNode* node, unsigned depth, const ParseLimits& limits, std::vector<ValidationError>& errors) {
  for (; node; node = node->next) {
    if (node->type == XML_ELEMENT_NODE) {
      if (depth > limits.max_depth) {
        errors.push_back({node_path(node), static_cast<int>(xmlGetLineNo(node)), 0,
                          "nesting deeper than the limit of " + std::to_string(limits.max_depth) + " elements"});
        return false;
      }
      unsigned attributes = 0;
      for (xmlAttr* a = node->properties; a; a = a->next) {
        if (++attributes > limits.max_attributes) {
          errors.push_back({node_path(node), static_cast<int>(xmlGetLineNo(node)), 0,
                            "more than " + std::to_string(limits.max_attributes) + " attributes"});
          return false;
        }
        for (xmlNode* v = a->children; v; v = v->next) {
          if (v->content && xmlStrlen(v->content) > static_cast<int>(limits.max_text_bytes)) {
            errors.push_back(
                {node_path(node), static_cast<int>(xmlGetLineNo(node)), 0,
                 "attribute value longer than the limit of " + std::to_string(limits.max_text_bytes) + " bytes"});
            return false;
          }
        }
      }
      if (!within_limits(node->children, depth + 1, limits, errors)) return false;
    } else if ((node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) && node->content &&
               static_cast<std::size_t>(xmlStrlen(node->content)) > limits.max_text_bytes) {
      errors.push_back({node_path(node->parent), static_cast<int>(xmlGetLineNo(node->parent)), 0,
                        "text longer than the limit of " + std::to_string(limits.max_text_bytes) + " bytes"});
      return false;
    }
  }
  return true;
}

}  // namespace

XmlDocPtr parse_xml(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors) {
  init_libxml2();
  if (bytes.empty()) {
    errors.push_back({"", 0, 0, "empty document"});
    return nullptr;
  }
  if (bytes.size() > limits.max_document_bytes) {
    errors.push_back({"", 0, 0,
                      "document is " + std::to_string(bytes.size()) + " bytes, larger than the limit of " +
                          std::to_string(limits.max_document_bytes)});
    return nullptr;
  }
  // Before libxml2: what would cost it more than linear time (attributes, distinct names) or is refused anyway.
  if (auto refusal = prescan_xml(bytes, limits)) {
    errors.push_back(std::move(*refusal));
    return nullptr;
  }
  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) throw std::bad_alloc();
  ctxt->sax->internalSubset = refuse_dtd;
  ctxt->sax->externalSubset = refuse_dtd;
  ctxt->_private = nullptr;
  // NONET: never fetch. No NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID, no HUGE
  // (keeps libxml2's own caps on text and depth). NOBLANKS is left off: signatures need the bytes.
  // NOERROR/NOWARNING: errors are returned to the caller, not printed by libxml2.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
  XmlDocPtr doc(
      xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), "document.xml", nullptr, options));
  if (ctxt->_private) {
    errors.push_back({"", ctxt->input ? ctxt->input->line : 0, 0,
                      "a DOCTYPE (DTD) is not allowed: external entities and entity expansion are refused"});
    return nullptr;
  }
  if (!doc || !ctxt->wellFormed) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    errors.push_back({"", e ? e->line : 0, e ? e->int2 : 0,
                      e && e->message ? "not well-formed XML: " + trim(e->message) : "not well-formed XML"});
    return nullptr;
  }
  // libxml2 only warns about an undeclared prefix (or a redeclared attribute through two prefixes) and keeps the
  // prefix in the element's name, with no namespace: such a document has no meaning under XML Namespaces, and a
  // copy of one of its elements does not read back as the same name. Refused like any other malformation.
  if (!ctxt->nsWellFormed) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    errors.push_back(
        {"", e ? e->line : 0, e ? e->int2 : 0,
         e && e->message ? "not namespace-well-formed XML: " + trim(e->message) : "not namespace-well-formed XML"});
    return nullptr;
  }
  if (!within_limits(xmlDocGetRootElement(doc.get()), 1, limits, errors)) return nullptr;
  return doc;
}

}  // namespace lgsp::contracts
