#include "wsdl.hpp"

#include "lgsp/contracts/contract.hpp"
#include "lgsp/contracts/safe_xml.hpp"
#include "soap_xml.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace lgsp::adapters::soap {
namespace {

constexpr const char* kWsdlNs = "http://schemas.xmlsoap.org/wsdl/";
constexpr const char* kWsdlSoap11Ns = "http://schemas.xmlsoap.org/wsdl/soap/";
constexpr const char* kWsdlSoap12Ns = "http://schemas.xmlsoap.org/wsdl/soap12/";
constexpr const char* kXsdNs = "http://www.w3.org/2001/XMLSchema";
constexpr const char* kHttpTransport = "http://schemas.xmlsoap.org/soap/http";

// The receipt of a one-way operation: the node's receipt fields, all optional but the status.
constexpr const char* kReceiptSchema = R"(<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="urn:lgsp:soap:v1" xmlns:lgsp="urn:lgsp:soap:v1" elementFormDefault="qualified">
  <xs:element name="Receipt">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="status" type="xs:string"/>
        <xs:element name="message_id" type="xs:string" minOccurs="0"/>
        <xs:element name="service" type="xs:string" minOccurs="0"/>
        <xs:element name="client" type="xs:string" minOccurs="0"/>
        <xs:element name="accepted_at" type="xs:string" minOccurs="0"/>
        <xs:element name="payload_sha256" type="xs:string" minOccurs="0"/>
        <xs:element name="signature" type="xs:string" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>)";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

contracts::XmlDocPtr parse_schema(const std::string& text, const std::string& what) {
  std::vector<contracts::ValidationError> problems;
  contracts::ParseLimits limits;
  auto doc = contracts::parse_xml(text, limits, problems);
  if (!doc) throw std::runtime_error(what + ": " + contracts::to_text(problems));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || qname(root) != QName{kXsdNs, "schema"}) throw std::runtime_error(what + ": not an xs:schema");
  return doc;
}

xmlNode* child(xmlNode* parent, xmlNs* ns, const char* name) {
  return xmlNewChild(parent, ns, xml_chars(name), nullptr);
}

void attribute(xmlNode* node, const char* name, const std::string& value) {
  xmlNewProp(node, xml_chars(name), xml_chars(value));
}

}  // namespace

QName XsdInfo::pick(const std::string& element) const {
  std::string names;
  for (const auto& e : elements) names += (names.empty() ? "" : ", ") + e;
  if (element.empty()) {
    if (elements.size() != 1)
      throw std::runtime_error(file.string() + " has " + std::to_string(elements.size()) + " global elements (" +
                               names + "): name one");
    return {target_namespace, elements.front()};
  }
  for (const auto& e : elements)
    if (e == element) return {target_namespace, e};
  throw std::runtime_error(file.string() + " has no global element " + element + " (it has: " + names + ")");
}

XsdInfo read_xsd(const contracts::Contract& contract) {
  if (contract.kind() != contracts::SchemaKind::xml)
    throw std::runtime_error("contract " + contract.id() + " is not an XML (XSD) contract");
  const auto descriptor = nlohmann::json::parse(read_text(contract.dir() / "contract.json"));
  XsdInfo info;
  info.file = contract.dir() / descriptor.at("schema").get<std::string>();
  auto doc = parse_schema(read_text(info.file), info.file.string());
  xmlNode* root = xmlDocGetRootElement(doc.get());
  info.target_namespace = plain_attribute(root, "targetNamespace").value_or("");
  for (xmlNode* c = root->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && qname(c) == QName{kXsdNs, "element"})
      if (auto name = plain_attribute(c, "name")) info.elements.push_back(*name);
  return info;
}

QName receipt_element() { return {std::string(kLgspSoapNamespace), "Receipt"}; }

