#include "soap_xml.hpp"

#include <libxml/xmlsave.h>

namespace lgsp::adapters::soap {

QName qname(const xmlNode* element) {
  QName q;
  if (element->ns && element->ns->href) q.ns = reinterpret_cast<const char*>(element->ns->href);
  if (element->name) q.local = reinterpret_cast<const char*>(element->name);
  return q;
}

std::string text_of(xmlNode* node, std::size_t max) {
  xmlChar* content = xmlNodeGetContent(node);
  if (!content) return {};
  std::string out = reinterpret_cast<const char*>(content);
  xmlFree(content);
  if (out.size() > max) out.resize(max);
  return out;
}

std::optional<std::string> plain_attribute(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetNoNsProp(node, xml_chars(name));
  if (!v) return std::nullopt;
  std::string out = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return out;
}

xmlNode* new_element(xmlNode* parent, xmlDoc* doc, const char* name) {
  if (parent) return xmlNewChild(parent, nullptr, xml_chars(name), nullptr);
  xmlNode* root = xmlNewDocNode(doc, nullptr, xml_chars(name), nullptr);
  if (!root) throw std::bad_alloc();
  xmlDocSetRootElement(doc, root);
  return root;
}

xmlNode* copy_with_namespaces(xmlNode* element, xmlDoc* doc) {
  xmlNode* copy = xmlDocCopyNode(element, doc, 1);
  if (!copy) throw std::bad_alloc();
  if (xmlNs** in_scope = xmlGetNsList(element->doc, element)) {
    for (xmlNs** ns = in_scope; *ns; ++ns) {
      bool declared = false;
      for (xmlNs* d = copy->nsDef; d; d = d->next)
        if (xmlStrEqual(d->prefix, (*ns)->prefix)) declared = true;
      if (!declared) xmlNewNs(copy, (*ns)->href, (*ns)->prefix);
    }
    xmlFree(in_scope);
  }
  return copy;
}

std::string element_document(xmlNode* element) {
  XmlDoc doc(xmlNewDoc(xml_chars("1.0")));
  if (!doc) throw std::bad_alloc();
  xmlNode* copy = copy_with_namespaces(element, doc.get());
  xmlDocSetRootElement(doc.get(), copy);
  // A copy may reference namespaces declared outside it; declare them on the copy.
  xmlReconciliateNs(doc.get(), copy);
  xmlBuffer* buffer = xmlBufferCreate();
  if (!buffer) throw std::bad_alloc();
  xmlNodeDump(buffer, doc.get(), copy, 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                  static_cast<std::size_t>(xmlBufferLength(buffer)));
  xmlBufferFree(buffer);
  return out;
}

std::string serialize(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (!mem) throw std::bad_alloc();
  std::string out(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

}  // namespace lgsp::adapters::soap