std::string generate_wsdl(const WsdlSpec& spec) {
  XmlDoc doc(xmlNewDoc(xml_chars("1.0")));
  xmlNode* defs = new_element(nullptr, doc.get(), "definitions");
  xmlNs* wsdl = xmlNewNs(defs, xml_chars(kWsdlNs), xml_chars("wsdl"));
  xmlSetNs(defs, wsdl);
  xmlNs* soap11 = xmlNewNs(defs, xml_chars(kWsdlSoap11Ns), xml_chars("soap"));
  xmlNs* soap12 = xmlNewNs(defs, xml_chars(kWsdlSoap12Ns), xml_chars("soap12"));
  xmlNewNs(defs, xml_chars(spec.target_namespace), xml_chars("tns"));
  attribute(defs, "name", spec.service_name);
  attribute(defs, "targetNamespace", spec.target_namespace);

  // A prefix for every element namespace the messages name.
  std::map<std::string, std::string> prefixes;
  auto prefixed = [&](const QName& q) {
    if (q.ns.empty()) return q.local;
    auto [it, added] = prefixes.emplace(q.ns, "m" + std::to_string(prefixes.size()));
    if (added) xmlNewNs(defs, xml_chars(q.ns), xml_chars(it->second));
    return it->second + ":" + q.local;
  };

  xmlNode* types = child(defs, wsdl, "types");
  bool receipt = false;
  for (const auto& op : spec.operations) receipt = receipt || op.output == receipt_element();
  std::vector<std::pair<std::string, std::string>> schemas;  // (what, text)
  for (const auto& file : spec.schemas) schemas.emplace_back(file.string(), read_text(file));
  if (receipt) schemas.emplace_back("the receipt schema", kReceiptSchema);
  for (const auto& [what, text] : schemas) {
    auto schema = parse_schema(text, what);
    xmlAddChild(types, copy_with_namespaces(xmlDocGetRootElement(schema.get()), doc.get()));
  }

  for (const auto& op : spec.operations) {
    for (const auto& [suffix, element] : {std::pair{"Request", op.input}, std::pair{"Response", op.output}}) {
      xmlNode* message = child(defs, wsdl, "message");
      attribute(message, "name", op.name + suffix);
      xmlNode* part = child(message, wsdl, "part");
      attribute(part, "name", "parameters");
      attribute(part, "element", prefixed(element));
    }
  }
  xmlNode* port_type = child(defs, wsdl, "portType");
  attribute(port_type, "name", spec.service_name + "PortType");
  for (const auto& op : spec.operations) {
    xmlNode* o = child(port_type, wsdl, "operation");
    attribute(o, "name", op.name);
    attribute(child(o, wsdl, "input"), "message", "tns:" + op.name + "Request");
    attribute(child(o, wsdl, "output"), "message", "tns:" + op.name + "Response");
  }
  for (xmlNs* soap : {soap11, soap12}) {
    const std::string binding_name = spec.service_name + (soap == soap11 ? "Soap11" : "Soap12");
    xmlNode* binding = child(defs, wsdl, "binding");
    attribute(binding, "name", binding_name);
    attribute(binding, "type", "tns:" + spec.service_name + "PortType");
    xmlNode* b = child(binding, soap, "binding");
    attribute(b, "style", "document");
    attribute(b, "transport", kHttpTransport);
    for (const auto& op : spec.operations) {
      xmlNode* o = child(binding, wsdl, "operation");
      attribute(o, "name", op.name);
      xmlNode* so = child(o, soap, "operation");
      attribute(so, "soapAction", op.soap_action);
      attribute(so, "style", "document");
      for (const char* direction : {"input", "output"})
        attribute(child(child(o, wsdl, direction), soap, "body"), "use", "literal");
    }
  }
  xmlNode* service = child(defs, wsdl, "service");
  attribute(service, "name", spec.service_name);
  for (xmlNs* soap : {soap11, soap12}) {
    const std::string binding_name = spec.service_name + (soap == soap11 ? "Soap11" : "Soap12");
    xmlNode* port = child(service, wsdl, "port");
    attribute(port, "name", binding_name);
    attribute(port, "binding", "tns:" + binding_name);
    attribute(child(port, soap, "address"), "location", spec.location);
  }
  return serialize(doc.get());
}

}  // namespace lgsp::adapters::soap
